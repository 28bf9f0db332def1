package backendapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/mfa"
)

// totpCode is the app's code of secret steps from now.
func totpCode(t *testing.T, secret string, steps int64) string {
	t.Helper()
	c, err := mfa.Code(secret, mfa.Step(time.Now())+steps)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startSignIn signs b in with a password up to the second factor and
// returns the sign-in.
func (b *browser) startSignIn(identifier, password string) map[string]any {
	b.t.Helper()
	out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {identifier}, "strategy": {"password"}, "password": {password}})
	if get(out, "response", "status") != "needs_second_factor" || get(out, "response", "created_session_id") != nil {
		b.t.Fatalf("password with a second factor: %v", out)
	}
	return get(out, "response").(map[string]any)
}

// signInSecondFactor signs b in with a password, then a second factor,
// and returns the session ID.
func (b *browser) signInSecondFactor(identifier, password, strategy, code string) string {
	b.t.Helper()
	si := b.startSignIn(identifier, password)
	out := b.ok("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor", url.Values{"strategy": {strategy}, "code": {code}})
	sid, _ := get(out, "response", "created_session_id").(string)
	if get(out, "response", "status") != "complete" || sid == "" {
		b.t.Fatalf("second factor %s: %v", strategy, out)
	}
	return sid
}

// claims reads the claims of a session token minted for sid.
func (b *browser) claims(sid string) map[string]any {
	b.t.Helper()
	out := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", nil)
	parts := strings.Split(out["jwt"].(string), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(raw, &claims)
	return claims
}

// fva reads the fva claim of a session token minted for sid.
func (b *browser) fva(sid string) []any {
	b.t.Helper()
	v, _ := b.claims(sid)["fva"].([]any)
	return v
}

// TestSecondFactorSignIn: a user adds an authenticator app from their
// profile (its first code confirms it and gives ten backup codes), then
// signs in with a password and the app's next code, or a backup code,
// each working once; a phone number reserved for the second factor gets
// an SMS code; failures count towards the lockout; the fva claim tells
// the second factor's age; removing the factors ends the second step.
func TestSecondFactorSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		sms := newGateway(t, 0)
		e := newEnv(t, engine, withSMS(&delivery.Webhook{URL: sms.URL}), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		ctx := context.Background()
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()
		b.signIn("ada@example.com", pw)

		env := b.ok("GET", "/v1/environment", nil)
		for _, a := range []string{"authenticator_app", "backup_code", "phone_number"} {
			if get(env, "user_settings", "attributes", a, "used_for_second_factor") != true {
				t.Fatalf("environment %s: %v", a, get(env, "user_settings", "attributes", a))
			}
		}
		// The app: a secret, a wrong code refused, the right one confirms.
		b.fails("POST", "/v1/me/totp/attempt_verification", url.Values{"code": {"123456"}}, 400, "verification_missing")
		out := b.ok("POST", "/v1/me/totp", nil)
		secret, _ := get(out, "response", "secret").(string)
		uri, _ := get(out, "response", "uri").(string)
		if secret == "" || !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) ||
			get(out, "response", "verified") != false || get(out, "client", "id") == nil {
			t.Fatalf("totp: %v", out)
		}
		enrolStep := mfa.Step(time.Now())
		enrolCode, _ := mfa.Code(secret, enrolStep)
		b.fails("POST", "/v1/me/totp/attempt_verification", url.Values{"code": {wrongCode(enrolCode)}}, 422, "form_code_incorrect")
		b.fails("POST", "/v1/me/totp/attempt_verification", url.Values{}, 422, "form_param_missing")
		out = b.ok("POST", "/v1/me/totp/attempt_verification", url.Values{"code": {enrolCode}})
		codes, _ := get(out, "response", "backup_codes").([]any)
		if get(out, "response", "verified") != true || len(codes) != 10 {
			t.Fatalf("verified: %v", out)
		}
		me := b.ok("GET", "/v1/me", nil)
		if get(me, "response", "totp_enabled") != true || get(me, "response", "backup_code_enabled") != true ||
			get(me, "response", "two_factor_enabled") != true {
			t.Fatalf("me: %v", get(me, "response"))
		}
		b.fails("POST", "/v1/me/totp", nil, 400, "totp_already_enabled")

		// Sign-in: the password, then the app's code.
		b2 := e.browser()
		si := b2.startSignIn("ada@example.com", pw)
		siID := si["id"].(string)
		f := get(si, "supported_second_factors").([]any)
		if len(f) != 2 || get(f, 0, "strategy") != "totp" || get(f, 0, "default") != true || get(f, 1, "strategy") != "backup_code" {
			t.Fatalf("second factors: %v", f)
		}
		if get(si, "first_factor_verification", "status") != "verified" {
			t.Fatalf("first factor: %v", si)
		}
		b2.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}}, 400, "client_state_invalid")
		path := "/v1/client/sign_ins/" + siID + "/attempt_second_factor"
		// The code that confirmed the app was used: not again.
		b2.fails("POST", path, url.Values{"strategy": {"totp"}, "code": {enrolCode}}, 422, "form_code_incorrect")
		b2.fails("POST", path, url.Values{"strategy": {"phone_code"}, "code": {"123456"}}, 400, "strategy_for_user_invalid")
		b2.fails("POST", path, url.Values{"strategy": {"totp"}}, 422, "form_param_missing")
		b2.ok("POST", "/v1/client/sign_ins/"+siID+"/prepare_second_factor", url.Values{"strategy": {"totp"}})
		next, _ := mfa.Code(secret, enrolStep+1)
		out = b2.ok("POST", path, url.Values{"strategy": {"totp"}, "code": {next}})
		sid, _ := get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" || get(out, "response", "second_factor_verification", "status") != "verified" {
			t.Fatalf("totp sign-in: %v", out)
		}
		if fva := b2.fva(sid); len(fva) != 2 || fva[0] != 0.0 || fva[1] != 0.0 {
			t.Fatalf("fva after two factors: %v", fva)
		}
		if age := get(b2.ok("GET", "/v1/client", nil), "response", "sessions", 0, "factor_verification_age"); age.([]any)[1] != 0.0 {
			t.Fatalf("factor_verification_age: %v", age)
		}
		// The first session, without a second factor, says so.
		if fva := b.fva(get(b.ok("GET", "/v1/client", nil), "response", "last_active_session_id").(string)); fva[1] != -1.0 {
			t.Fatalf("fva of a one-factor session: %v", fva)
		}

		// A backup code, once.
		code := codes[3].(string)
		b3 := e.browser()
		si = b3.startSignIn("ada@example.com", pw)
		out = b3.ok("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor", url.Values{"strategy": {"backup_code"}, "code": {code}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("backup code: %v", out)
		}
		b4 := e.browser()
		si = b4.startSignIn("ada@example.com", pw)
		b4.fails("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor", url.Values{"strategy": {"backup_code"}, "code": {code}}, 422, "form_code_incorrect")
		u, err := e.users.Get(ctx, userID)
		// (The completed sign-ins reset the count: one failure since.)
		if err != nil || u.VerificationAttemptsRemaining == nil || *u.VerificationAttemptsRemaining != 9 {
			t.Fatalf("failed second factors count: %v %v", err, *u.VerificationAttemptsRemaining)
		}
		// New backup codes replace the old.
		out = b.ok("POST", "/v1/me/backup_codes/", nil)
		if fresh, _ := get(out, "response", "codes").([]any); len(fresh) != 10 || get(out, "response", "object") != "backup_code" {
			t.Fatalf("backup codes: %v", out)
		}
		b4.fails("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor", url.Values{"strategy": {"backup_code"}, "code": {codes[5].(string)}}, 422, "form_code_incorrect")

		// A phone number as a second factor: verified first, then
		// reserved; the sign-in offers it masked and sends an SMS.
		phoneID := get(b.ok("POST", "/v1/me/phone_numbers", url.Values{"phone_number": {"+14155552671"}}), "response", "id").(string)
		b.fails("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"true"}}, 400, "phone_number_not_verified")
		b.fails("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"maybe"}}, 422, "form_param_value_invalid")
		b.ok("POST", "/v1/me/phone_numbers/"+phoneID+"/prepare_verification", url.Values{"strategy": {"phone_code"}})
		b.ok("POST", "/v1/me/phone_numbers/"+phoneID+"/attempt_verification", url.Values{"code": {smsCode(t, sms, 1)}})
		out = b.ok("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"true"}})
		if get(out, "response", "reserved_for_second_factor") != true || get(out, "response", "default_second_factor") != true {
			t.Fatalf("reserved: %v", out)
		}
		b5 := e.browser()
		si = b5.startSignIn("ada@example.com", pw)
		f = get(si, "supported_second_factors").([]any)
		if len(f) != 3 || get(f, 1, "strategy") != "phone_code" || get(f, 1, "phone_number_id") != phoneID ||
			get(f, 1, "safe_identifier") != "+14*******71" {
			t.Fatalf("second factors with a phone: %v", f)
		}
		siID = si["id"].(string)
		b5.fails("POST", "/v1/client/sign_ins/"+siID+"/attempt_second_factor", url.Values{"strategy": {"phone_code"}, "code": {"123456"}}, 400, "verification_missing")
		b5.ok("POST", "/v1/client/sign_ins/"+siID+"/prepare_second_factor", url.Values{"strategy": {"phone_code"}, "phone_number_id": {phoneID}})
		smsIn := smsCode(t, sms, 2)
		out = b5.ok("POST", "/v1/client/sign_ins/"+siID+"/attempt_second_factor", url.Values{"strategy": {"phone_code"}, "code": {smsIn}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("sms sign-in: %v", out)
		}
		if u, _ := e.users.Get(ctx, userID); u.VerificationAttemptsRemaining == nil || *u.VerificationAttemptsRemaining != 10 {
			t.Fatalf("a completed sign-in resets the failures: %+v", u.VerificationAttemptsRemaining)
		}

		// Removing the app keeps the phone and the codes; unreserving the
		// phone too leaves no second factor, and no second step.
		if out := b.ok("DELETE", "/v1/me/totp", nil); get(out, "response", "deleted") != true {
			t.Fatalf("delete totp: %v", out)
		}
		b.fails("DELETE", "/v1/me/totp", nil, 404, "resource_not_found")
		b.ok("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"false"}})
		me = b.ok("GET", "/v1/me", nil)
		if get(me, "response", "two_factor_enabled") != false || get(me, "response", "backup_code_enabled") != false {
			t.Fatalf("no second factor left: %v", get(me, "response"))
		}
		b.fails("POST", "/v1/me/backup_codes", nil, 400, "backup_codes_require_second_factor")
		e.browser().signIn("ada@example.com", pw)

		// The instance can stop offering them.
		if err := e.app.Settings.Set(ctx, instance.SecondFactors, "none"); err != nil {
			t.Fatal(err)
		}
		b.fails("POST", "/v1/me/totp", nil, 400, "feature_not_enabled")
		b.fails("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"true"}}, 400, "feature_not_enabled")
		if get(b.ok("GET", "/v1/environment", nil), "user_settings", "attributes", "authenticator_app", "used_for_second_factor") != false {
			t.Fatal("environment still offers the app")
		}
		if err := e.app.Settings.Set(ctx, instance.SecondFactors, "sms"); err == nil {
			t.Fatal("an unknown second factor was accepted")
		}
	})
}

// TestImportedSecondFactorsSignIn: a user created through the Backend
// API with the totp_secret and backup_codes an import brings is asked
// for them at sign-in, even on an instance that offers none for
// enrolment.
func TestImportedSecondFactorsSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withSettings(map[string]string{instance.SecondFactors: "none"}), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		const secret = "JBSWY3DPEHPK3PXP"
		_, err := e.users.Create(context.Background(), &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
			Password: ptr(pw), TOTPSecret: ptr(secret), BackupCodes: &[]string{"imported-code"}})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		si := b.startSignIn("ada@example.com", pw)
		out := b.ok("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor",
			url.Values{"strategy": {"totp"}, "code": {totpCode(t, secret, 0)}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("imported totp: %v", out)
		}
		b2 := e.browser()
		si = b2.startSignIn("ada@example.com", pw)
		out = b2.ok("POST", "/v1/client/sign_ins/"+si["id"].(string)+"/attempt_second_factor",
			url.Values{"strategy": {"backup_code"}, "code": {"imported-code"}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("imported backup code: %v", out)
		}
	})
}

// TestHostedSecondFactor: the hosted sign-in asks a user with an
// authenticator app for its code after the password (a wrong one is
// refused on the form), and takes a backup code in the same field; a
// user whose second factor is a phone number gets the SMS when the step
// opens.
func TestHostedSecondFactor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		sms := newGateway(t, 0)
		e := newEnv(t, engine, withSMS(&delivery.Webhook{URL: sms.URL}), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		const secret = "JBSWY3DPEHPK3PXP"
		_, err := e.users.Create(context.Background(), &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
			Password: ptr(pw), TOTPSecret: ptr(secret), BackupCodes: &[]string{"backup-one"}})
		if err != nil {
			t.Fatal(err)
		}
		step := func(v *visitor, identifier string) string {
			t.Helper()
			st, body, _ := v.post("/sign-in", url.Values{"identifier": {identifier}, "strategy": {"password"}, "password": {pw}})
			if st != 200 || !strings.Contains(body, `action="/sign-in/second-factor"`) || !strings.Contains(body, "Two-step verification") {
				t.Fatalf("second step: %d\n%s", st, body)
			}
			return between(body, `name="sign_in_id" value="`, `"`)
		}
		v := e.visitor()
		siID := step(v, "ada@example.com")
		form := url.Values{"sign_in_id": {siID}, "strategy": {"totp"}}
		form.Set("code", wrongCode(totpCode(t, secret, 0)))
		if st, body, _ := v.post("/sign-in/second-factor", form); st != 422 || !strings.Contains(body, "incorrect") {
			t.Fatalf("wrong code: %d\n%s", st, body)
		}
		form.Set("code", totpCode(t, secret, 0))
		if st, _, h := v.post("/sign-in/second-factor", form); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("signed in with the app: %d %v", st, h)
		}
		v = e.visitor()
		siID = step(v, "ada@example.com")
		if st, _, h := v.post("/sign-in/second-factor", url.Values{"sign_in_id": {siID}, "strategy": {"totp"}, "code": {"backup-one"}}); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("signed in with a backup code: %d %v", st, h)
		}

		// A phone number as the only second factor: the code comes by SMS.
		bob, _, phoneID := e.newUserWith("bob@example.com", "+14155552671")
		if _, err := e.users.Update(context.Background(), bob, &clerkuser.UpdateParams{Password: ptr(pw)}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn("bob@example.com", pw)
		b.ok("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"true"}})
		v = e.visitor()
		siID = step(v, "bob@example.com")
		code := smsCode(t, sms, 1)
		if st, _, h := v.post("/sign-in/second-factor", url.Values{"sign_in_id": {siID}, "strategy": {"phone_code"}, "code": {code}}); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("signed in with the SMS code: %d %v", st, h)
		}
	})
}

// TestMFARequired: with mfa_required on, a user without a second factor
// signs in to a pending session with the setup-mfa task, whose
// tokens say sts: pending; adding an authenticator app makes it active.
func TestMFARequired(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withSettings(map[string]string{instance.MFARequired: "true"}))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		e.userWithPassword("ada@example.com")
		b := e.browser()
		if env := b.ok("GET", "/v1/environment", nil); get(env, "user_settings", "sign_up", "mfa", "required") != true {
			t.Fatalf("environment: %v", get(env, "user_settings", "sign_up"))
		}
		sid := b.signIn("ada@example.com", pw)
		c := b.ok("GET", "/v1/client", nil)
		if get(c, "response", "sessions", 0, "status") != "pending" || get(c, "response", "sessions", 0, "tasks", 0, "key") != "setup-mfa" {
			t.Fatalf("pending session: %v", get(c, "response", "sessions", 0))
		}
		if sts := b.claims(sid)["sts"]; sts != "pending" {
			t.Fatalf("sts %v", sts)
		}
		secret := get(b.ok("POST", "/v1/me/totp", nil), "response", "secret").(string)
		code, _ := mfa.Code(secret, mfa.Step(time.Now()))
		b.ok("POST", "/v1/me/totp/attempt_verification", url.Values{"code": {code}})
		c = b.ok("GET", "/v1/client", nil)
		if get(c, "response", "sessions", 0, "status") != "active" || get(c, "response", "sessions", 0, "tasks") != nil {
			t.Fatalf("after adding the app: %v", get(c, "response", "sessions", 0))
		}
		if sts, ok := b.claims(sid)["sts"]; ok {
			t.Fatalf("sts %v on an active session", sts)
		}
	})
}
