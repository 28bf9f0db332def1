package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
)

// TestProfilePhonesMetadataDelete: the /v1/me calls clerk-js's
// UserProfile makes: a phone number added and verified by the SMS code,
// unsafe metadata merged from the browser, and deleting one's own account
// as the delete_self setting allows.
func TestProfilePhonesMetadataDelete(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		sms := newGateway(t, 0)
		e := newEnv(t, engine, withSMS(&delivery.Webhook{URL: sms.URL}), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		ctx := context.Background()
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()
		b.signIn("ada@example.com", pw)

		// A phone number: added unverified, a code by SMS, verified; the
		// first verified one becomes primary.
		b.fails("POST", "/v1/me/phone_numbers", url.Values{"phone_number": {"4155552671"}}, 422, "form_param_format_invalid")
		b.fails("POST", "/v1/me/phone_numbers", url.Values{}, 422, "form_param_missing")
		out := b.ok("POST", "/v1/me/phone_numbers/", url.Values{"phone_number": {"+14155552671"}})
		phoneID, _ := get(out, "response", "id").(string)
		if get(out, "response", "object") != "phone_number" || get(out, "response", "verification", "status") != "unverified" || phoneID == "" {
			t.Fatalf("added: %v", out)
		}
		if list := b.ok("GET", "/v1/me/phone_numbers", nil); len(list["array"].([]any)) != 1 {
			t.Fatalf("list: %v", list)
		}
		b.ok("POST", "/v1/me/phone_numbers/"+phoneID+"/prepare_verification", url.Values{"strategy": {"phone_code"}})
		code := smsCode(t, sms, 1)
		b.fails("POST", "/v1/me/phone_numbers/"+phoneID+"/attempt_verification", url.Values{"code": {wrongCode(code)}}, 422, "form_code_incorrect")
		out = b.ok("POST", "/v1/me/phone_numbers/"+phoneID+"/attempt_verification", url.Values{"code": {code}})
		if get(out, "response", "verification", "status") != "verified" {
			t.Fatalf("verified: %v", out)
		}
		u, err := e.users.Get(ctx, userID)
		if err != nil || u.PrimaryPhoneNumberID == nil || *u.PrimaryPhoneNumberID != phoneID {
			t.Fatalf("primary phone: %v %+v", err, u)
		}
		// The number signs in with a code now.
		b2 := e.browser()
		si := b2.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"+14155552671"}})
		found := false
		for _, f := range get(si, "response", "supported_first_factors").([]any) {
			found = found || (f.(map[string]any)["strategy"] == "phone_code" && f.(map[string]any)["phone_number_id"] == phoneID)
		}
		if !found {
			t.Fatalf("no phone_code factor: %v", get(si, "response", "supported_first_factors"))
		}
		// Another user's number is taken; an email's ID is not a phone's.
		b.fails("POST", "/v1/me/phone_numbers", url.Values{"phone_number": {"+14155552671"}}, 422, "form_identifier_exists")
		b.fails("GET", "/v1/me/phone_numbers/"+*u.PrimaryEmailAddressID, nil, 404, "resource_not_found")
		b.fails("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{"reserved_for_second_factor": {"maybe"}}, 422, "form_param_value_invalid")
		b.ok("PATCH", "/v1/me/phone_numbers/"+phoneID, url.Values{})
		// A second number can be removed; the primary cannot.
		second := get(b.ok("POST", "/v1/me/phone_numbers", url.Values{"phone_number": {"+14155550123"}}), "response", "id").(string)
		b.fails("DELETE", "/v1/me/phone_numbers/"+phoneID, nil, 400, "primary_identifier_deletion")
		if out := b.ok("DELETE", "/v1/me/phone_numbers/"+second, nil); get(out, "response", "deleted") != true {
			t.Fatalf("deleted: %v", out)
		}
		b.fails("GET", "/v1/me/phone_numbers/"+second, nil, 404, "resource_not_found")

		// Unsafe metadata: merged deeply, null removes a key; read back
		// through the Backend API.
		b.ok("PATCH", "/v1/me/metadata", url.Values{"unsafe_metadata": {`{"onboarding":{"step":2,"done":false},"theme":"dark"}`}})
		out = b.ok("PATCH", "/v1/me/metadata", url.Values{"unsafe_metadata": {`{"onboarding":{"done":true},"theme":null}`}})
		want := map[string]any{"onboarding": map[string]any{"step": float64(2), "done": true}}
		if got := get(out, "response", "unsafe_metadata"); !jsonEqual(got, want) {
			t.Fatalf("merged: %v", got)
		}
		if u, err = e.users.Get(ctx, userID); err != nil || !jsonEqual(decoded(u.UnsafeMetadata), want) {
			t.Fatalf("backend sees %s (%v)", u.UnsafeMetadata, err)
		}
		b.fails("PATCH", "/v1/me/metadata", url.Values{"unsafe_metadata": {`[1,2]`}}, 422, "form_param_format_invalid")
		b.fails("PATCH", "/v1/me/metadata", url.Values{"unsafe_metadata": {`{"a":`}}, 422, "form_param_format_invalid")
		b.fails("PATCH", "/v1/me/metadata", url.Values{}, 422, "form_param_missing")
		// The browser cannot write public metadata this way.
		b.ok("PATCH", "/v1/me/metadata", url.Values{"unsafe_metadata": {`{}`}, "public_metadata": {`{"role":"admin"}`}})
		if u, _ = e.users.Get(ctx, userID); string(u.PublicMetadata) != "{}" {
			t.Fatalf("public metadata written from the browser: %s", u.PublicMetadata)
		}

		// Deleting one's account: refused while the setting is off (and
		// the environment and the user say so), then allowed.
		if err := e.app.Settings.Set(ctx, instance.DeleteSelf, "false"); err != nil {
			t.Fatal(err)
		}
		env := b.ok("GET", "/v1/environment", nil)
		me := b.ok("GET", "/v1/me", nil)
		if get(env, "user_settings", "actions", "delete_self") != false || get(me, "response", "delete_self_enabled") != false {
			t.Fatalf("setting off: env %v, user %v", get(env, "user_settings", "actions"), get(me, "response", "delete_self_enabled"))
		}
		b.fails("DELETE", "/v1/me", nil, 403, "delete_self_disabled")
		if err := e.app.Settings.Set(ctx, instance.DeleteSelf, "true"); err != nil {
			t.Fatal(err)
		}
		env = b.ok("GET", "/v1/environment", nil)
		me = b.ok("GET", "/v1/me", nil)
		if get(env, "user_settings", "actions", "delete_self") != true || get(me, "response", "delete_self_enabled") != true {
			t.Fatalf("setting on: env %v, user %v", get(env, "user_settings", "actions"), get(me, "response", "delete_self_enabled"))
		}
		// A user the Backend API barred from it is refused too.
		if _, err := e.users.Update(ctx, userID, &clerkuser.UpdateParams{DeleteSelfEnabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		b.fails("DELETE", "/v1/me", nil, 403, "delete_self_disabled")
		if _, err := e.users.Update(ctx, userID, &clerkuser.UpdateParams{DeleteSelfEnabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		out = b.ok("DELETE", "/v1/me", nil)
		if get(out, "response", "deleted") != true || get(out, "response", "id") != userID || len(get(out, "client", "sessions").([]any)) != 0 {
			t.Fatalf("deleted: %v", out)
		}
		if st, _ := e.do("GET", "/v1/users/"+userID, nil); st != http.StatusNotFound {
			t.Fatalf("user still there: %d", st)
		}
		b.fails("GET", "/v1/me", nil, 401, "authentication_invalid")
	})
}

// TestFrontendUnknownPaths: made-up paths under the Frontend API's
// prefixes answer its JSON 404 (405 for a known path), never the Backend
// API's 401 that clerk-js would read as "signed out", and never a 5xx.
func TestFrontendUnknownPaths(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		b := e.browser()
		b.signIn(func() string { e.userWithPassword("ada@example.com"); return "ada@example.com" }(), pw)
		paths := []string{"/v1/client/nope", "/v1/client/sign_ins/sia_x/nope", "/v1/client/sign_ups/x/y/z",
			"/v1/client/sessions/sess_x/tokens/a/b", "/v1/me/nope", "/v1/me/email_addresses/x/nope", "/v1/me/web3",
			"/v1/me/phone_numbers/x/y/z", "/v1/environment/x", "/v1/dev_browser/x", "/v1/tickets/nope", "/v1/client/",
			"/v1/me/organization_nope", "/v1/me/totp/nope", "/v1/me/backup_codes/x", "/v1/client/verify_nope", "/v1/mex", "/v1/clientx"}
		for _, p := range paths {
			for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
				st, out, h := b.call(m, p, url.Values{"x": {"1"}})
				errsList, _ := out["errors"].([]any)
				code := ""
				if len(errsList) > 0 {
					code, _ = errsList[0].(map[string]any)["code"].(string)
				}
				if strings.HasPrefix(p, "/v1/mex") || strings.HasPrefix(p, "/v1/clientx") {
					// Not Frontend API paths: the Backend API's answer.
					if st != 401 {
						t.Errorf("%s %s: %d %v", m, p, st, out)
					}
					continue
				}
				if st != 404 || code != "resource_not_found" {
					t.Errorf("%s %s: %d %v, want a JSON 404", m, p, st, out)
				}
				if h.Get("Access-Control-Allow-Origin") != appOrigin {
					t.Errorf("%s %s: no CORS for the application", m, p)
				}
			}
		}
		// A known path with a wrong method: 405 with Allow.
		st, out, h := b.call("PUT", "/v1/environment", nil)
		if st != 405 || !strings.Contains(h.Get("Allow"), "GET") || !strings.Contains(h.Get("Allow"), "PATCH") {
			t.Fatalf("PUT /v1/environment: %d %v %v", st, out, h)
		}
		if st, out, h = b.call("POST", "/v1/me/sessions/active", nil); st != 405 || h.Get("Allow") != "GET" {
			t.Fatalf("POST /v1/me/sessions/active: %d %v %v", st, out, h)
		}
	})
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func decoded(m json.RawMessage) any {
	var v any
	json.Unmarshal(m, &v)
	return v
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
