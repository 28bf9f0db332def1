package backendapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestPasskeyCeremonies: the application's registrable domain is the
// relying party; registering a passkey hands the browser creation
// options for a discoverable credential of this user, and a sign-in
// with strategy passkey request options; what the browser sends back is
// checked, and anything malformed, missing or unknown is a 4xx. (The
// ceremonies with a real authenticator run in Chromium, e2e/clerkjs.)
func TestPasskeyCeremonies(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()
		b.signIn("ada@example.com", pw)

		env := b.ok("GET", "/v1/environment", nil)
		if get(env, "user_settings", "attributes", "passkey", "used_for_first_factor") != true ||
			get(env, "user_settings", "passkey_settings", "show_sign_in_button") != true {
			t.Fatalf("environment: %v", get(env, "user_settings", "attributes", "passkey"))
		}
		out := b.ok("POST", "/v1/me/passkeys", nil)
		pkID, _ := get(out, "response", "id").(string)
		nonce, _ := get(out, "response", "verification", "nonce").(string)
		var opts map[string]any
		if err := json.Unmarshal([]byte(nonce), &opts); err != nil || get(out, "response", "verification", "status") != "unverified" {
			t.Fatalf("registration: %v (%v)", out, err)
		}
		handle, _ := base64.RawURLEncoding.DecodeString(get(opts, "user", "id").(string))
		if get(opts, "rp", "id") != "example.test" || string(handle) != userID || get(opts, "challenge") == nil ||
			get(opts, "authenticatorSelection", "residentKey") != "required" {
			t.Fatalf("creation options: %v", opts)
		}
		path := "/v1/me/passkeys/" + pkID + "/attempt_verification"
		b.fails("POST", path, url.Values{"strategy": {"passkey"}}, 422, "form_param_missing")
		b.fails("POST", path, url.Values{"strategy": {"totp"}, "public_key_credential": {"{}"}}, 422, "form_param_value_invalid")
		for _, bad := range []string{"not json", `{"id":"x","type":"public-key","response":{}}`} {
			if st, out, _ := b.call("POST", path, url.Values{"strategy": {"passkey"}, "public_key_credential": {bad}}); st < 400 || st >= 500 {
				t.Fatalf("malformed credential %q: %d %v", bad, st, out)
			}
		}
		b.fails("POST", "/v1/me/passkeys/idn_unknown/attempt_verification", url.Values{"strategy": {"passkey"}, "public_key_credential": {"{}"}}, 404, "resource_not_found")
		b.fails("PATCH", "/v1/me/passkeys/idn_unknown", url.Values{"name": {"Laptop"}}, 404, "resource_not_found")
		b.fails("DELETE", "/v1/me/passkeys/idn_unknown", nil, 404, "resource_not_found")
		e.call("DELETE", "/v1/users/"+userID+"/passkeys/idn_unknown", nil, 404)

		// Sign-in with the "Sign in with passkey" button: no identifier.
		b2 := e.browser()
		out = b2.ok("POST", "/v1/client/sign_ins", url.Values{"strategy": {"passkey"}})
		nonce, _ = get(out, "response", "first_factor_verification", "nonce").(string)
		opts = nil
		if err := json.Unmarshal([]byte(nonce), &opts); err != nil || get(out, "response", "status") != "needs_first_factor" ||
			get(opts, "rpId") != "example.test" || get(opts, "challenge") == nil {
			t.Fatalf("passkey sign-in: %v (%v)", out, err)
		}
		siPath := "/v1/client/sign_ins/" + get(out, "response", "id").(string) + "/attempt_first_factor"
		b2.fails("POST", siPath, url.Values{"strategy": {"passkey"}}, 422, "form_param_missing")
		if st, out, _ := b2.call("POST", siPath, url.Values{"strategy": {"passkey"}, "public_key_credential": {`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA"}}`}}); st < 400 || st >= 500 {
			t.Fatalf("bogus assertion: %d %v", st, out)
		}
		if st, raw := e.do("GET", "/.well-known/webauthn", nil); st != 200 || !strings.Contains(string(raw), appOrigin) {
			t.Fatalf("well-known: %d %s", st, raw)
		}
	})
}
