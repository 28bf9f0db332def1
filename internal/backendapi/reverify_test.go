package backendapi_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// TestReverification: a sensitive change (adding an authenticator app,
// changing the password, removing an address) on a session whose factor
// is older than ten minutes answers 403 session_reverification_required;
// the session verifies again with its password (a user without a second
// factor) or its app's code (a user with one, at clerk-js's level
// second_factor), its factor_verification_age starts again, and the
// change goes through.
func TestReverification(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		e.userWithPassword("ada@example.com")
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		later := e.clock.Set

		later(11 * time.Minute)
		for _, c := range []struct {
			method, path string
			form         url.Values
		}{
			{"POST", "/v1/me/totp", nil},
			{"POST", "/v1/me/change_password", url.Values{"current_password": {pw}, "new_password": {"another long password"}}},
			{"DELETE", "/v1/me", nil},
		} {
			out := b.fails(c.method, c.path, c.form, 403, "session_reverification_required")
			if get(out, "meta", "reverification", "level") != "second_factor" {
				t.Fatalf("%s %s: %v", c.method, c.path, out)
			}
		}
		// The step-up: a wrong password, then the right one.
		verify := "/v1/client/sessions/" + sid + "/verify"
		b.fails("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}}, 400, "verification_missing")
		b.fails("POST", verify, url.Values{"level": {"everything"}}, 422, "form_param_value_invalid")
		out := b.ok("POST", verify, url.Values{"level": {"second_factor"}})
		if get(out, "response", "object") != "session_reverification" || get(out, "response", "status") != "needs_first_factor" ||
			get(out, "response", "supported_first_factors", 0, "strategy") != "password" || get(out, "response", "session", "id") != sid {
			t.Fatalf("started: %v", out)
		}
		b.fails("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {"wrong password!"}}, 422, "form_password_incorrect")
		b.fails("POST", verify+"/attempt_second_factor", url.Values{"strategy": {"totp"}, "code": {"123456"}}, 400, "client_state_invalid")
		out = b.ok("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}})
		if get(out, "response", "status") != "complete" || get(out, "response", "session", "factor_verification_age", 0) != 0.0 {
			t.Fatalf("verified: %v", out)
		}
		out = b.ok("POST", "/v1/me/totp", nil)
		secret := get(out, "response", "secret").(string)
		code, _ := mfa.Code(secret, mfa.Step(time.Now()))
		b.ok("POST", "/v1/me/totp/attempt_verification", url.Values{"code": {code}})

		// With an app: level second_factor asks for its code alone.
		later(22 * time.Minute)
		b.fails("DELETE", "/v1/me/totp", nil, 403, "session_reverification_required")
		out = b.ok("POST", verify, url.Values{"level": {"second_factor"}})
		if get(out, "response", "status") != "needs_second_factor" || get(out, "response", "supported_second_factors", 0, "strategy") != "totp" {
			t.Fatalf("second-factor step-up: %v", out)
		}
		b.ok("POST", verify+"/prepare_second_factor", url.Values{"strategy": {"totp"}})
		next, _ := mfa.Code(secret, mfa.Step(time.Now())+1)
		out = b.ok("POST", verify+"/attempt_second_factor", url.Values{"strategy": {"totp"}, "code": {next}})
		if age := get(out, "response", "session", "factor_verification_age"); get(out, "response", "status") != "complete" || get(age, 1) != 0.0 {
			t.Fatalf("verified with the app: %v", out)
		}
		if fva := b.fva(sid); fva[1] != 0.0 {
			t.Fatalf("fva after the step-up: %v", fva)
		}
		b.ok("DELETE", "/v1/me/totp", nil)

		// multi_factor with an app asks for both; without one, the first.
		out = b.ok("POST", verify, url.Values{"level": {"multi_factor"}})
		if get(out, "response", "status") != "needs_first_factor" {
			t.Fatalf("multi_factor: %v", out)
		}
		out = b.ok("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("multi_factor without a second factor: %v", out)
		}
		// An emailed code proves the first factor too (on the real clock:
		// the outbox sends what is due now).
		e.clock.Set(0)
		out = b.ok("POST", verify, url.Values{"level": {"first_factor"}})
		var emailID string
		for _, f := range get(out, "response", "supported_first_factors").([]any) {
			if get(f, "strategy") == "email_code" {
				emailID, _ = get(f, "email_address_id").(string)
			}
		}
		b.fails("POST", verify+"/prepare_first_factor", url.Values{"strategy": {"phone_code"}}, 400, "strategy_for_user_invalid")
		b.ok("POST", verify+"/prepare_first_factor", url.Values{"strategy": {"email_code"}, "email_address_id": {emailID}})
		code = codeFor(t, mail, 1, "ada@example.com")
		b.fails("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {wrongCode(code)}}, 422, "form_code_incorrect")
		if out := b.ok("POST", verify+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {code}}); get(out, "response", "status") != "complete" {
			t.Fatalf("email code step-up: %v", out)
		}
		b.fails("POST", "/v1/client/sessions/sess_unknown/verify", nil, 404, "resource_not_found")
	})
}
