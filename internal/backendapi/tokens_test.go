package backendapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestJWKSAndRotation: the key set is served with and without the secret
// key in Clerk's shape; after a rotation new tokens carry the new kid,
// old tokens keep verifying until their key is retired.
func TestJWKSAndRotation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		st, body := e.do("GET", "/v1/jwks", nil)
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		if st != 200 || json.Unmarshal(body, &set) != nil || len(set.Keys) != 1 {
			t.Fatalf("jwks: %d %s", st, body)
		}
		k := set.Keys[0]
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["e"] != "AQAB" || !strings.HasPrefix(k["kid"], "ins_") || len(k["n"]) != 342 {
			t.Fatalf("key: %v", k)
		}
		res, err := http.Get(e.url + "/.well-known/jwks.json")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("public jwks: %v %v", err, res)
		}
		var public struct {
			Keys []map[string]string `json:"keys"`
		}
		json.NewDecoder(res.Body).Decode(&public)
		res.Body.Close()
		if len(public.Keys) != 1 || public.Keys[0]["kid"] != k["kid"] {
			t.Fatalf("public jwks differs: %v", public)
		}
		if st, _ := (&env{t: t, url: e.url}).unauth("/v1/jwks"); st != 401 {
			t.Fatalf("/v1/jwks without the key: %d", st)
		}

		userID := e.userWithPassword("ada@example.com")
		sessions := clerksession.NewClient(e.sdkConfig())
		s, _ := sessions.Create(ctx, &clerksession.CreateParams{UserID: userID})
		old, _ := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID})
		verify := func(raw string) error {
			_, err := jwt.Verify(ctx, &jwt.VerifyParams{Token: raw, JWKSClient: jwks.NewClient(e.sdkConfig()), ProxyURL: &e.url})
			return err
		}
		newKID, err := e.app.Keys.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID})
		if kidOf(t, fresh.JWT) != newKID || kidOf(t, old.JWT) != k["kid"] {
			t.Fatalf("kids: new token %s (want %s), old %s", kidOf(t, fresh.JWT), newKID, kidOf(t, old.JWT))
		}
		if err := verify(old.JWT); err != nil {
			t.Fatalf("old token after rotation: %v", err)
		}
		if err := verify(fresh.JWT); err != nil {
			t.Fatalf("new token: %v", err)
		}
		if err := e.app.Keys.Retire(ctx, newKID); err == nil {
			t.Fatal("retired the signing key")
		}
		if err := e.app.Keys.Retire(ctx, k["kid"]); err != nil {
			t.Fatal(err)
		}
		if err := verify(old.JWT); err == nil {
			t.Fatal("a token of a retired key still verifies")
		}
		st, body = e.do("POST", "/v1/sessions/"+s.ID+"/verify", map[string]string{"token": old.JWT})
		envelope(t, st, body, 400, "invalid_session_token")
	})
}

func (e *env) unauth(path string) (int, []byte) {
	res, err := http.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func kidOf(t *testing.T, raw string) string {
	var h struct {
		KID string `json:"kid"`
		Typ string `json:"typ"`
	}
	part, _ := base64urlDecode(strings.Split(raw, ".")[0])
	if json.Unmarshal(part, &h) != nil || h.Typ != "JWT" {
		t.Fatalf("header %s", part)
	}
	return h.KID
}

// TestFrontendTransport: CORS for allowed origins only, writes from other
// origins refused, JSON bodies, native clients keeping the token in the
// Authorization header, the /v1/me calls.
func TestFrontendTransport(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		e.userWithPassword("ada@example.com")
		b := e.browser()
		_, _, h := b.call("GET", "/v1/environment", nil)
		if h.Get("Access-Control-Allow-Origin") != appOrigin || h.Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Fatalf("CORS headers: %v", h)
		}
		evil := e.browser()
		evil.origin = "http://evil.example"
		_, _, h = evil.call("GET", "/v1/environment", nil)
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("CORS for a foreign origin: %v", h)
		}
		evil.fails("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}}, 403, "origin_invalid")
		req, _ := http.NewRequest("OPTIONS", e.url+"/v1/client/sign_ins", nil)
		req.Header.Set("Origin", appOrigin)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Methods") == "" {
			t.Fatalf("preflight: %v %v", err, res)
		}
		res.Body.Close()

		// Native: no cookies; the token travels in Authorization.
		post := func(path, auth, body string) (*http.Response, map[string]any) {
			req, _ := http.NewRequest("POST", e.url+path+"?_is_native=1", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", auth)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			json.NewDecoder(res.Body).Decode(&out)
			return res, out
		}
		res, out := post("/v1/client/sign_ins", "", `{"identifier":"ada@example.com","strategy":"password","password":"`+pw+`"}`)
		tok := res.Header.Get("Authorization")
		if res.StatusCode != 200 || tok == "" || res.Header.Get("Set-Cookie") != "" || get(out, "response", "status") != "complete" {
			t.Fatalf("native sign-in: %d %v %v", res.StatusCode, res.Header, out)
		}
		sid := get(out, "response", "created_session_id").(string)
		res, out = post("/v1/client/sessions/"+sid+"/tokens", tok, `{}`)
		if res.StatusCode != 200 || out["jwt"] == nil {
			t.Fatalf("native token: %d %v", res.StatusCode, out)
		}

		// /v1/me.
		b.signIn("ada@example.com", pw)
		me := b.ok("GET", "/v1/me", nil)
		if get(me, "response", "email_addresses", 0, "email_address") != "ada@example.com" || get(me, "response", "private_metadata") == nil {
			t.Fatalf("me: %v", me)
		}
		me = b.ok("PATCH", "/v1/me", url.Values{"first_name": {"Ada"}, "username": {"ada_l"}})
		if get(me, "response", "first_name") != "Ada" || get(me, "response", "username") != "ada_l" {
			t.Fatalf("patch me: %v", me)
		}
		added := b.ok("POST", "/v1/me/email_addresses/", url.Values{"email_address": {"ada@work.example"}})
		if get(added, "response", "verification", "status") != "unverified" {
			t.Fatalf("added: %v", added)
		}
		list := b.ok("GET", "/v1/me/email_addresses", nil)
		if len(list["array"].([]any)) != 2 {
			t.Fatalf("list: %v", list)
		}
		id := get(added, "response", "id").(string)
		del := b.ok("DELETE", "/v1/me/email_addresses/"+id, nil)
		if get(del, "response", "deleted") != true {
			t.Fatalf("delete: %v", del)
		}
		b.fails("POST", "/v1/me/change_password", url.Values{"current_password": {"wrong one here"}, "new_password": {"a new good password"}}, 422, "form_password_incorrect")
		b.ok("POST", "/v1/me/change_password", url.Values{"current_password": {pw}, "new_password": {"a new good password"}})
		b.signIn("ada@example.com", "a new good password")

		// UserProfile's active devices: list, and sign another device out.
		other := e.browser()
		otherSID := other.signIn("ada@example.com", "a new good password")
		active := b.ok("GET", "/v1/me/sessions/active", nil)
		if n := len(active["array"].([]any)); n < 2 || get(active, "array", 0, "latest_activity", "object") != "session_activity" {
			t.Fatalf("active sessions: %v", active)
		}
		if out := b.ok("POST", "/v1/me/sessions/"+otherSID+"/revoke", nil); get(out, "response", "status") != "revoked" {
			t.Fatalf("revoke a device: %v", out)
		}
		other.fails("POST", "/v1/client/sessions/"+otherSID+"/tokens", nil, 401, "signed_out")
		b.fails("POST", "/v1/me/sessions/sess_nope/revoke", nil, 404, "resource_not_found")

		// DELETE /v1/client ends the client's sessions and drops the cookie.
		if out := other.ok("DELETE", "/v1/client", nil); out["client"] != nil {
			t.Fatalf("delete client: %v", out)
		}
		if other.cookie("__client") != nil {
			t.Fatal("the __client cookie survived DELETE /v1/client")
		}

		// Bad input.
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"not-an-email"}, "password": {pw}}, 422, "form_param_format_invalid")
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"ada@example.com"}, "password": {pw}}, 422, "form_identifier_exists")
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"new@example.com"}, "password": {"password"}}, 422, "form_password_pwned")
		b.fails("GET", "/v1/client/sign_ins/sia_nope", nil, 404, "resource_not_found")
		b.fails("POST", "/v1/client/sessions/sess_nope/tokens", nil, 404, "resource_not_found")
		req, _ = http.NewRequest("POST", e.url+"/v1/client/sign_ins", strings.NewReader(`{"identifier":`))
		req.Header.Set("Content-Type", "application/json")
		res, _ = http.DefaultClient.Do(req)
		if res.StatusCode != 400 {
			t.Fatalf("broken JSON: %d", res.StatusCode)
		}
		res.Body.Close()
	})
}

// TestTokenVerifiesWithNodeSDK: @clerk/backend's verifyToken accepts a
// Concierge session token, fetching the JWKS from the Backend API.
func TestTokenVerifiesWithNodeSDK(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend")); err != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatal("CONCIERGE_TEST_NODE is set but @clerk/backend is missing")
		}
		t.Skip("@clerk/backend not installed")
	}
	e := newEnv(t, "sqlite", withOrigins(appOrigin))
	userID := e.userWithPassword("ada@example.com")
	ctx := context.Background()
	sessions := clerksession.NewClient(e.sdkConfig())
	s, _ := sessions.Create(ctx, &clerksession.CreateParams{UserID: userID})
	tok, err := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "verify.mjs", e.url, testKey, tok.JWT, userID, s.ID)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLERK_TELEMETRY_DISABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("node verifyToken: %v\n%s", err, out)
	}

}

func base64urlDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
