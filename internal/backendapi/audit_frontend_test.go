package backendapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// actions lists events' actions, oldest first.
func actions(events []*audit.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[len(events)-1-i] = ev.Action
	}
	return out
}

// mustBeUsers fails unless every event is userID's own, from the test's
// address, with a user agent.
func mustBeUsers(t *testing.T, events []*audit.Event, userID string) {
	t.Helper()
	for _, ev := range events {
		if ev.ActorKind != audit.User || ev.ActorID != userID || ev.IP != "127.0.0.1" || ev.UserAgent == "" {
			t.Fatalf("%s: actor %s %q from %q (%q), want the user %s", ev.Action, ev.ActorKind, ev.ActorID, ev.IP, ev.UserAgent, userID)
		}
	}
}

// TestAuditSignUpSignInSignOut: a user signing themselves up through the
// Frontend API is recorded making their user and their first session;
// each sign-in records its session, each sign-out (end, remove, sign out
// of all, delete the client) each session it ends, all as the user's,
// with the client's address; the attempts, codes and tokens on the way
// record nothing.
func TestAuditSignUpSignInSignOut(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit, e.app.Frontend.AttemptLimit = nil, nil, nil
		b := e.browser()

		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"ada@example.com"}, "password": {pw}})
		suID, _ := get(out, "response", "id").(string)
		b.ok("POST", "/v1/client/sign_ups/"+suID+"/prepare_verification", url.Values{"strategy": {"email_code"}})
		code := codeFor(t, mail, 1, "ada@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		b.fails("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {wrong}},
			422, "form_code_incorrect")
		if got := e.auditEvents(audit.Filter{}); len(got) != 0 {
			t.Fatalf("an unfinished sign-up wrote events: %+v", got)
		}
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {code}})
		sid, _ := get(out, "response", "created_session_id").(string)
		uid, _ := get(out, "response", "created_user_id").(string)
		got := e.auditEvents(audit.Filter{})
		if strings.Join(actions(got), " ") != audit.UserCreated+" "+audit.SessionCreated {
			t.Fatalf("sign-up: %v", actions(got))
		}
		mustBeUsers(t, got, uid)
		if got[1].TargetType != "user" || got[1].TargetID != uid || got[0].TargetType != "session" || got[0].TargetID != sid ||
			!strings.Contains(string(got[0].Detail), `"strategy":"email_code"`) {
			t.Fatalf("sign-up targets: %+v %+v", got[1], got[0])
		}

		// Using the session is no change.
		b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{})
		b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{})
		b.ok("POST", "/v1/client/sessions/"+sid+"/end", url.Values{})
		s1, s2, s3 := b.signIn("ada@example.com", pw), b.signIn("ada@example.com", pw), b.signIn("ada@example.com", pw)
		b.ok("POST", "/v1/client/sessions/"+s3+"/remove", url.Values{})
		b.ok("DELETE", "/v1/client/sessions", nil) // ends s1 and s2
		s4 := b.signIn("ada@example.com", pw)
		b.ok("DELETE", "/v1/client", nil)

		got = e.auditEvents(audit.Filter{})
		want := []string{audit.UserCreated, audit.SessionCreated, audit.SessionEnded, audit.SessionCreated, audit.SessionCreated,
			audit.SessionCreated, audit.SessionRemoved, audit.SessionEnded, audit.SessionEnded, audit.SessionCreated, audit.SessionEnded}
		if strings.Join(actions(got), " ") != strings.Join(want, " ") {
			t.Fatalf("actions %v, want %v", actions(got), want)
		}
		mustBeUsers(t, got, uid)
		targets := map[string]int{}
		for _, ev := range got[:len(got)-1] {
			targets[ev.TargetID]++
		}
		for _, s := range []string{sid, s1, s2, s3, s4} {
			if targets[s] != 2 { // made, then ended
				t.Fatalf("session %s: %d events, %v", s, targets[s], targets)
			}
		}
	})
}

// TestAuditLockout: failed sign-in attempts record nothing until the
// one that locks the account, recorded as user.locked from the client's
// address with no user named (failing to prove it is nobody's doing);
// attempts on the locked account record nothing more.
func TestAuditLockout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		uid := e.userWithPassword("ada@example.com")
		n := len(e.auditEvents(audit.Filter{}))
		b := e.browser()
		siID := get(b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}}), "response", "id").(string)
		attempt := url.Values{"strategy": {"password"}, "password": {"wrong password!"}}
		for range 9 {
			b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", attempt, 422, "form_password_incorrect")
		}
		if got := e.auditEvents(audit.Filter{}); len(got) != n {
			t.Fatalf("failed attempts wrote events: %+v", got[:len(got)-n])
		}
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", attempt, 403, "user_locked")
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", attempt, 403, "user_locked")
		got := e.auditEvents(audit.Filter{})
		if len(got) != n+1 {
			t.Fatalf("%d events after the lockout, want 1", len(got)-n)
		}
		ev := got[0]
		if ev.Action != audit.UserLocked || ev.TargetType != "user" || ev.TargetID != uid || ev.ActorKind != audit.User ||
			ev.ActorID != "" || ev.IP != "127.0.0.1" || ev.UserAgent == "" || !strings.Contains(string(ev.Detail), "failed_attempts") {
			t.Fatalf("lockout: %+v %s", ev, ev.Detail)
		}
	})
}

// TestAuditProfileImage: a user's own profile image, uploaded and
// removed through the Frontend API, is recorded as the user's change.
func TestAuditProfileImage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit = nil
		uid := e.userWithPassword("ada@example.com")
		b := e.browser()
		b.signIn("ada@example.com", pw)
		st, out := upload(t, b.client, "POST", e.url+"/v1/me/profile_image", testImage(t, "png", 12, 12), nil,
			map[string]string{"Origin": appOrigin})
		if st != 200 {
			t.Fatalf("upload: %d %v", st, out)
		}
		// The test's clock stands still: the removal comes within the
		// millisecond of the upload, and is told of all the same.
		b.ok("DELETE", "/v1/me/profile_image", nil)
		got := e.auditEvents(audit.Filter{Action: audit.UserUpdated})
		if len(got) != 2 {
			t.Fatalf("%d user.updated events, want 2", len(got))
		}
		mustBeUsers(t, got, uid)
		for _, ev := range got {
			if ev.TargetID != uid || !strings.Contains(string(ev.Detail), "image") {
				t.Fatalf("image change: %+v %s", ev, ev.Detail)
			}
		}
	})
}

// TestAuditWebhookTestAndReplay: a test event and a replay through the
// Backend API are recorded as the key's, the replay naming the delivery
// it sends again.
func TestAuditWebhookTestAndReplay(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}))
		st, body := e.callAs(testKey, "POST", "/v1/webhook_endpoints", map[string]any{"url": "http://127.0.0.1:9/hook"})
		var ep struct{ ID string }
		if json.Unmarshal(body, &ep); st != http.StatusOK || ep.ID == "" {
			t.Fatalf("endpoint: %d %s", st, body)
		}
		st, body = e.callAs(testKey, "POST", "/v1/webhook_endpoints/"+ep.ID+"/test", nil)
		var d struct {
			ID      string
			EventID string `json:"event_id"`
		}
		if json.Unmarshal(body, &d); st != http.StatusOK || d.ID == "" {
			t.Fatalf("test: %d %s", st, body)
		}
		if st, body := e.callAs(testKey, "POST", "/v1/webhook_deliveries/"+d.ID+"/replay", nil); st != http.StatusOK {
			t.Fatalf("replay: %d %s", st, body)
		}
		got := e.auditEvents(audit.Filter{})
		if strings.Join(actions(got), " ") != audit.WebhookCreated+" "+audit.WebhookTested+" "+audit.WebhookReplayed {
			t.Fatalf("actions: %v", actions(got))
		}
		tested, replayed := got[1], got[0]
		if tested.TargetType != "webhook_endpoint" || tested.TargetID != ep.ID || tested.ActorID != apikey.ConfigKeyID ||
			!strings.Contains(string(tested.Detail), d.ID) {
			t.Fatalf("tested: %+v %s", tested, tested.Detail)
		}
		if replayed.TargetType != "webhook_message" || replayed.TargetID != d.EventID || replayed.ActorKind != audit.APIKey ||
			replayed.IP != "127.0.0.1" || !strings.Contains(string(replayed.Detail), `"replay_of":"`+d.ID+`"`) {
			t.Fatalf("replayed: %+v %s", replayed, replayed.Detail)
		}
	})
}
