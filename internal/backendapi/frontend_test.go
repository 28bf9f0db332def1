package backendapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkclient "github.com/clerk/clerk-sdk-go/v2/client"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/smtptest"
)

const appOrigin = "http://app.example.test"

// browser calls the Frontend API as clerk-js does: form bodies, method
// tunnelling, the Origin of the application, and a cookie jar.
type browser struct {
	t      testing.TB
	e      *env
	jar    *cookiejar.Jar
	client *http.Client
	origin string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, jar: jar, client: &http.Client{Jar: jar}, origin: appOrigin}
}

// call sends a request; PATCH, PUT and DELETE go as POST ?_method=.
func (b *browser) call(method, path string, form url.Values) (int, map[string]any, http.Header) {
	b.t.Helper()
	u, _ := url.Parse(b.e.url + path)
	q := u.Query()
	q.Set("__clerk_api_version", "2026-08-20")
	q.Set("_clerk_js_version", "6.40.0")
	if method != "GET" && method != "POST" {
		q.Set("_method", method)
		method = "POST"
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u.String(), body)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		var arr []any
		if json.Unmarshal(raw, &arr) != nil {
			b.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
		out = map[string]any{"array": arr}
	}
	return res.StatusCode, out, res.Header
}

// ok calls and expects 200.
func (b *browser) ok(method, path string, form url.Values) map[string]any {
	b.t.Helper()
	st, out, _ := b.call(method, path, form)
	if st != 200 {
		b.t.Fatalf("%s %s: %d %v", method, path, st, out)
	}
	return out
}

// fails calls and expects an error status and code.
func (b *browser) fails(method, path string, form url.Values, status int, code string) map[string]any {
	b.t.Helper()
	st, out, _ := b.call(method, path, form)
	errsList, _ := out["errors"].([]any)
	if st != status || len(errsList) == 0 || errsList[0].(map[string]any)["code"] != code {
		b.t.Fatalf("%s %s: got %d %v, want %d %s", method, path, st, out, status, code)
	}
	return errsList[0].(map[string]any)
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// get walks a decoded JSON value: get(m, "response", "sessions", 0, "id").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

// codeFor waits for the n-th email and returns the code in its subject.
func codeFor(t *testing.T, mail *smtptest.Server, n int, to string) string {
	t.Helper()
	m := mail.Wait(n, 10*time.Second)[n-1]
	if m.To[0] != to {
		t.Fatalf("email %d went to %v, want %s", n, m.To, to)
	}
	code := codeRe.FindString(m.Header.Get("Subject"))
	if code == "" || !strings.Contains(m.Text, code) {
		t.Fatalf("no code in %q / %q", m.Header.Get("Subject"), m.Text)
	}
	return code
}

func (e *env) sdkConfig() *clerk.ClientConfig {
	cc := &clerk.ClientConfig{}
	cc.URL = clerk.String(e.url + "/v1")
	cc.Key = clerk.String(testKey)
	cc.HTTPClient = sdkHTTP
	return cc
}

// sdkHTTP is the SDK clients' HTTP client: clerk-sdk-go's default gives
// up after 5 s, which a bcrypt-hashing create under the race detector on
// a loaded 2-core CI runner has exceeded; the server's own limits, not
// the client's patience, are what the tests check.
var sdkHTTP = &http.Client{Timeout: 60 * time.Second}

// TestSignUpToRevocation: sign up with email and password, the code
// arriving over SMTP; the session's token verifies with clerk-sdk-go's
// jwt.Verify against Concierge's JWKS; the Backend API lists the session
// and its client and verifies the client token; once revoked, the
// session mints no token and its old token no longer verifies.
func TestSignUpToRevocation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		ctx := context.Background()
		b := e.browser()

		env := b.ok("GET", "/v1/environment", nil)
		if get(env, "display_config", "application_name") != "Concierge" || get(env, "user_settings", "sign_up", "mode") != "public" {
			t.Fatalf("environment: %v", env)
		}
		if out := b.ok("GET", "/v1/client", nil); out["response"] != nil || out["client"] != nil {
			t.Fatalf("client before anything: %v", out)
		}

		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"Ada@Example.com"}, "password": {"correct horse battery"},
			"first_name": {"Ada"}, "locale": {"en-US"}, "timezone": {"UTC"}})
		su := out["response"]
		suID, _ := get(su, "id").(string)
		if get(su, "status") != "missing_requirements" || get(su, "email_address") != "ada@example.com" ||
			get(su, "unverified_fields", 0) != "email_address" || len(get(su, "missing_fields").([]any)) != 0 ||
			get(su, "verifications", "email_address", "next_action") != "needs_prepare" ||
			get(su, "verifications", "email_address", "strategy") != nil || get(out, "client", "sign_up", "id") != suID {
			t.Fatalf("sign-up created: %v", out)
		}
		ck := b.cookie("__client")
		if ck == nil {
			t.Fatal("no __client cookie")
		}
		b.ok("POST", "/v1/client/sign_ups/"+suID+"/prepare_verification", url.Values{"strategy": {"email_code"}})
		code := codeFor(t, mail, 1, "ada@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		errObj := b.fails("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {wrong}},
			422, "form_code_incorrect")
		if get(errObj, "meta", "param_name") != "code" {
			t.Fatalf("error meta: %v", errObj)
		}
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {code}})
		sid, _ := get(out, "response", "created_session_id").(string)
		userID, _ := get(out, "response", "created_user_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" || userID == "" ||
			get(out, "client", "sessions", 0, "id") != sid || get(out, "client", "sessions", 0, "status") != "active" ||
			get(out, "client", "sessions", 0, "user", "id") != userID || get(out, "client", "last_active_session_id") != sid ||
			get(out, "client", "sign_up") != nil {
			t.Fatalf("sign-up completed: %v", out)
		}
		if b.cookie("__client").Value == ck.Value {
			t.Fatal("the client token was not rotated at sign-up")
		}
		b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {""}, "intent": {"select_session"}})
		tok := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{"organization_id": {""}, "tab_state": {"focused"}})
		raw, _ := tok["jwt"].(string)
		if tok["object"] != "token" || raw == "" {
			t.Fatalf("token: %v", tok)
		}

		// Networkless verification with the official Go SDK.
		claims, err := jwt.Verify(ctx, &jwt.VerifyParams{Token: raw, JWKSClient: jwks.NewClient(e.sdkConfig()), ProxyURL: &e.url})
		if err != nil {
			t.Fatalf("clerk-sdk-go jwt.Verify: %v", err)
		}
		if claims.Subject != userID || claims.SessionID != sid || claims.AuthorizedParty != appOrigin || claims.Issuer != e.url ||
			claims.Expiry == nil || claims.IssuedAt == nil || int64(*claims.Expiry)-int64(*claims.IssuedAt) != 60 {
			t.Fatalf("claims: %+v", claims)
		}

		// The Backend API sees the session and its client.
		sessions := clerksession.NewClient(e.sdkConfig())
		list, err := sessions.List(ctx, &clerksession.ListParams{UserID: &userID})
		if err != nil || list.TotalCount != 1 || list.Sessions[0].ID != sid || list.Sessions[0].Status != "active" {
			t.Fatalf("sessions: %v %+v", err, list)
		}
		clients := clerkclient.NewClient(e.sdkConfig())
		cl, err := clients.Get(ctx, list.Sessions[0].ClientID)
		if err != nil || len(cl.Sessions) != 1 || cl.Sessions[0].ID != sid || cl.LastActiveSessionID == nil || *cl.LastActiveSessionID != sid {
			t.Fatalf("client: %v %+v", err, cl)
		}
		clientTok := b.cookie("__client").Value
		verified, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &clientTok})
		if err != nil || verified.ID != cl.ID {
			t.Fatalf("clients/verify: %v %+v", err, verified)
		}
		_, err = clients.Verify(ctx, &clerkclient.VerifyParams{Token: &ck.Value}) // the pre-sign-up token
		apiErr(t, err, http.StatusBadRequest, "client_token_invalid")
		all, err := clients.List(ctx, &clerkclient.ListParams{})
		if err != nil || all.TotalCount != 1 {
			t.Fatalf("clients list: %v %+v", err, all)
		}
		st, body := e.do("POST", "/v1/sessions/"+sid+"/verify", map[string]string{"token": raw})
		if st != 200 || !strings.Contains(string(body), sid) {
			t.Fatalf("sessions verify: %d %s", st, body)
		}

		// Revoke: no more tokens, the old one is refused.
		rev, err := sessions.Revoke(ctx, &clerksession.RevokeParams{ID: sid})
		if err != nil || rev.Status != "revoked" {
			t.Fatalf("revoke: %v %+v", err, rev)
		}
		b.fails("POST", "/v1/client/sessions/"+sid+"/tokens", nil, 401, "signed_out")
		st, body = e.do("POST", "/v1/sessions/"+sid+"/verify", map[string]string{"token": raw})
		envelope(t, st, body, 400, "invalid_session_token")
		_, err = sessions.Revoke(ctx, &clerksession.RevokeParams{ID: sid})
		if err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if out := b.ok("GET", "/v1/client", nil); len(get(out, "response", "sessions").([]any)) != 0 {
			t.Fatalf("a revoked session is still on the client: %v", out)
		}
	})
}
