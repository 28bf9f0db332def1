package backendapi_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/oauth"
)

// startOIDC runs an in-process OpenID Connect provider and enables it
// as a custom provider.
func (e *env) startOIDC(strategy string, linkByEmail bool) *mockoidc.MockOIDC {
	e.t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// The stand-in writes expires_in in nanoseconds; providers write
	// seconds, as Concierge reads it.
	m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/token") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
				if n, ok := body["expires_in"].(float64); ok {
					body["expires_in"] = int64(n / 1e9)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			json.NewEncoder(w).Encode(body)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { m.Shutdown() })
	cfg := m.Config()
	if err := e.app.OAuth.Save(context.Background(), oauth.Config{Strategy: strategy, Enabled: true, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, Issuer: m.Issuer(), AllowSignUp: true, LinkByEmail: linkByEmail}); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// socialRedirect follows the browser through the provider: it returns
// the callback's redirect (to the application) and the callback URL.
func (b *browser) socialRedirect(providerURL string) (*http.Response, string) {
	b.t.Helper()
	noFollow := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(providerURL)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if !strings.HasPrefix(callback, b.e.url+"/v1/oauth_callback") {
		b.t.Fatalf("provider sent the browser to %q (%d)", callback, res.StatusCode)
	}
	res, err = noFollow.Get(callback)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	return res, callback
}

// startSocial begins a social sign-in (or sign-up) and returns the
// provider's URL.
func (b *browser) startSocial(path, strategy string) string {
	b.t.Helper()
	out := b.ok("POST", path, url.Values{"strategy": {strategy}, "redirect_url": {appOrigin + "/sso-callback"},
		"action_complete_redirect_url": {appOrigin + "/"}})
	v := get(out, "response", "first_factor_verification")
	if strings.Contains(path, "sign_ups") {
		v = get(out, "response", "verifications", "external_account")
	}
	u, _ := get(v, "external_verification_redirect_url").(string)
	if get(v, "status") != "unverified" || u == "" {
		b.t.Fatalf("start %s: %v", strategy, out)
	}
	return u
}

// TestSocialOIDC: through an OpenID Connect provider, a new account is
// transferred to a sign-up and made; it signs in again; an existing user
// is linked by a verified email (not by an unverified one); a replayed
// state, a denial and a provider that fails are answered cleanly; the
// access token reads back through the Backend API.
func TestSocialOIDC(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil
		ctx := context.Background()
		const strategy = "oauth_custom_acme"
		m := e.startOIDC(strategy, true)

		env := e.browser().ok("GET", "/v1/environment", nil)
		if get(env, "user_settings", "social", strategy, "authenticatable") != true || get(env, "user_settings", "social", strategy, "name") != "acme" {
			t.Fatalf("environment social: %v", get(env, "user_settings", "social"))
		}

		// A new account: transferable, then a sign-up with transfer.
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-grace", Email: "grace@acme.test", EmailVerified: true, PreferredUsername: "grace"})
		b := e.browser()
		res, callback := b.socialRedirect(b.startSocial("/v1/client/sign_ins", strategy))
		if res.StatusCode != 303 || res.Header.Get("Location") != appOrigin+"/sso-callback" {
			t.Fatalf("callback: %d %v", res.StatusCode, res.Header)
		}
		client := b.ok("GET", "/v1/client", nil)
		if get(client, "response", "sign_in", "first_factor_verification", "status") != "transferable" ||
			get(client, "response", "sign_in", "first_factor_verification", "error", "code") != "external_account_not_found" {
			t.Fatalf("after the callback: %v", get(client, "response", "sign_in"))
		}
		// The state is good once.
		if res, err := http.Get(callback); err != nil || res.StatusCode != 400 {
			t.Fatalf("replayed state: %v %v", err, res)
		}
		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"transfer": {"true"}})
		userID, _ := get(out, "response", "created_user_id").(string)
		if get(out, "response", "status") != "complete" || userID == "" || len(get(out, "client", "sessions").([]any)) != 1 {
			t.Fatalf("transfer: %v", out)
		}
		u, err := e.users.Get(ctx, userID)
		if err != nil || len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].Provider != strategy ||
			u.ExternalAccounts[0].ProviderUserID != "sub-grace" || u.ExternalAccounts[0].EmailAddress != "grace@acme.test" ||
			len(u.EmailAddresses) != 1 || u.EmailAddresses[0].Verification.Status != "verified" || u.PasswordEnabled {
			t.Fatalf("user: %v %+v", err, u)
		}
		// The provider filter finds them.
		st, body := e.do("GET", "/v1/users?provider="+strategy+"&provider_user_id=sub-grace&provider_user_id=nobody", nil)
		var found []struct{ ID string }
		if st != 200 || json.Unmarshal(body, &found) != nil || len(found) != 1 || found[0].ID != userID {
			t.Fatalf("provider filter: %d %s", st, body)
		}

		// Signing in again on another browser.
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-grace", Email: "grace@acme.test", EmailVerified: true})
		b2 := e.browser()
		b2.socialRedirect(b2.startSocial("/v1/client/sign_ins", strategy))
		client = b2.ok("GET", "/v1/client", nil)
		if get(client, "response", "sign_in") != nil || get(client, "response", "sessions", 0, "user", "id") != userID {
			t.Fatalf("second sign-in: %v", client)
		}

		// Reauthorizing the account asks the provider again, with more
		// scopes, and keeps the one account.
		extID := get(client, "response", "sessions", 0, "user", "external_accounts", 0, "id").(string)
		out = b2.ok("PATCH", "/v1/me/external_accounts/"+extID+"/reauthorize", url.Values{"redirect_url": {appOrigin + "/profile"},
			"additional_scope": {"groups"}})
		reauth, _ := get(out, "response", "verification", "external_verification_redirect_url").(string)
		if au, err := url.Parse(reauth); err != nil || !strings.Contains(au.Query().Get("scope"), "groups") {
			t.Fatalf("reauthorize: %v", out)
		}
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-grace", Email: "grace@acme.test", EmailVerified: true})
		if res, _ := b2.socialRedirect(reauth); res.Header.Get("Location") != appOrigin+"/profile" {
			t.Fatalf("reauthorized to %v", res.Header)
		}
		if u, err := e.users.Get(ctx, userID); err != nil || len(u.ExternalAccounts) != 1 {
			t.Fatalf("after reauthorizing: %v %+v", err, u)
		}
		b2.fails("PATCH", "/v1/me/external_accounts/idn_nope/reauthorize", url.Values{"redirect_url": {appOrigin + "/"}}, 404, "resource_not_found")

		// Linking by a verified email; an unverified one is not linked.
		ada, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@acme.test"}, SkipPasswordRequirement: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-mallory", Email: "ada@acme.test", EmailVerified: false})
		b3 := e.browser()
		b3.socialRedirect(b3.startSocial("/v1/client/sign_ins", strategy))
		if st := get(b3.ok("GET", "/v1/client", nil), "response", "sign_in", "first_factor_verification", "status"); st != "transferable" {
			t.Fatalf("unverified email linked: %v", st)
		}
		// Its transfer would take ada's address: refused, nobody made.
		b3.fails("POST", "/v1/client/sign_ups", url.Values{"transfer": {"true"}}, 422, "form_identifier_exists")
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-ada", Email: "ada@acme.test", EmailVerified: true})
		b4 := e.browser()
		b4.socialRedirect(b4.startSocial("/v1/client/sign_ins", strategy))
		if c := b4.ok("GET", "/v1/client", nil); get(c, "response", "sessions", 0, "user", "id") != ada.ID {
			t.Fatalf("link by verified email: %v", c)
		}

		// A sign-up straight through the provider.
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-lin", Email: "lin@acme.test", EmailVerified: true})
		b5 := e.browser()
		b5.socialRedirect(b5.startSocial("/v1/client/sign_ups", strategy))
		c := b5.ok("GET", "/v1/client", nil)
		if get(c, "response", "sign_up") != nil || get(c, "response", "sessions", 0, "user", "email_addresses", 0, "email_address") != "lin@acme.test" {
			t.Fatalf("sign-up through the provider: %v", c)
		}

		// Denied at the provider: the verification says so.
		b6 := e.browser()
		start, _ := url.Parse(b6.startSocial("/v1/client/sign_ins", strategy))
		deny := e.url + "/v1/oauth_callback?error=access_denied&state=" + url.QueryEscape(start.Query().Get("state"))
		noFollow := &http.Client{Jar: b6.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if res, err := noFollow.Get(deny); err != nil || res.StatusCode != 303 {
			t.Fatalf("denial: %v %v", err, res)
		}
		if v := get(b6.ok("GET", "/v1/client", nil), "response", "sign_in", "first_factor_verification"); get(v, "status") != "failed" ||
			get(v, "error", "code") != "oauth_access_denied" {
			t.Fatalf("denial: %v", v)
		}
		// A provider that fails its token exchange.
		b7 := e.browser()
		start, _ = url.Parse(b7.startSocial("/v1/client/sign_ins", strategy))
		bad := e.url + "/v1/oauth_callback?code=forged&state=" + url.QueryEscape(start.Query().Get("state"))
		if res, err := noFollow.Get(bad); err != nil || res.StatusCode != 303 {
			t.Fatalf("bad code: %v %v", err, res)
		}
		if v := get(b7.ok("GET", "/v1/client", nil), "response", "sign_in", "first_factor_verification"); get(v, "error", "code") != "oauth_token_exchange_error" {
			t.Fatalf("bad code: %v", v)
		}
		// A provider that cannot be reached is a clear error, not a 500.
		if err := e.app.OAuth.Save(ctx, oauth.Config{Strategy: "oauth_custom_down", Enabled: true, ClientID: "x", ClientSecret: "y",
			Issuer: "http://127.0.0.1:1/nowhere", AllowSignUp: true}); err != nil {
			t.Fatal(err)
		}
		b7.fails("POST", "/v1/client/sign_ins", url.Values{"strategy": {"oauth_custom_down"}, "redirect_url": {appOrigin + "/cb"}}, 400, "oauth_provider_unavailable")
		// An unknown strategy and a foreign redirect are refused.
		b7.fails("POST", "/v1/client/sign_ins", url.Values{"strategy": {"oauth_github"}, "redirect_url": {appOrigin + "/cb"}}, 422, "strategy_for_user_invalid")
		b7.fails("POST", "/v1/client/sign_ins", url.Values{"strategy": {strategy}, "redirect_url": {"https://evil.example/cb"}}, 422, "redirect_url_domain_mismatch")

		// The access token, through the Backend API (clerk-sdk-go).
		toks, err := e.users.ListOAuthAccessTokens(ctx, &clerkuser.ListOAuthAccessTokensParams{ID: userID, Provider: strategy})
		if err != nil || toks.TotalCount != 1 || toks.OAuthAccessTokens[0].Token == "" || toks.OAuthAccessTokens[0].Provider != strategy {
			t.Fatalf("access tokens: %v %+v", err, toks)
		}
		// Expired (the provider said 10 minutes): refreshed with the
		// refresh token, and kept.
		first := toks.OAuthAccessTokens[0].Token
		m.FastForward(11 * time.Minute)
		e.clock.Set(11 * time.Minute)
		defer e.clock.Set(0)
		toks, err = e.users.ListOAuthAccessTokens(ctx, &clerkuser.ListOAuthAccessTokensParams{ID: userID, Provider: "custom_acme"})
		if err != nil || toks.TotalCount != 1 || toks.OAuthAccessTokens[0].Token == first {
			t.Fatalf("refreshed token: %v %+v", err, toks)
		}
		again, err := e.users.ListOAuthAccessTokens(ctx, &clerkuser.ListOAuthAccessTokensParams{ID: userID, Provider: strategy})
		if err != nil || again.OAuthAccessTokens[0].Token == first {
			t.Fatalf("the refreshed token was not kept: %v %+v", err, again)
		}

		// Deleting the external account.
		st, body = e.do("DELETE", "/v1/users/"+userID+"/external_accounts/"+u.ExternalAccounts[0].ID, nil)
		if st != 200 || !strings.Contains(string(body), `"deleted":true`) {
			t.Fatalf("delete external account: %d %s", st, body)
		}
		if st, _ := e.do("DELETE", "/v1/users/"+userID+"/external_accounts/"+u.ExternalAccounts[0].ID, nil); st != 404 {
			t.Fatalf("delete again: %d", st)
		}
	})
}

// gitHub is a stand-in speaking GitHub's OAuth 2.0 and REST shapes.
type gitHub struct {
	*httptest.Server
	mu    sync.Mutex
	codes map[string]bool
}

func newGitHub(t *testing.T) *gitHub {
	g := &gitHub{codes: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		g.mu.Lock()
		g.codes["code-"+q.Get("state")[:8]] = true
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=code-"+q.Get("state")[:8]+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		g.mu.Lock()
		ok := g.codes[r.Form.Get("code")]
		delete(g.codes, r.Form.Get("code"))
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.Write([]byte(`{"error":"bad_verification_code"}`))
			return
		}
		w.Write([]byte(`{"access_token":"gho_test","token_type":"bearer","scope":"user:email,read:user"}`))
	})
	auth := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gho_test" {
				http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	}
	mux.HandleFunc("GET /user", auth(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "avatar_url": "https://avatars.example/u/583231"})
	}))
	mux.HandleFunc("GET /user/emails", auth(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{{"email": "old@octo.test", "primary": false, "verified": true},
			{"email": "Octocat@Octo.test", "primary": true, "verified": true}})
	}))
	g.Server = httptest.NewServer(mux)
	t.Cleanup(g.Close)
	return g
}

// TestSocialGitHub: the GitHub preset, pointed at a stand-in, signs a
// user up (profile and primary verified email from its API) and in.
func TestSocialGitHub(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil
		g := newGitHub(t)
		ctx := context.Background()
		if err := e.app.OAuth.Save(ctx, oauth.Config{Strategy: "oauth_github", Enabled: true, ClientID: "gh-client", ClientSecret: "gh-secret",
			AllowSignUp: true, AuthURL: g.URL + "/login/oauth/authorize", TokenURL: g.URL + "/login/oauth/access_token",
			UserInfoURL: g.URL + "/user", EmailsURL: g.URL + "/user/emails"}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.socialRedirect(b.startSocial("/v1/client/sign_ups", "oauth_github"))
		c := b.ok("GET", "/v1/client", nil)
		uid, _ := get(c, "response", "sessions", 0, "user", "id").(string)
		if get(c, "response", "sign_up") != nil || uid == "" {
			t.Fatalf("sign-up: %v", c)
		}
		u, err := e.users.Get(ctx, uid)
		if err != nil || *u.FirstName != "The" || *u.LastName != "Octocat" || u.EmailAddresses[0].EmailAddress != "octocat@octo.test" ||
			u.ExternalAccounts[0].ProviderUserID != "583231" || *u.ExternalAccounts[0].Username != "octocat" ||
			u.ExternalAccounts[0].ApprovedScopes != "user:email read:user" {
			t.Fatalf("user: %v %+v %+v", err, u, u.ExternalAccounts)
		}
		b2 := e.browser()
		b2.socialRedirect(b2.startSocial("/v1/client/sign_ins", "oauth_github"))
		if c := b2.ok("GET", "/v1/client", nil); get(c, "response", "sessions", 0, "user", "id") != uid {
			t.Fatalf("sign-in: %v", c)
		}
	})
}

// TestHostedSocialSignIn: the hosted /sign-in page shows the provider's
// button; through it a new visitor gets an account and lands on the
// application signed in (with the session token, and in development the
// client token for the server SDKs' handshake).
func TestHostedSocialSignIn(t *testing.T) {
	e := newEnv(t, "sqlite", withOrigins(appOrigin))
	m := e.startOIDC("oauth_custom_acme", true)
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-hosted", Email: "hosted@acme.test", EmailVerified: true})
	v := e.visitor()
	st, body, _ := v.get("/sign-in?redirect_url=" + url.QueryEscape(appOrigin+"/home"))
	if st != 200 || !strings.Contains(body, "Continue with acme") {
		t.Fatalf("sign-in page: %d\n%s", st, body)
	}
	start := between(body, `href="/sign-in/oauth?`, `"`)
	st, _, h := v.get("/sign-in/oauth?" + strings.ReplaceAll(start, "&amp;", "&"))
	if st != 303 || !strings.HasPrefix(h.Get("Location"), m.Issuer()) {
		t.Fatalf("start: %d %v", st, h)
	}
	hop := func(u string) http.Header {
		t.Helper()
		res, err := v.client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	back := hop(hop(h.Get("Location")).Get("Location")).Get("Location") // provider, then Concierge's callback
	if !strings.HasPrefix(back, e.url+"/sign-in/sso-callback") {
		t.Fatalf("callback went to %q", back)
	}
	final, _ := url.Parse(hop(back).Get("Location"))
	if final.Host != "app.example.test" || final.Path != "/home" || final.Query().Get("__session") == "" || final.Query().Get("__clerk_db_jwt") == "" {
		t.Fatalf("landing: %v", final)
	}
	claims, err := e.app.Keys.Verify(final.Query().Get("__session"), e.url, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.users.Get(context.Background(), claims.Subject)
	if err != nil || u.EmailAddresses[0].EmailAddress != "hosted@acme.test" || len(u.ExternalAccounts) != 1 {
		t.Fatalf("user: %v %+v", err, u)
	}
}
