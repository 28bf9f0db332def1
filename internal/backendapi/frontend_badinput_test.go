package backendapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestFrontendBadInput sends broken input to every Frontend API route and
// hosted page, signed in and not: nothing answers a 5xx.
func TestFrontendBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) { frontendBadInput(t, engine) })
}

func frontendBadInput(t *testing.T, engine string) {
	e := newEnv(t, engine, withOrigins(appOrigin))
	e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit, e.app.Frontend.AttemptLimit = nil, nil, nil
	e.userWithPassword("ada@example.com")
	b := e.browser()
	sid := b.signIn("ada@example.com", pw)
	cookie := b.cookie("__client")
	routes := []string{
		"GET /v1/environment", "PATCH /v1/environment", "GET /v1/client", "POST /v1/client", "DELETE /v1/client",
		"DELETE /v1/client/sessions", "POST /v1/client/sign_ups", "GET /v1/client/sign_ups/sua_x", "PATCH /v1/client/sign_ups/sua_x",
		"POST /v1/client/sign_ups/sua_x/prepare_verification", "POST /v1/client/sign_ups/sua_x/attempt_verification",
		"POST /v1/client/sign_ins", "GET /v1/client/sign_ins/sia_x", "POST /v1/client/sign_ins/sia_x/prepare_first_factor",
		"POST /v1/client/sign_ins/sia_x/attempt_first_factor", "POST /v1/client/sign_ins/sia_x/reset_password",
		"GET /v1/client/sessions/" + sid, "POST /v1/client/sessions/" + sid + "/touch", "POST /v1/client/sessions/sess_x/tokens",
		"POST /v1/client/sessions/sess_x/tokens/tpl", "POST /v1/client/sessions/sess_x/end", "POST /v1/client/sessions/sess_x/remove",
		"GET /v1/me", "PATCH /v1/me", "POST /v1/me/change_password", "POST /v1/me/remove_password", "GET /v1/me/email_addresses", "POST /v1/me/email_addresses",
		"GET /v1/me/email_addresses/idn_x", "DELETE /v1/me/email_addresses/idn_x", "POST /v1/me/email_addresses/idn_x/prepare_verification",
		"POST /v1/me/email_addresses/idn_x/attempt_verification", "GET /v1/me/sessions/active", "POST /v1/me/sessions/sess_x/revoke",
		"GET /v1/tickets/accept", "POST /v1/dev_browser", "GET /.well-known/jwks.json",
		"GET /sign-in", "POST /sign-in", "POST /sign-in/code", "GET /sign-up", "POST /sign-up", "POST /sign-up/verify", "GET /user",
		"POST /user/profile", "POST /user/emails", "POST /user/identifiers/idn_x/prepare", "POST /user/identifiers/idn_x/verify",
		"POST /user/identifiers/idn_x/delete", "POST /user/password", "POST /user/sessions/sess_x/end", "POST /sign-out",
		"GET /v1/client/sign_ins/sia_%00", "GET /v1/client/sign_ups/%FF%FE", "POST /v1/client/sessions/sess_%00/touch",
		"GET /sign-up?__clerk_ticket=%00&redirect_url=%FF", "GET /v1/tickets/accept?ticket=%00",
		"GET /v1/client?__clerk_db_jwt=%00", "GET /dashboard/users/%00",
	}
	bodies := []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", ""},
		{"application/x-www-form-urlencoded", "identifier=%zz&password=%"},
		{"application/x-www-form-urlencoded", "email_address=\xff\xfe&code=\x00&unsafe_metadata=[1"},
		{"application/x-www-form-urlencoded", "strategy=nonsense&code=1&ticket=x.y.z&password=" + strings.Repeat("p", 100)},
		{"application/json", `{"identifier": {"a": [1, 2]}, "password": 5}`},
		{"application/json", `{broken`},
		{"multipart/form-data; boundary=x", "--x--"},
		{"application/x-www-form-urlencoded", "x=" + strings.Repeat("a", 2<<20)},
	}
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		for _, withCookie := range []bool{false, true} {
			for _, bd := range bodies {
				u := e.url + path
				sep := "?"
				if method != "GET" && method != "POST" {
					u += "?_method=" + method
					sep = "&"
				}
				if strings.Contains(path, "tickets") {
					u += sep + "ticket=" + url.QueryEscape("not.a.ticket")
				}
				verb := method
				if verb != "GET" {
					verb = "POST"
				}
				var rd io.Reader
				if verb == "POST" {
					rd = bytes.NewBufferString(bd.body)
				}
				req, _ := http.NewRequest(verb, u, rd)
				if rd != nil {
					req.Header.Set("Content-Type", bd.ct)
				}
				req.Header.Set("Origin", e.url)
				if withCookie {
					req.AddCookie(cookie)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", route, err)
				}
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("%s (cookie %v, %s %.40q): %d", route, withCookie, bd.ct, bd.body, res.StatusCode)
				}
				if verb == "GET" {
					break
				}
			}
		}
	}
}
