package backendapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

const pw = "correct horse battery"

func (e *env) userWithPassword(email string) string {
	e.t.Helper()
	u, err := e.users.Create(context.Background(), &clerkuser.CreateParams{EmailAddresses: &[]string{email}, Password: ptr(pw)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// signIn signs b in with a password and returns the session ID.
func (b *browser) signIn(identifier, password string) string {
	b.t.Helper()
	out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {identifier}, "strategy": {"password"}, "password": {password}})
	sid, _ := get(out, "response", "created_session_id").(string)
	if get(out, "response", "status") != "complete" || sid == "" {
		b.t.Fatalf("sign-in: %v", out)
	}
	return sid
}

// TestSignIn: identifier then password; an unknown account and a wrong
// password get the same answer; a code by email; several sessions on one
// client; sign-out.
func TestSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()

		out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ADA@example.com"}, "locale": {"en-US"}})
		siID, _ := get(out, "response", "id").(string)
		if get(out, "response", "status") != "needs_first_factor" || get(out, "response", "supported_first_factors", 0, "strategy") != "password" ||
			get(out, "response", "supported_first_factors", 1, "strategy") != "email_code" || get(out, "client", "sign_in", "id") != siID {
			t.Fatalf("identified: %v", out)
		}
		known := b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"wrong password!"}},
			422, "form_password_incorrect")
		// Clerk's default: an unknown account is named as such, on create
		// (with or without a password) and on update.
		for _, v := range []url.Values{{"identifier": {"nobody@example.com"}},
			{"identifier": {"nobody@example.com"}, "strategy": {"password"}, "password": {"wrong password!"}}} {
			if e := b.fails("POST", "/v1/client/sign_ins", v, 422, "form_identifier_not_found"); get(e, "meta", "param_name") != "identifier" {
				t.Fatalf("not found: %v", e)
			}
		}
		b.fails("PATCH", "/v1/client/sign_ins/"+siID, url.Values{"identifier": {"nobody@example.com"}}, 422, "form_identifier_not_found")
		if env := b.ok("GET", "/v1/environment", nil); get(env, "user_settings", "attack_protection", "enumeration_protection", "enabled") != false {
			t.Fatalf("environment: %v", get(env, "user_settings", "attack_protection"))
		}
		// Strict enumeration protection: an unknown account looks like a
		// known one.
		if err := e.app.Settings.Set(context.Background(), instance.StrictEnumerationProtection, "true"); err != nil {
			t.Fatal(err)
		}
		if env := b.ok("GET", "/v1/environment", nil); get(env, "user_settings", "attack_protection", "enumeration_protection", "enabled") != true {
			t.Fatalf("environment: %v", get(env, "user_settings", "attack_protection"))
		}
		ghost := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"nobody@example.com"}})
		if get(ghost, "response", "status") != "needs_first_factor" || get(ghost, "response", "supported_first_factors", 1, "strategy") != "email_code" {
			t.Fatalf("an unknown identifier is told apart: %v", ghost)
		}
		unknown := b.fails("POST", "/v1/client/sign_ins/"+get(ghost, "response", "id").(string)+"/attempt_first_factor",
			url.Values{"strategy": {"password"}, "password": {"wrong password!"}}, 422, "form_password_incorrect")
		if known["long_message"] != unknown["long_message"] || get(known, "meta", "param_name") != "password" {
			t.Fatalf("different answers: %v / %v", known, unknown)
		}
		// A code to an unknown address "is sent" but nothing leaves.
		b.ok("POST", "/v1/client/sign_ins/"+get(ghost, "response", "id").(string)+"/prepare_first_factor", url.Values{"strategy": {"email_code"}})

		// Password.
		b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}})
		siID, _ = get(b.ok("GET", "/v1/client", nil), "response", "sign_in", "id").(string)
		out = b.ok("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}})
		first, _ := get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || get(out, "client", "sessions", 0, "id") != first || get(out, "client", "sign_in") != nil {
			t.Fatalf("password sign-in: %v", out)
		}
		u, err := e.users.Get(context.Background(), userID)
		if err != nil || u.LastSignInAt == nil {
			t.Fatalf("last_sign_in_at not set: %v %+v", err, u)
		}

		// Email code, as a second session on the same client.
		out = b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}})
		siID = get(out, "response", "id").(string)
		b.ok("POST", "/v1/client/sign_ins/"+siID+"/prepare_first_factor", url.Values{"strategy": {"email_code"},
			"email_address_id": {get(out, "response", "supported_first_factors", 1, "email_address_id").(string)}})
		if n := len(mail.Wait(1, 10*time.Second)); n != 1 {
			t.Fatalf("%d emails: the unknown address got one", n)
		}
		code := codeFor(t, mail, 1, "ada@example.com")
		out = b.ok("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {code}})
		second, _ := get(out, "response", "created_session_id").(string)
		if second == "" || second == first || len(get(out, "client", "sessions").([]any)) != 2 {
			t.Fatalf("code sign-in: %v", out)
		}
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {code}}, 400, "client_state_invalid")

		// End one, then sign out of all.
		out = b.ok("POST", "/v1/client/sessions/"+first+"/end", nil)
		if get(out, "response", "status") != "ended" || len(get(out, "client", "sessions").([]any)) != 1 {
			t.Fatalf("end: %v", out)
		}
		out = b.ok("DELETE", "/v1/client/sessions", nil)
		if out["client"] != nil || len(get(out, "response", "sessions").([]any)) != 0 {
			t.Fatalf("sign out: %v", out)
		}
		b.fails("POST", "/v1/client/sessions/"+second+"/tokens", nil, 401, "signed_out")
		b.fails("GET", "/v1/me", nil, 401, "authentication_invalid")
	})
}

// TestLockout: ten wrong passwords lock the account for an hour, shown
// on the user; unlocking through the Backend API lifts it.
func TestLockout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()
		siID := get(b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}}), "response", "id").(string)
		for i := 1; i < 10; i++ {
			b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"wrong password!"}}, 422, "form_password_incorrect")
		}
		u, _ := e.users.Get(context.Background(), userID)
		if u.Locked || u.VerificationAttemptsRemaining == nil || *u.VerificationAttemptsRemaining != 1 {
			t.Fatalf("after 9 failures: %+v", u)
		}
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"wrong password!"}}, 403, "user_locked")
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}}, 403, "user_locked")
		u, _ = e.users.Get(context.Background(), userID)
		if !u.Locked || u.LockoutExpiresInSeconds == nil || *u.LockoutExpiresInSeconds < 3590 || *u.LockoutExpiresInSeconds > 3600 {
			t.Fatalf("locked user: %+v", u)
		}
		// An hour later the lockout is over.
		e.clock.Set(61 * time.Minute)
		b.signIn("ada@example.com", pw)
		e.clock.Set(0)
		for i := 0; i < 10; i++ {
			b.call("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"wrong password!"}})
		}
		b.fails("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}}, 403, "user_locked")
		if _, err := e.users.Unlock(context.Background(), userID); err != nil {
			t.Fatal(err)
		}
		b.signIn("ada@example.com", pw)
	})
}

// TestRateLimits: Clerk's per-IP limits answer 429 with Retry-After.
func TestRateLimits(t *testing.T) {
	e := newEnv(t, "sqlite", withOrigins(appOrigin))
	e.userWithPassword("x@example.com")
	b := e.browser()
	// Probes for accounts that do not exist count as sign-ins.
	for i := 0; i < 4; i++ {
		b.fails("POST", "/v1/client/sign_ins", url.Values{"identifier": {"nobody@example.com"}}, 422, "form_identifier_not_found")
	}
	b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"x@example.com"}})
	st, _, h := b.call("POST", "/v1/client/sign_ins", url.Values{"identifier": {"nobody@example.com"}})
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("6th sign-in in 10 s: %d Retry-After %q", st, h.Get("Retry-After"))
	}
	siID := get(b.ok("GET", "/v1/client", nil), "response", "sign_in", "id").(string)
	for i := 0; i < 3; i++ {
		b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"nope nope"}}, 422, "form_password_incorrect")
	}
	b.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"nope nope"}}, 429, "too_many_requests")
}

// TestSignUpWithInvitation: the emailed link lands on the sign-up with
// the ticket; signing up with it verifies the address, accepts the
// invitation, copies its public_metadata; the ticket cannot be used again.
func TestSignUpWithInvitation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withSettings(map[string]string{instance.SignUpMode: "invitation_only"}))
		ctx := context.Background()
		meta := []byte(`{"team":"blue"}`)
		raw := (*jsonRaw)(&meta)
		inv, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com", PublicMetadata: raw.ptr(),
			RedirectURL: ptr(appOrigin + "/welcome")})
		if err != nil {
			t.Fatal(err)
		}
		// The link redirects to the application with the ticket.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Get(inv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		ticket := loc.Query().Get("__clerk_ticket")
		if res.StatusCode != 303 || !strings.HasPrefix(loc.String(), appOrigin+"/welcome?") || ticket == "" || loc.Query().Get("__clerk_status") != "sign_up" {
			t.Fatalf("landing: %d %s", res.StatusCode, loc)
		}
		b := e.browser()
		// invitation_only: no ticket, no sign-up.
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"eve@example.com"}, "password": {pw}}, 403, "sign_up_mode_restricted")
		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {ticket}})
		suID := get(out, "response", "id").(string)
		if get(out, "response", "status") != "missing_requirements" || get(out, "response", "missing_fields", 0) != "password" ||
			len(get(out, "response", "unverified_fields").([]any)) != 0 || get(out, "response", "email_address") != "grace@example.com" {
			t.Fatalf("ticket sign-up: %v", out)
		}
		out = b.ok("PATCH", "/v1/client/sign_ups/"+suID, url.Values{"password": {pw}})
		userID, _ := get(out, "response", "created_user_id").(string)
		if get(out, "response", "status") != "complete" || userID == "" {
			t.Fatalf("after the password: %v", out)
		}
		u, err := e.users.Get(ctx, userID)
		if err != nil || string(u.PublicMetadata) != `{"team":"blue"}` || u.EmailAddresses[0].Verification.Status != "verified" ||
			u.EmailAddresses[0].Verification.Strategy != "ticket" {
			t.Fatalf("user: %v %+v", err, u)
		}
		l, _ := e.invitations.List(ctx, &invitation.ListParams{Statuses: []string{"accepted"}})
		if l.TotalCount != 1 {
			t.Fatalf("invitation not accepted: %+v", l)
		}
		b2 := e.browser()
		b2.fails("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {ticket}}, 400, "invitation_already_accepted")
	})
}

type jsonRaw []byte

type jsonRawMessage = json.RawMessage

func (j *jsonRaw) ptr() *jsonRawMessage { m := jsonRawMessage(*j); return &m }

// TestRestrictedSignUp: a restricted instance refuses an address off the
// allowlist and accepts one covered by a wildcard domain.
func TestRestrictedSignUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin), withSettings(map[string]string{instance.SignUpMode: "restricted"}))
		if _, err := e.allowlist.Create(context.Background(), &allowlistidentifier.CreateParams{Identifier: ptr("*@corp.example.com")}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		if get(b.ok("GET", "/v1/environment", nil), "user_settings", "sign_up", "mode") != "restricted" {
			t.Fatal("environment does not say restricted")
		}
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"eve@example.com"}, "password": {pw}}, 403, "not_allowed_access")
		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"bob@corp.example.com"}, "password": {pw}, "strategy": {"email_code"}})
		suID := get(out, "response", "id").(string)
		if get(out, "response", "verifications", "email_address", "strategy") != "email_code" {
			t.Fatalf("code not prepared by strategy=email_code: %v", out)
		}
		code := codeFor(t, mail, 1, "bob@corp.example.com")
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {code}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("wildcard sign-up: %v", out)
		}
	})
}

// TestSessionLifecycle: tokens expire after their TTL, sessions after
// their lifetime; a ban revokes sessions, a deleted user's end; the
// Backend API's testing session and token endpoints.
func TestSessionLifecycle(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		userID := e.userWithPassword("ada@example.com")
		sessions := clerksession.NewClient(e.sdkConfig())
		s, err := sessions.Create(ctx, &clerksession.CreateParams{UserID: userID})
		if err != nil || s.Status != "active" || s.UserID != userID || s.ExpireAt-s.CreatedAt != 7*24*3600*1000 {
			t.Fatalf("create session: %v %+v", err, s)
		}
		tok, err := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID})
		if err != nil || tok.JWT == "" {
			t.Fatalf("token: %v %+v", err, tok)
		}
		keys := e.app.Keys
		if _, err := keys.Verify(tok.JWT, e.url, time.Now().Add(59*time.Second)); err != nil {
			t.Fatalf("token before expiry: %v", err)
		}
		if _, err := keys.Verify(tok.JWT, e.url, time.Now().Add(66*time.Second)); err == nil {
			t.Fatal("token verifies after expiry (+ skew)")
		}
		long, err := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID, ExpiresInSeconds: ptr(int64(3600))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Verify(long.JWT, e.url, time.Now().Add(59*time.Minute)); err != nil {
			t.Fatalf("expires_in_seconds: %v", err)
		}
		_, err = sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID, TemplateName: "supabase"})
		apiErr(t, err, 404, "resource_not_found")
		// A week later the session has expired and mints nothing.
		e.clock.Set(7*24*time.Hour + time.Minute)
		_, err = sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID})
		apiErr(t, err, 401, "signed_out")
		e.clock.Set(0)
		if got, _ := sessions.Get(ctx, s.ID); got.Status != "active" {
			t.Fatalf("status now: %s", got.Status)
		}

		// Ban revokes; deleting ends.
		s2, _ := sessions.Create(ctx, &clerksession.CreateParams{UserID: userID})
		if _, err := e.users.Ban(ctx, userID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{s.ID, s2.ID} {
			if got, _ := sessions.Get(ctx, id); got.Status != "revoked" {
				t.Fatalf("after ban: %s is %s", id, got.Status)
			}
		}
		other := e.userWithPassword("bob@example.com")
		s3, _ := sessions.Create(ctx, &clerksession.CreateParams{UserID: other})
		if _, err := e.users.Delete(ctx, other); err != nil {
			t.Fatal(err)
		}
		if got, _ := sessions.Get(ctx, s3.ID); got.Status != "ended" {
			t.Fatalf("after delete: %s", got.Status)
		}
		_, err = sessions.Create(ctx, &clerksession.CreateParams{UserID: "user_nope"})
		apiErr(t, err, 404, "resource_not_found")
		st, body := e.do("GET", "/v1/sessions?status=bogus", nil)
		envelope(t, st, body, 422, "form_param_value_invalid")
		st, body = e.do("GET", "/v1/sessions/sess_nope", nil)
		envelope(t, st, body, 404, "resource_not_found")
	})
}

// TestSessionsCreateNeedsTestKey: POST /v1/sessions is for tests: a
// production (sk_live_) key is refused.
func TestSessionsCreateNeedsTestKey(t *testing.T) {
	e := newEnv(t, "sqlite")
	live := "sk_live_" + strings.Repeat("a", 40)
	if err := e.db.CreateSecretKey(context.Background(), apikey.NewKey(live, time.Now())); err != nil {
		t.Fatal(err)
	}
	userID := e.userWithPassword("ada@example.com")
	req, _ := http.NewRequest("POST", e.url+"/v1/sessions", strings.NewReader(`{"user_id":"`+userID+`"}`))
	req.Header.Set("Authorization", "Bearer "+live)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	envelope(t, res.StatusCode, body, 403, "operation_not_allowed_on_production")
}

// TestPhoneSignUpAndSignIn: a phone number given at sign-up is verified
// by an SMS code too; signing in by phone takes a code.
func TestPhoneSignUpAndSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		sms := newGateway(t, 0)
		e := newEnv(t, engine, withSMTP(mail), withSMS(&delivery.Webhook{URL: sms.URL}), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit = nil
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"ada@example.com"}, "phone_number": {"+14155552671"}, "password": {pw}})
		suID := get(out, "response", "id").(string)
		if len(get(out, "response", "unverified_fields").([]any)) != 2 {
			t.Fatalf("unverified: %v", out)
		}
		b.ok("POST", "/v1/client/sign_ups/"+suID+"/prepare_verification", url.Values{"strategy": {"email_code"}})
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {codeFor(t, mail, 1, "ada@example.com")}})
		if get(out, "response", "status") != "missing_requirements" || get(out, "response", "unverified_fields", 0) != "phone_number" {
			t.Fatalf("after the email: %v", out)
		}
		b.ok("POST", "/v1/client/sign_ups/"+suID+"/prepare_verification", url.Values{"strategy": {"phone_code"}})
		code := smsCode(t, sms, 1)
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"phone_code"}, "code": {code}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("after the phone: %v", out)
		}
		// Sign in by phone number with a code.
		b2 := e.browser()
		out = b2.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"+14155552671"}})
		siID := get(out, "response", "id").(string)
		b2.ok("POST", "/v1/client/sign_ins/"+siID+"/prepare_first_factor", url.Values{"strategy": {"phone_code"}})
		out = b2.ok("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"phone_code"}, "code": {smsCode(t, sms, 2)}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("phone sign-in: %v", out)
		}
	})
}

func smsCode(t *testing.T, g *gateway, n int) string {
	t.Helper()
	r := g.wait(t, n)[n-1]
	var doc struct{ To, Message string }
	json.Unmarshal(r.body, &doc)
	code := codeRe.FindString(doc.Message)
	if doc.To != "+14155552671" || code == "" {
		t.Fatalf("sms %+v", doc)
	}
	return code
}

// TestRequiredIdentifiersSetting: with phone_number required, a sign-up
// with an email address alone lacks it, and the environment says so.
func TestRequiredIdentifiersSetting(t *testing.T) {
	e := newEnv(t, "sqlite", withOrigins(appOrigin), withSettings(map[string]string{instance.RequiredIdentifiers: "phone_number"}))
	b := e.browser()
	env := b.ok("GET", "/v1/environment", nil)
	if get(env, "user_settings", "attributes", "phone_number", "required") != true || get(env, "user_settings", "attributes", "email_address", "required") != false {
		t.Fatalf("environment attributes: %v", get(env, "user_settings", "attributes"))
	}
	out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"ada@example.com"}, "password": {pw}})
	if get(out, "response", "missing_fields", 0) != "phone_number" || get(out, "response", "required_fields", 0) != "phone_number" {
		t.Fatalf("sign-up: %v", out)
	}
}
