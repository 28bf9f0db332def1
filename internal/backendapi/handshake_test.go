package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/handshake"
	"github.com/conciergehq/concierge/sdk"
)

// withProduction makes a production instance whose applications share
// domain.
func withProduction(domain string) envOption {
	return func(c *envConfig) { c.opts.Production, c.opts.CookieDomain = true, domain }
}

// handshake sends the browser to the handshake as Clerk's SDKs redirect
// it, and returns the 307's Location and cookies.
func (b *browser) handshake(q url.Values) (*http.Response, *url.URL) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.url+"/v1/client/handshake?"+q.Encode(), nil)
	req.Header.Set("Sec-Fetch-Dest", "document")
	noFollow := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	return res, loc
}

func hsQuery(redirect string, kv ...string) url.Values {
	q := url.Values{"redirect_url": {redirect}, "__clerk_api_version": {"2026-05-12"}, "suffixed_cookies": {"false"},
		"__clerk_hs_reason": {"dev-browser-missing"}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// payload verifies a handshake token with the instance's published JWKS
// and returns its directives.
func (e *env) payload(tok string) []string {
	e.t.Helper()
	st, body := e.do("GET", "/v1/jwks", nil)
	var set jose.JSONWebKeySet
	if st != 200 || json.Unmarshal(body, &set) != nil {
		e.t.Fatalf("jwks: %d %s", st, body)
	}
	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || parsed.Headers[0].ExtraHeaders["typ"] != "JWT" {
		e.t.Fatalf("handshake token %q: %v", tok, err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		e.t.Fatalf("kid %q not in the JWKS", parsed.Headers[0].KeyID)
	}
	var claims struct {
		Handshake []string `json:"handshake"`
		Exp       int64    `json:"exp"`
	}
	if err := parsed.Claims(keys[0].Key, &claims); err != nil || claims.Exp < time.Now().Unix() {
		e.t.Fatalf("handshake claims: %v %+v", err, claims)
	}
	return claims.Handshake
}

// redeem fetches a nonce's directives as the SDK does.
func (e *env) redeem(nonce string) []string {
	e.t.Helper()
	st, body := e.do("GET", "/v1/clients/handshake_payload?nonce="+url.QueryEscape(nonce), nil)
	var out struct{ Directives []string }
	if st != 200 || json.Unmarshal(body, &out) != nil {
		e.t.Fatalf("handshake_payload: %d %s", st, body)
	}
	return out.Directives
}

// cookies parses Set-Cookie directives by name.
func cookies(t *testing.T, directives []string) map[string]*http.Cookie {
	t.Helper()
	out := map[string]*http.Cookie{}
	for _, d := range directives {
		c, err := http.ParseSetCookie(d)
		if err != nil {
			t.Fatalf("directive %q: %v", d, err)
		}
		key := c.Name
		if c.Domain != "" {
			key += "@" + c.Domain
		}
		if _, dup := out[key]; dup {
			t.Fatalf("directive %s twice: %v", key, directives)
		}
		out[key] = c
	}
	return out
}

func names(m map[string]*http.Cookie) string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	return strings.Join(n, ",")
}

// TestHandshakeDevelopment: signed out, a new browser gets a development
// browser and signed-out cookies; signed in, a fresh __session for the
// application (azp) with __client_uat not after its iat; the token and
// nonce forms; suffixed cookies; an expired token in the query does not
// matter; foreign redirects are refused.
func TestHandshakeDevelopment(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit = nil
		suffix := handshake.Suffix(sdk.PublishableKeyFor(e.url, false))
		page := appOrigin + "/dashboard?tab=1"
		b := e.browser()

		// A new browser, signed out, by nonce.
		res, loc := b.handshake(hsQuery(page, "format", "nonce"))
		if res.StatusCode != 307 || res.Header.Get("Cache-Control") != "no-store" || loc.Host != "app.example.test" ||
			loc.Path != "/dashboard" || loc.Query().Get("tab") != "1" || loc.Query().Get(handshake.NonceCookie) == "" {
			t.Fatalf("signed-out handshake: %d %v", res.StatusCode, res.Header)
		}
		got := cookies(t, e.redeem(loc.Query().Get(handshake.NonceCookie)))
		if names(got) == "" || len(got) != 5 || got["__session"].MaxAge >= 0 || got["__client_uat"].Value != "0" ||
			got["__client_uat_"+suffix].Value != "0" || got["__clerk_db_jwt"].Value == "" ||
			got["__clerk_db_jwt_"+suffix].Value != got["__clerk_db_jwt"].Value {
			t.Fatalf("signed-out directives: %v", names(got))
		}
		// The development browser is this browser's client.
		if b.cookie("__client") == nil || b.cookie("__client").Value != got["__clerk_db_jwt"].Value {
			t.Fatal("the development browser is not the browser's client")
		}

		// Signed in, by token, suffixed.
		e.userWithPassword("ada@example.com")
		sid := b.signIn("ada@example.com", pw)
		expired := "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.x"
		res, loc = b.handshake(hsQuery(page, "suffixed_cookies", "true", "__session", expired, "__clerk_db_jwt", got["__clerk_db_jwt"].Value))
		tok := loc.Query().Get(handshake.TokenCookie)
		if res.StatusCode != 307 || tok == "" {
			t.Fatalf("signed-in handshake: %d %v", res.StatusCode, res.Header)
		}
		got = cookies(t, e.payload(tok))
		if len(got) != 6 {
			t.Fatalf("signed-in directives: %v", names(got))
		}
		session := got["__session"]
		claims, err := e.app.Keys.Verify(session.Value, e.url, time.Now())
		if err != nil || claims.SessionID != sid || claims.AuthorizedParty != appOrigin || got["__session_"+suffix].Value != session.Value {
			t.Fatalf("__session: %v %+v", err, claims)
		}
		if session.Expires.Unix() != claims.Expiry.Time().Unix() {
			t.Fatalf("__session expires %v, token %v", session.Expires, claims.Expiry.Time())
		}
		uat, _ := strconv.ParseInt(got["__client_uat"].Value, 10, 64)
		if uat <= 0 || uat > claims.IssuedAt.Time().Unix() || got["__client_uat"].Domain != "" {
			t.Fatalf("__client_uat %d, token iat %d, domain %q", uat, claims.IssuedAt.Time().Unix(), got["__client_uat"].Domain)
		}
		if got["__clerk_db_jwt"].Value == "" {
			t.Fatal("no development browser")
		}

		// A stale development browser token falls back to the cookie.
		res, loc = b.handshake(hsQuery(page, "format", "nonce", "__clerk_db_jwt", "stale-token"))
		if got = cookies(t, e.redeem(loc.Query().Get(handshake.NonceCookie))); got["__session"].Value == "" {
			t.Fatalf("stale dev browser: %v", names(got))
		}

		// Signed out again: __session cleared, __client_uat=0.
		b.ok("DELETE", "/v1/client/sessions", nil)
		_, loc = b.handshake(hsQuery(page))
		if got = cookies(t, e.payload(loc.Query().Get(handshake.TokenCookie))); got["__session"].MaxAge >= 0 || got["__client_uat"].Value != "0" {
			t.Fatalf("after sign-out: %v", got)
		}

		// Refused: no, a malformed or a foreign redirect_url.
		for _, c := range []struct{ redirect, code string }{
			{"", "invalid_redirect_url"}, {"javascript:alert(1)", "invalid_redirect_url"}, {"/relative", "invalid_redirect_url"},
			{"https://evil.example/steal", "redirect_url_domain_mismatch"}, {"http://app.example.test.evil.example/", "redirect_url_domain_mismatch"},
		} {
			b.fails("GET", "/v1/client/handshake?"+hsQuery(c.redirect).Encode(), nil, 422, c.code)
		}
		// Nonces: unknown, missing, and only with the secret key.
		for _, c := range []struct {
			q    string
			code string
		}{{"nonce=nope", "invalid_nonce"}, {"", "missing_parameter"}} {
			st, body := e.do("GET", "/v1/clients/handshake_payload?"+c.q, nil)
			if st != 400 || !strings.Contains(string(body), c.code) {
				t.Fatalf("%s: %d %s", c.q, st, body)
			}
		}
		if st, _, _ := b.call("GET", "/v1/clients/handshake_payload?nonce=x", nil); st != 401 {
			t.Fatalf("handshake_payload without the secret key: %d", st)
		}
		// Satellite domains are refused with a clear error.
		b.fails("GET", "/v1/client/sync", nil, 400, "satellite_domains_not_supported")
	})
}

// TestHandshakeProduction: the payload rides in a cookie on the
// applications' domain, carries the deletion of the carriers, and the
// Frontend API's answers keep __client_uat on that domain in step with
// sign-in and sign-out.
func TestHandshakeProduction(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withProduction("example.test"))
		e.app.Frontend.SignInLimit = nil
		suffix := handshake.Suffix(sdk.PublishableKeyFor(e.url, true))
		e.userWithPassword("ada@example.com")
		b := e.browser()

		uat := func(h http.Header) map[string]*http.Cookie {
			t.Helper()
			return cookies(t, h.Values("Set-Cookie"))
		}
		// Signing in sets __client_uat (both names) on the domain, and
		// clears host-only copies.
		st, out, h := b.call("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}})
		if st != 200 {
			t.Fatalf("sign-in: %d %v", st, out)
		}
		set := uat(h)
		c1, c2 := set["__client_uat@example.test"], set["__client_uat_"+suffix+"@example.test"]
		if c1 == nil || c2 == nil || c1.Value == "0" || c1.Value != c2.Value || c1.SameSite != http.SameSiteLaxMode ||
			c1.MaxAge != 315360000 || set["__client_uat"] == nil || set["__client_uat"].MaxAge >= 0 {
			t.Fatalf("sign-in cookies: %v", h.Values("Set-Cookie"))
		}
		signedIn := c1.Value
		// A touch does not move it (the token minted next stays current).
		sid := get(out, "response", "created_session_id").(string)
		time.Sleep(1100 * time.Millisecond)
		_, _, h = b.call("POST", "/v1/client/sessions/"+sid+"/touch", nil)
		if v := uat(h)["__client_uat@example.test"]; v == nil || v.Value != signedIn {
			t.Fatalf("touch moved __client_uat: %v -> %v", signedIn, h.Values("Set-Cookie"))
		}

		// The handshake: a 307 to the page, the payload in a cookie on
		// the domain; the payload deletes the carriers.
		res, loc := b.handshake(hsQuery(appOrigin+"/protected", "format", "nonce"))
		carrier := uat(res.Header)[handshake.NonceCookie+"@example.test"]
		if res.StatusCode != 307 || loc.String() != appOrigin+"/protected" || carrier == nil || !carrier.HttpOnly {
			t.Fatalf("production handshake: %d %v", res.StatusCode, res.Header)
		}
		got := cookies(t, e.redeem(carrier.Value))
		for _, name := range []string{"__session", "__client_uat@example.test", "__client_uat_" + suffix + "@example.test",
			"__clerk_handshake@example.test", "__clerk_handshake_nonce@example.test", "__clerk_handshake", "__clerk_handshake_nonce"} {
			if got[name] == nil {
				t.Fatalf("payload lacks %s: %v", name, names(got))
			}
		}
		if got["__clerk_db_jwt"] != nil || got["__session"].Domain != "" {
			t.Fatalf("production payload: %v", names(got))
		}
		// The token form also goes by cookie.
		res, _ = b.handshake(hsQuery(appOrigin + "/"))
		if tok := uat(res.Header)[handshake.TokenCookie+"@example.test"]; tok == nil || len(e.payload(tok.Value)) == 0 {
			t.Fatalf("token carrier: %v", res.Header.Values("Set-Cookie"))
		}

		// Signing out sets it to 0.
		_, _, h = b.call("DELETE", "/v1/client/sessions", nil)
		if v := uat(h)["__client_uat@example.test"]; v == nil || v.Value != "0" {
			t.Fatalf("sign-out: %v", h.Values("Set-Cookie"))
		}
		// A production handshake without a client is signed out, and
		// mints no development browser.
		res, _ = e.browser().handshake(hsQuery(appOrigin + "/"))
		tok := uat(res.Header)[handshake.TokenCookie+"@example.test"]
		if got = cookies(t, e.payload(tok.Value)); got["__session"].MaxAge >= 0 || res.Header.Get("Set-Cookie") == "" ||
			strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ";"), "__client=") {
			t.Fatalf("no client: %v / %v", names(got), res.Header.Values("Set-Cookie"))
		}
	})
}

// TestHandshakeOrganization: organization_id, which the server SDKs send
// when their organizationSyncOptions match the page, makes a member's
// organization active in the token the handshake mints (by ID or slug),
// leaves a stranger's session as it was, and empty selects the personal
// account.
func TestHandshakeOrganization(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, _ := e.orgClients()
		ada := e.userWithPassword("ada@example.com")
		acme, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		other, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other")})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn("ada@example.com", pw)
		page := appOrigin + "/orgs/acme"
		orgOf := func(kv ...string) any {
			t.Helper()
			_, loc := b.handshake(hsQuery(page, kv...))
			got := cookies(t, e.payload(loc.Query().Get(handshake.TokenCookie)))
			return tokenClaims(t, got["__session"].Value)["o"]
		}
		if o := orgOf(); o != nil {
			t.Fatalf("no organization asked: %v", o)
		}
		if o, _ := orgOf("organization_id", "acme").(map[string]any); o["id"] != acme.ID || o["rol"] != "admin" {
			t.Fatalf("by slug: %v", o)
		}
		if o, _ := orgOf("organization_id", other.ID).(map[string]any); o["id"] != acme.ID {
			t.Fatalf("not a member of Other: the session keeps Acme, got %v", o)
		}
		if o := orgOf("organization_id", ""); o != nil {
			t.Fatalf("personal account: %v", o)
		}
		if o, _ := orgOf("organization_id", acme.ID).(map[string]any); o["id"] != acme.ID {
			t.Fatalf("by ID: %v", o)
		}
	})
}
