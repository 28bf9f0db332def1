package backendapi_test

import (
	"net/url"
	"strings"
	"testing"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// TestClientTrust: with the new-device check on, a password sign-in of a
// user without a second factor on a client never used for them answers
// needs_client_trust and is completed by a code emailed to them; the
// same client is known afterwards, even signed out. A user with a
// second factor gets that instead, bypass_client_trust skips the check,
// an emailed code as the first factor needs none, and the setting turns
// it off.
func TestClientTrust(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin), withSettings(map[string]string{instance.ClientTrust: "true"}))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		userID := e.userWithPassword("ada@example.com")
		if u, _ := e.users.Get(t.Context(), userID); u.EmailAddresses[0].ID == "" {
			t.Fatal("no email address")
		}
		emails := 0
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}})
		si := get(out, "response").(map[string]any)
		f := get(si, "supported_second_factors").([]any)
		if si["status"] != "needs_client_trust" || si["client_trust_state"] != "new" || len(f) != 1 ||
			get(f, 0, "strategy") != "email_code" || get(f, 0, "safe_identifier") != "ada@example.com" || get(f, 0, "email_address_id") == nil {
			t.Fatalf("new client: %v", si)
		}
		path := "/v1/client/sign_ins/" + si["id"].(string)
		b.fails("POST", path+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {"123456"}}, 400, "verification_missing")
		b.fails("POST", path+"/attempt_second_factor", url.Values{"strategy": {"totp"}, "code": {"123456"}}, 400, "strategy_for_user_invalid")
		b.ok("POST", path+"/prepare_second_factor", url.Values{"strategy": {"email_code"}, "email_address_id": {get(f, 0, "email_address_id").(string)}})
		emails++
		code := codeFor(t, mail, emails, "ada@example.com")
		b.fails("POST", path+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {wrongCode(code)}}, 422, "form_code_incorrect")
		out = b.ok("POST", path+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {code}})
		sid, _ := get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" {
			t.Fatalf("confirmed: %v", out)
		}
		if fva := b.fva(sid); fva[1] != -1.0 {
			t.Fatalf("fva %v: an email code is not a second factor", fva)
		}
		// Known from now on, even after signing out.
		b.ok("DELETE", "/v1/client/sessions", nil)
		b.signIn("ada@example.com", pw)

		// An emailed code as the first factor proves the address already.
		b2 := e.browser()
		out = b2.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"email_code"}})
		emails++
		code = codeFor(t, mail, emails, "ada@example.com")
		out = b2.ok("POST", "/v1/client/sign_ins/"+get(out, "response", "id").(string)+"/attempt_first_factor",
			url.Values{"strategy": {"email_code"}, "code": {code}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("email code sign-in: %v", out)
		}

		// bypass_client_trust skips the check.
		e.call("PATCH", "/v1/users/"+userID, map[string]any{"bypass_client_trust": true}, 200)
		e.browser().signIn("ada@example.com", pw)
		e.call("PATCH", "/v1/users/"+userID, map[string]any{"bypass_client_trust": false}, 200)

		// Off: no check.
		if err := e.app.Settings.Set(t.Context(), instance.ClientTrust, "false"); err != nil {
			t.Fatal(err)
		}
		e.browser().signIn("ada@example.com", pw)
		if err := e.app.Settings.Set(t.Context(), instance.ClientTrust, "true"); err != nil {
			t.Fatal(err)
		}
		b3 := e.browser()
		out = b3.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}})
		if get(out, "response", "status") != "needs_client_trust" {
			t.Fatalf("on again: %v", out)
		}

		// The hosted sign-in sends the code when it asks for it.
		v := e.visitor()
		st, body, _ := v.post("/sign-in", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}})
		if st != 200 || !strings.Contains(body, "Confirm this browser") {
			t.Fatalf("hosted new-device step: %d\n%s", st, body)
		}
		emails++
		code = codeFor(t, mail, emails, "ada@example.com")
		form := url.Values{"sign_in_id": {between(body, `name="sign_in_id" value="`, `"`)}, "strategy": {"email_code"}, "code": {code}}
		if st, _, h := v.post("/sign-in/second-factor", form); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("hosted new-device sign-in: %d %v", st, h)
		}

		// A user with a second factor is asked for it instead.
		if _, err := e.users.Create(t.Context(), &clerkuser.CreateParams{EmailAddresses: &[]string{"bob@example.com"},
			Password: ptr(pw), TOTPSecret: ptr("JBSWY3DPEHPK3PXP")}); err != nil {
			t.Fatal(err)
		}
		e.browser().startSignIn("bob@example.com", pw)
	})
}
