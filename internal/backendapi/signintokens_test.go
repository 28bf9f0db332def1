package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/actortoken"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/clerk/clerk-sdk-go/v2/signintoken"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// ticketSignIn signs b in with a ticket and returns the answer.
func (b *browser) ticketSignIn(ticket string, status int, code string) map[string]any {
	b.t.Helper()
	form := url.Values{"strategy": {"ticket"}, "ticket": {ticket}}
	if code != "" {
		return b.fails("POST", "/v1/client/sign_ins", form, status, code)
	}
	return b.ok("POST", "/v1/client/sign_ins", form)
}

// TestSignInTokens: clerk-sdk-go mints a sign-in token; its link lands
// on the sign-in page with __clerk_ticket; the ticket strategy signs the
// user in once; a revoked, expired or foreign ticket is refused; a user
// with a second factor is still asked for it; bad input is a 4xx.
func TestSignInTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		ctx := context.Background()
		tokens := signintoken.NewClient(e.sdkConfig())
		adaID := e.userWithPassword("ada@example.com")

		tok, err := tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID, ExpiresInSeconds: clerk.Int64(600)})
		if err != nil || tok.Object != "sign_in_token" || tok.Status != "pending" || tok.UserID != adaID || tok.Token == "" || tok.URL == nil {
			t.Fatalf("create: %+v %v", tok, err)
		}
		loc := e.land(*tok.URL)
		if loc.Path != "/sign-in" || loc.Query().Get("__clerk_ticket") != tok.Token || loc.Query().Get("__clerk_status") != "sign_in" {
			t.Fatalf("landing: %s", loc)
		}
		b := e.browser()
		out := b.ticketSignIn(tok.Token, 0, "")
		sid, _ := get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" || get(out, "response", "identifier") != "ada@example.com" {
			t.Fatalf("ticket sign-in: %v", out)
		}
		if c := b.claims(sid); c["sub"] != adaID || c["act"] != nil {
			t.Fatalf("claims: %v", c)
		}
		// Single use, in this browser and any other.
		e.browser().ticketSignIn(tok.Token, 400, "ticket_invalid_code")
		if _, err := tokens.Revoke(ctx, tok.ID); err == nil {
			t.Fatal("a used token was revoked")
		} else {
			apiErr(t, err, 400, "ticket_not_pending")
		}

		// Revoked before use: refused, and its link shows the error.
		tok2, err := tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID})
		if err != nil {
			t.Fatal(err)
		}
		if rv, err := tokens.Revoke(ctx, tok2.ID); err != nil || rv.Status != "revoked" || rv.Token != "" {
			t.Fatalf("revoke: %+v %v", rv, err)
		}
		e.browser().ticketSignIn(tok2.Token, 400, "ticket_invalid_code")
		if loc := e.land(*tok2.URL); loc.Query().Get("__clerk_error") != "ticket_invalid_code" {
			t.Fatalf("revoked landing: %s", loc)
		}

		// The hosted sign-in page: the link's landing shows who the
		// ticket signs in, and one button does it.
		tok7, _ := tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID})
		v := e.visitor()
		landing := e.land(*tok7.URL)
		st, body, _ := v.get(landing.RequestURI())
		if st != 200 || !strings.Contains(body, "Continue as ada@example.com") || !strings.Contains(body, `name="ticket" value="`+tok7.Token+`"`) {
			t.Fatalf("hosted landing: %d\n%s", st, body)
		}
		if st, _, h := v.post("/sign-in", url.Values{"strategy": {"ticket"}, "ticket": {tok7.Token}}); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("hosted ticket sign-in: %d %v", st, h)
		}
		if st, body, _ := v.get(landing.RequestURI()); st < 400 || st >= 500 || !strings.Contains(body, "already used") {
			t.Fatalf("hosted landing of a used ticket: %d\n%s", st, body)
		}

		// Expired: an hour on.
		tok3, _ := tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID, ExpiresInSeconds: clerk.Int64(1)})
		e.app.API.Tickets.Now = func() time.Time { return time.Now().Add(time.Hour) }
		e.browser().ticketSignIn(tok3.Token, 400, "ticket_expired_code")
		e.app.API.Tickets.Now = time.Now

		// Two browsers racing one ticket: exactly one session.
		tok4, _ := tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID})
		var wg sync.WaitGroup
		results := make([]int, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, _, _ := e.browser().call("POST", "/v1/client/sign_ins", url.Values{"strategy": {"ticket"}, "ticket": {tok4.Token}})
				results[i] = st
			}()
		}
		wg.Wait()
		won := 0
		for _, st := range results {
			if st == 200 {
				won++
			} else if st != 400 {
				t.Fatalf("racing ticket sign-ins: %v", results)
			}
		}
		if won != 1 {
			t.Fatalf("racing ticket sign-ins: %v", results)
		}

		// A user with an authenticator app still proves it.
		secret := "JBSWY3DPEHPK3PXP"
		mfa, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"mfa@example.com"}, TOTPSecret: &secret, Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		tok5, _ := tokens.Create(ctx, &signintoken.CreateParams{UserID: &mfa.ID})
		mb := e.browser()
		out = mb.ticketSignIn(tok5.Token, 0, "")
		if get(out, "response", "status") != "needs_second_factor" {
			t.Fatalf("ticket with a second factor: %v", out)
		}
		siID := get(out, "response", "id").(string)
		out = mb.ok("POST", "/v1/client/sign_ins/"+siID+"/attempt_second_factor", url.Values{"strategy": {"totp"}, "code": {totpCode(t, secret, 0)}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("second factor after a ticket: %v", out)
		}
		e.browser().ticketSignIn(tok5.Token, 400, "ticket_invalid_code")

		// Bad input.
		_, err = tokens.Create(ctx, &signintoken.CreateParams{})
		apiErr(t, err, 422, "form_param_missing")
		_, err = tokens.Create(ctx, &signintoken.CreateParams{UserID: clerk.String("user_missing")})
		apiErr(t, err, 404, "resource_not_found")
		_, err = tokens.Create(ctx, &signintoken.CreateParams{UserID: &adaID, ExpiresInSeconds: clerk.Int64(0)})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = tokens.Revoke(ctx, "sit_missing")
		apiErr(t, err, 404, "resource_not_found")
		if st, _ := e.do("POST", "/v1/sign_in_tokens", `{"user_id": 5}`); st != 422 && st != 400 {
			t.Fatalf("a numeric user_id: %d", st)
		}
		e.browser().ticketSignIn("not.a.ticket", 400, "ticket_invalid_code")
		// A ticket whose signature was tampered with.
		e.browser().ticketSignIn(tok.Token+"x", 400, "ticket_invalid_code")
		// A deleted user's token leads nowhere.
		gone := e.plainUser("gone@example.com")
		tok6, _ := tokens.Create(ctx, &signintoken.CreateParams{UserID: &gone})
		if _, err := e.users.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		e.browser().ticketSignIn(tok6.Token, 400, "ticket_invalid_code")
	})
}

// TestActorTokens: an actor token signs an operator in as the user
// without the user's second factor; the session shows the actor in the
// Backend API and the token's act claim; the session lasts at most
// session_max_duration_in_seconds; revoke and bad input.
func TestActorTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		actors := actortoken.NewClient(e.sdkConfig())
		secret := "JBSWY3DPEHPK3PXP"
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, TOTPSecret: &secret, Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := actors.Create(ctx, &actortoken.CreateParams{UserID: &u.ID, Actor: json.RawMessage(`{"sub": "user_admin", "reason": "support"}`),
			SessionMaxDurationInSeconds: clerk.Int64(600)})
		if err != nil || tok.Object != "actor_token" || tok.Status != "pending" || tok.Token == "" || tok.URL == nil {
			t.Fatalf("create: %+v %v", tok, err)
		}
		var actor map[string]any
		if json.Unmarshal(tok.Actor, &actor); actor["sub"] != "user_admin" {
			t.Fatalf("actor: %s", tok.Actor)
		}
		b := e.browser()
		out := b.ticketSignIn(tok.Token, 0, "")
		sid, _ := get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" {
			t.Fatalf("actor sign-in: %v", out)
		}
		act, _ := b.claims(sid)["act"].(map[string]any)
		if act["sub"] != "user_admin" || act["reason"] != "support" {
			t.Fatalf("act claim: %v", act)
		}
		s, err := clerksession.NewClient(e.sdkConfig()).Get(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		var sa map[string]any
		if json.Unmarshal(s.Actor, &sa); sa["sub"] != "user_admin" {
			t.Fatalf("session actor: %s", s.Actor)
		}
		if left := s.ExpireAt - s.CreatedAt; left > 600_000 || left < 590_000 {
			t.Fatalf("an impersonated session lasts %d ms, want 600 s", left)
		}
		e.browser().ticketSignIn(tok.Token, 400, "ticket_invalid_code")

		tok2, _ := actors.Create(ctx, &actortoken.CreateParams{UserID: &u.ID, Actor: json.RawMessage(`{"sub": "user_admin"}`)})
		if rv, err := actors.Revoke(ctx, tok2.ID); err != nil || rv.Status != "revoked" {
			t.Fatalf("revoke: %+v %v", rv, err)
		}
		e.browser().ticketSignIn(tok2.Token, 400, "ticket_invalid_code")

		_, err = actors.Create(ctx, &actortoken.CreateParams{UserID: &u.ID})
		apiErr(t, err, 422, "form_param_missing")
		_, err = actors.Create(ctx, &actortoken.CreateParams{UserID: &u.ID, Actor: json.RawMessage(`{"name": "no sub"}`)})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = actors.Create(ctx, &actortoken.CreateParams{UserID: &u.ID, Actor: json.RawMessage(`["x"]`)})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = actors.Revoke(ctx, "act_missing")
		apiErr(t, err, 404, "resource_not_found")
		// A sign-in token's ID is not an actor token's.
		st, err := signintoken.NewClient(e.sdkConfig()).Create(ctx, &signintoken.CreateParams{UserID: &u.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = actors.Revoke(ctx, st.ID)
		apiErr(t, err, 404, "resource_not_found")
	})
}
