package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dashboard"
	"github.com/conciergehq/concierge/internal/dbtest"
)

var getRoutes = []string{"/dashboard", "/dashboard/users", "/dashboard/users/new", "/dashboard/users/user_x",
	"/dashboard/sessions", "/dashboard/invitations", "/dashboard/allowlist", "/dashboard/messages",
	"/dashboard/settings", "/dashboard/api-keys", "/dashboard/social", "/dashboard/webhooks", "/dashboard/import-export",
	"/dashboard/audit"}

var postRoutes = []string{"/dashboard/sign-out", "/dashboard/users", "/dashboard/users/user_x/metadata", "/dashboard/users/user_x/ban",
	"/dashboard/users/user_x/unban", "/dashboard/users/user_x/lock", "/dashboard/users/user_x/unlock", "/dashboard/users/user_x/delete",
	"/dashboard/sessions/sess_x/revoke", "/dashboard/invitations", "/dashboard/invitations/inv_x/revoke", "/dashboard/allowlist",
	"/dashboard/allowlist/alid_x/delete", "/dashboard/messages/ema_x/retry", "/dashboard/messages/test", "/dashboard/settings",
	"/dashboard/api-keys", "/dashboard/api-keys/key_x/revoke", "/dashboard/social/oauth_google", "/dashboard/social/custom",
	"/dashboard/webhooks", "/dashboard/webhooks/ep_x/test", "/dashboard/webhook-deliveries/whd_x/replay",
	"/dashboard/import-export/import", "/dashboard/import-export/export"}

// TestEveryRouteNeedsAnOperator: without a signed-in operator, pages
// redirect to the sign-in and forms are refused.
func TestEveryRouteNeedsAnOperator(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		for _, p := range getRoutes {
			st, _, h := c.get(p)
			if st != 303 || !strings.HasPrefix(h.Get("Location"), "/dashboard/sign-in?next=") {
				t.Errorf("GET %s signed out: %d %s", p, st, h.Get("Location"))
			}
		}
		for _, p := range postRoutes {
			if st, _, _ := c.post(p, url.Values{"csrf": {"x"}}); st != 401 {
				t.Errorf("POST %s signed out: %d", p, st)
			}
		}
		// A forged cookie is no session.
		req, _ := http.NewRequest("GET", e.url+"/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: "forged-" + strings.Repeat("x", 40)})
		res, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/dashboard/sign-in") {
			t.Fatalf("GET /dashboard with a forged cookie: %d", res.StatusCode)
		}
	})
}

// TestEveryFormNeedsItsCSRFToken: a signed-in operator's forms are
// refused without the session's token, with a wrong one, or from another
// origin.
func TestEveryFormNeedsItsCSRFToken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		csrf := c.signIn("op@example.com")
		if len(csrf) < 40 {
			t.Fatalf("csrf token %q", csrf)
		}
		for _, p := range getRoutes[:3] {
			if st, _, _ := c.get(p); st != 200 {
				t.Fatalf("GET %s signed in: %d", p, st)
			}
		}
		for _, p := range postRoutes {
			for name, form := range map[string]url.Values{"missing": {}, "wrong": {"csrf": {csrf[:len(csrf)-2] + "xx"}}} {
				if st, _, _ := c.post(p, form); st != 403 {
					t.Errorf("POST %s with a %s token: %d", p, name, st)
				}
			}
			if st, _, _ := c.do("POST", p, url.Values{"csrf": {csrf}}, "http://evil.example"); st != 403 {
				t.Errorf("POST %s from another origin: %d", p, st)
			}
		}
		// With the token, a form works.
		if st, _, h := c.post("/dashboard/allowlist", url.Values{"csrf": {csrf}, "identifier": {"*@example.com"}}); st != 303 || !strings.Contains(h.Get("Location"), "notice=added") {
			t.Fatalf("allowlist add: %d %v", st, h)
		}
		if st, _, h := c.post("/dashboard/sign-out", url.Values{"csrf": {csrf}}); st != 303 || h.Get("Location") != "/dashboard/sign-in" {
			t.Fatalf("sign out: %d %v", st, h)
		}
		if st, _, _ := c.get("/dashboard"); st != 303 {
			t.Fatalf("after sign-out: %d", st)
		}
	})
}

// TestSetup: the first operator needs the secret key; then set-up closes.
func TestSetup(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.client()
	if st, _, h := c.get("/dashboard/sign-in"); st != 303 || h.Get("Location") != "/dashboard/setup" {
		t.Fatalf("sign-in before any operator: %d %v", st, h)
	}
	if st, body, _ := c.get("/dashboard/setup"); st != 200 || !strings.Contains(body, `name="secret_key"`) {
		t.Fatalf("setup page: %d", st)
	}
	if st, body, _ := c.post("/dashboard/setup", url.Values{"secret_key": {"sk_test_" + strings.Repeat("n", 40)},
		"email": {"op@example.com"}, "password": {"operator password 1"}}); st != 422 || !strings.Contains(body, "not a secret key") {
		t.Fatalf("wrong key: %d", st)
	}
	if st, _, _ := c.post("/dashboard/setup", url.Values{"secret_key": {secretKey}, "email": {"op@example.com"},
		"password": {"password"}}); st != 422 {
		t.Fatalf("common password: %d", st)
	}
	if st, _, h := c.post("/dashboard/setup", url.Values{"secret_key": {secretKey}, "email": {"op@example.com"},
		"password": {"operator password 1"}}); st != 303 || h.Get("Location") != "/dashboard" {
		t.Fatalf("setup: %d %v", st, h)
	}
	if st, body, _ := c.get("/dashboard"); st != 200 || !strings.Contains(body, "op@example.com") {
		t.Fatalf("overview after setup: %d", st)
	}
	other := e.client()
	if st, _, h := other.get("/dashboard/setup"); st != 303 || h.Get("Location") != "/dashboard/sign-in" {
		t.Fatalf("setup after the first operator: %d %v", st, h)
	}
	if st, _, _ := other.post("/dashboard/setup", url.Values{"secret_key": {secretKey}, "email": {"x@example.com"},
		"password": {"operator password 2"}}); st != 403 {
		t.Fatalf("second setup: %d", st)
	}
	if st, _, _ := other.post("/dashboard/sign-in", url.Values{"email": {"op@example.com"}, "password": {"wrong password 1"}}); st != 422 {
		t.Fatalf("wrong password: %d", st)
	}
}

// TestMetadataRefusesInvalidJSON: without the page's script, the server
// itself refuses invalid metadata and keeps what was typed.
func TestMetadataRefusesInvalidJSON(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.client()
	csrf := c.signIn("op@example.com")
	u, err := e.app.API.Users.Create(t.Context(), userParams("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	st, body, _ := c.post("/dashboard/users/"+u.ID+"/metadata", url.Values{"csrf": {csrf}, "public_metadata": {`{"plan":`},
		"private_metadata": {`[1,2]`}, "unsafe_metadata": {`{}`}})
	if st != 422 || !strings.Contains(body, "private and public metadata is not a valid JSON object") || !strings.Contains(body, `{&#34;plan&#34;:`) {
		t.Fatalf("invalid JSON: %d\n%s", st, body)
	}
	st, _, h := c.post("/dashboard/users/"+u.ID+"/metadata", url.Values{"csrf": {csrf}, "public_metadata": {`{"plan":"pro"}`},
		"private_metadata": {``}, "unsafe_metadata": {`{}`}})
	if st != 303 || !strings.Contains(h.Get("Location"), "notice=saved") {
		t.Fatalf("valid JSON: %d %v", st, h)
	}
	got, _ := e.app.API.Users.Get(t.Context(), u.ID)
	if string(got.PublicMetadata) != `{"plan":"pro"}` || string(got.PrivateMetadata) != `{}` {
		t.Fatalf("stored %s %s", got.PublicMetadata, got.PrivateMetadata)
	}
}

// TestFormsBadInput: a signed-in operator's forms with odd or broken
// values answer 4xx, never 5xx.
func TestFormsBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) { formsBadInput(t, engine) })
}

func formsBadInput(t *testing.T, engine string) {
	e := newEnv(t, engine)
	c := e.client()
	csrf := c.signIn("op@example.com")
	u, err := e.app.API.Users.Create(t.Context(), userParams("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	values := []url.Values{
		{},
		{"identifier": {"not an identifier"}, "emails": {"nope\n\x00"}, "email_address": {"@@"}, "phone_number": {"12"}},
		{"public_metadata": {"[1]"}, "sign_up_mode": {"everyone"}, "session_lifetime": {"forever"}, "to": {"x"}, "channel": {"sms"}},
		{"smtp_url": {"http://x"}, "allowed_origins": {"not an origin"}, "confirm": {"nope"}, "sms_webhook_url": {"ftp://x"}},
		{"emails": {strings.Repeat("a@example.com\n", 200)}},
	}
	paths := []string{"/dashboard/users", "/dashboard/users/" + u.ID + "/metadata", "/dashboard/users/" + u.ID + "/delete",
		"/dashboard/users/" + u.ID + "/frobnicate", "/dashboard/users/user_x/ban", "/dashboard/sessions/sess_x/revoke",
		"/dashboard/invitations", "/dashboard/invitations/inv_x/revoke", "/dashboard/allowlist", "/dashboard/allowlist/alid_x/delete",
		"/dashboard/messages/ema_x/retry", "/dashboard/messages/test", "/dashboard/settings", "/dashboard/api-keys/key_x/revoke"}
	for _, p := range paths {
		for _, v := range values {
			form := url.Values{"csrf": {csrf}}
			for k, vs := range v {
				form[k] = vs
			}
			if st, _, _ := c.post(p, form); st >= 500 {
				t.Errorf("POST %s %v: %d", p, v, st)
			}
		}
	}
	for _, p := range []string{"/dashboard/users?sort=../../x&offset=-5&q=%00", "/dashboard/users/nope", "/dashboard/messages?status=x&offset=x",
		"/dashboard/invitations?status=weird", "/dashboard/users?partial=1&q=" + strings.Repeat("x", 300)} {
		if st, _, _ := c.get(p); st >= 500 {
			t.Errorf("GET %s: %d", p, st)
		}
	}
}
