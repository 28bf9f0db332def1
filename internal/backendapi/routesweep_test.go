package backendapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// sweepRoute is one call an official SDK makes: the sweep checks the
// router serves it, whatever the route then answers to this request.
type sweepRoute struct {
	method, path string
	body         any  // JSON for the Backend API, url.Values for the Frontend API
	frontend     bool // sent by a browser with a client instead of the secret key
}

// coreRoutes are the core routes of issue 18 the SDKs call (clerk-sdk-go,
// @clerk/backend, clerk-js 6.40).
var coreRoutes = []sweepRoute{
	{method: "POST", path: "/v1/users/user_x/verify_password", body: map[string]any{"password": "p"}},
	{method: "POST", path: "/v1/users/user_x/remove_password"},
	{method: "POST", path: "/v1/users/user_x/password/set_compromised", body: map[string]any{}},
	{method: "POST", path: "/v1/users/user_x/password/unset_compromised"},
	{method: "PUT", path: "/v1/users/user_x/email_address", body: map[string]any{"email_address": "a@example.com"}},
	{method: "PUT", path: "/v1/users/user_x/phone_number", body: map[string]any{"phone_number": "+14155550101"}},
	{method: "POST", path: "/v1/users/user_x/profile_image"},
	{method: "DELETE", path: "/v1/users/user_x/profile_image"},
	{method: "DELETE", path: "/v1/users/user_x/web3_wallets/idn_x"},
	{method: "POST", path: "/v1/email_addresses", body: map[string]any{"user_id": "user_x", "email_address": "a@example.com"}},
	{method: "GET", path: "/v1/email_addresses/idn_x"},
	{method: "PATCH", path: "/v1/email_addresses/idn_x", body: map[string]any{"verified": true}},
	{method: "DELETE", path: "/v1/email_addresses/idn_x"},
	{method: "POST", path: "/v1/phone_numbers", body: map[string]any{"user_id": "user_x", "phone_number": "+14155550101"}},
	{method: "GET", path: "/v1/phone_numbers/idn_x"},
	{method: "PATCH", path: "/v1/phone_numbers/idn_x", body: map[string]any{"verified": true}},
	{method: "DELETE", path: "/v1/phone_numbers/idn_x"},
	{method: "GET", path: "/v1/blocklist_identifiers"},
	{method: "POST", path: "/v1/blocklist_identifiers", body: map[string]any{"identifier": "spam@example.com"}},
	{method: "DELETE", path: "/v1/blocklist_identifiers/blid_x"},
	{method: "POST", path: "/v1/sign_in_tokens", body: map[string]any{"user_id": "user_x"}},
	{method: "POST", path: "/v1/sign_in_tokens/sit_x/revoke"},
	{method: "POST", path: "/v1/actor_tokens", body: map[string]any{"user_id": "user_x", "actor": map[string]any{"sub": "user_y"}}},
	{method: "POST", path: "/v1/actor_tokens/act_x/revoke"},
	{method: "GET", path: "/v1/sign_ups/sua_x"},
	{method: "PATCH", path: "/v1/sign_ups/sua_x", body: map[string]any{"custom_action": true}},
	{method: "POST", path: "/v1/testing_tokens"},

	{method: "GET", path: "/v1/client/touch?redirect_url=" + url.QueryEscape(appOrigin+"/"), frontend: true},
	{method: "POST", path: "/v1/client/verify", body: url.Values{"captcha_token": {"t"}}, frontend: true},
	{method: "PATCH", path: "/v1/client/sign_ins/sia_x/protect_check", body: url.Values{"proof_token": {"p"}}, frontend: true},
	{method: "PATCH", path: "/v1/client/sign_ups/sua_x/protect_check", body: url.Values{"proof_token": {"p"}}, frontend: true},
	{method: "PATCH", path: "/v1/dev_tools/enable_environment_setting", body: url.Values{"enable_organizations": {"true"}}, frontend: true},
	{method: "POST", path: "/v1/me/profile_image", frontend: true},
	{method: "DELETE", path: "/v1/me/profile_image", frontend: true},
	{method: "POST", path: "/v1/me/remove_password", body: url.Values{"current_password": {"p"}}, frontend: true},
	{method: "GET", path: "/v1/waitlist_entries"},
	{method: "POST", path: "/v1/waitlist_entries", body: map[string]any{"email_address": "w@example.com"}},
	{method: "POST", path: "/v1/waitlist_entries/bulk", body: []map[string]any{{"email_address": "w@example.com"}}},
	{method: "POST", path: "/v1/waitlist_entries/wle_x/invite", body: map[string]any{}},
	{method: "POST", path: "/v1/waitlist_entries/wle_x/reject"},
	{method: "DELETE", path: "/v1/waitlist_entries/wle_x"},
	{method: "POST", path: "/v1/waitlist", body: url.Values{"email_address": {"w@example.com"}}, frontend: true},
	{method: "GET", path: "/v1/redirect_urls"},
	{method: "POST", path: "/v1/redirect_urls", body: map[string]any{"url": appOrigin + "/"}},
	{method: "GET", path: "/v1/redirect_urls/ru_x"},
	{method: "DELETE", path: "/v1/redirect_urls/ru_x"},
	{method: "GET", path: "/v1/domains"},
	{method: "POST", path: "/v1/domains", body: map[string]any{"name": "example.test"}},
	{method: "PATCH", path: "/v1/domains/dmn_x", body: map[string]any{}},
	{method: "DELETE", path: "/v1/domains/dmn_x"},
	{method: "POST", path: "/v1/proxy_checks", body: map[string]any{"domain_id": "dmn_x", "proxy_url": "https://example.test/__clerk"}},
	{method: "GET", path: "/v1/instance"},
	{method: "PATCH", path: "/v1/instance", body: map[string]any{}},
	{method: "PATCH", path: "/v1/instance/restrictions", body: map[string]any{}},
	{method: "GET", path: "/v1/instance/organization_settings"},
	{method: "PATCH", path: "/v1/instance/organization_settings", body: map[string]any{}},
	{method: "GET", path: "/v1/verify?token=x", frontend: true},
}

// routerMiss reports whether an answer is the router's own "no such
// route" (Fallback): 405, or 404 naming the path ("The requested
// resource … was not found."), unlike a resource's 404 ("No user was
// found with id …"). A browser's call on a path no Frontend API route
// or prefix takes falls to the Backend API, which refuses it for want of
// a secret key: for frontend calls that counts as missing too.
func routerMiss(status int, body []byte, frontend bool) bool {
	if status == http.StatusMethodNotAllowed {
		return true
	}
	if frontend && status == http.StatusUnauthorized && strings.Contains(string(body), `"authorization_header_format_invalid"`) {
		return true
	}
	var e struct {
		Errors []struct {
			Code        string `json:"code"`
			LongMessage string `json:"long_message"`
		} `json:"errors"`
	}
	return status == http.StatusNotFound && json.Unmarshal(body, &e) == nil && len(e.Errors) == 1 &&
		e.Errors[0].Code == "resource_not_found" && strings.HasPrefix(e.Errors[0].LongMessage, "The requested resource ")
}

// TestRouteSweep sends one plausible request to every core route and
// checks none is the router's "no such route".
func TestRouteSweep(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		b := e.browser()
		startSignUpWith(t, b, "sweep@example.com") // the browser has a client
		send := func(r sweepRoute) (int, []byte) {
			if !r.frontend {
				return e.do(r.method, r.path, r.body)
			}
			form, _ := r.body.(url.Values)
			return b.raw(r.method, r.path, form)
		}
		// The check itself tells a missing route from a missing resource.
		if st, body := send(sweepRoute{method: "GET", path: "/v1/no_such_route"}); !routerMiss(st, body, false) {
			t.Fatalf("unknown Backend API path not seen as missing: %d %s", st, body)
		}
		for _, p := range []string{"/v1/client/no_such_route", "/v1/no_such_route"} {
			if st, body := send(sweepRoute{method: "PATCH", path: p, frontend: true}); !routerMiss(st, body, true) {
				t.Fatalf("unknown Frontend API path %s not seen as missing: %d %s", p, st, body)
			}
		}
		if st, body := send(sweepRoute{method: "GET", path: "/v1/users/user_missing"}); st != 404 || routerMiss(st, body, false) {
			t.Fatalf("an unknown user seen as a missing route: %d %s", st, body)
		}
		for _, r := range coreRoutes {
			if st, body := send(r); routerMiss(st, body, r.frontend) {
				t.Errorf("%s %s: the router has no such route: %d %s", r.method, r.path, st, body)
			}
		}
	})
}

// raw sends a Frontend API call as clerk-js does and returns the status
// and body, redirects not followed.
func (b *browser) raw(method, path string, form url.Values) (int, []byte) {
	b.t.Helper()
	u, _ := url.Parse(b.e.url + path)
	q := u.Query()
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
	req.Header.Set("Origin", b.origin)
	c := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}
