package backendapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// touch sends the browser's GET /v1/client/touch without following the
// redirect, and returns the status, Location and the __client cookie set.
func (b *browser) touch(redirect string) (int, string, *http.Cookie) {
	b.t.Helper()
	u := b.e.url + "/v1/client/touch?" + url.Values{"redirect_url": {redirect}, "_clerk_js_version": {"6.40.0"}}.Encode()
	c := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var set *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "__client" {
			set = ck
		}
	}
	return res.StatusCode, res.Header.Get("Location"), set
}

// TestClientTouch: the cookie's refresh goes back only to the
// application, and sets the cookie again for a client that has one.
func TestClientTouch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		b := e.browser()
		b.fails("GET", "/v1/client/touch", nil, 422, "form_param_missing")
		for _, bad := range []string{"https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"} {
			b.fails("GET", "/v1/client/touch?redirect_url="+url.QueryEscape(bad), nil, 422, "redirect_url_domain_mismatch")
		}
		// Without a client it only redirects.
		st, loc, set := b.touch(appOrigin + "/dashboard?a=1")
		if st != http.StatusFound || loc != appOrigin+"/dashboard?a=1" || set != nil {
			t.Fatalf("touch without client: %d %q %v", st, loc, set)
		}
		startSignUpWith(t, b, "touch@example.com")
		old := b.cookie("__client")
		st, loc, set = b.touch(appOrigin + "/")
		if st != http.StatusFound || loc != appOrigin+"/" || set == nil || set.Value != old.Value || set.MaxAge < 300*24*3600 || !set.HttpOnly {
			t.Fatalf("touch with client: %d %q %+v", st, loc, set)
		}
	})
}

func startSignUpWith(t *testing.T, b *browser, email string) string {
	t.Helper()
	out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {email}, "password": {"correct horse battery"}})
	id, _ := get(out, "response", "id").(string)
	if id == "" {
		t.Fatalf("sign-up: %v", out)
	}
	return id
}

// TestClientVerifyAndProtectCheck: with no captcha and no protect check
// to pass, the captcha token and the proof token are answered with the
// client and the attempt, each only for the caller's own.
func TestClientVerifyAndProtectCheck(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		b := e.browser()
		b.fails("POST", "/v1/client/verify", url.Values{"captcha_token": {"t"}}, 401, "signed_out")
		suID := startSignUpWith(t, b, "protect@example.com")
		out := b.ok("POST", "/v1/client/verify", url.Values{"captcha_token": {"t"}, "captcha_widget_type": {"invisible"}})
		if get(out, "response", "object") != "client" || get(out, "response", "id") != get(out, "client", "id") ||
			get(out, "response", "sign_up", "id") != suID {
			t.Fatalf("verify: %v", out)
		}
		out = b.ok("PATCH", "/v1/client/sign_ups/"+suID+"/protect_check", url.Values{"proof_token": {"p"}})
		if get(out, "response", "id") != suID || get(out, "response", "object") != "sign_up_attempt" ||
			get(out, "response", "protect_check") != nil {
			t.Fatalf("sign-up protect_check: %v", out)
		}
		b.fails("PATCH", "/v1/client/sign_ups/sua_missing/protect_check", url.Values{"proof_token": {"p"}}, 404, "resource_not_found")

		mustCreateUser(t, e, "member@example.com")
		out = b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"member@example.com"}})
		siID, _ := get(out, "response", "id").(string)
		out = b.ok("PATCH", "/v1/client/sign_ins/"+siID+"/protect_check", url.Values{"proof_token": {"p"}})
		if get(out, "response", "id") != siID || get(out, "response", "status") != "needs_first_factor" {
			t.Fatalf("sign-in protect_check: %v", out)
		}
		// Another browser cannot reach this one's attempts.
		other := e.browser()
		startSignUpWith(t, other, "other@example.com")
		other.fails("PATCH", "/v1/client/sign_ins/"+siID+"/protect_check", nil, 404, "resource_not_found")
		other.fails("PATCH", "/v1/client/sign_ups/"+suID+"/protect_check", nil, 404, "resource_not_found")
	})
}

// TestDevToolsEnableSetting: clerk-js's "enable organizations" prompt
// turns the setting on in development; production refuses it.
func TestDevToolsEnableSetting(t *testing.T) {
	const path = "/v1/dev_tools/enable_environment_setting"
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		b := e.browser()
		if get(b.ok("GET", "/v1/environment", nil), "organization_settings", "enabled") != false {
			t.Fatal("organizations on before")
		}
		b.fails("PATCH", path, nil, 422, "form_param_missing")
		b.fails("PATCH", path, url.Values{"enable_billing": {"true"}}, 422, "form_param_unknown")
		b.fails("PATCH", path, url.Values{"enable_organizations": {"yes"}}, 422, "form_param_format_invalid")
		b.fails("PATCH", path, url.Values{"enable_organizations": {"true"}, "organization_allow_personal_accounts": {"false"}},
			422, "form_param_value_invalid")
		if get(b.ok("GET", "/v1/environment", nil), "organization_settings", "enabled") != false {
			t.Fatal("a refused call changed the setting")
		}
		out := b.ok("PATCH", path, url.Values{"enable_organizations": {"true"}, "organization_allow_personal_accounts": {"true"}})
		if get(out, "organization_settings", "enabled") != true || get(b.ok("GET", "/v1/environment", nil), "organization_settings", "enabled") != true {
			t.Fatalf("after enabling: %v", out)
		}
		// An unknown path under the prefix is the Frontend API's 404, not
		// the Backend API's 401.
		b.fails("PATCH", "/v1/dev_tools/other", nil, 404, "resource_not_found")

		p := newEnv(t, engine, withOrigins(appOrigin), withProduction("example.test"))
		errObj := p.browser().fails("PATCH", path, url.Values{"enable_organizations": {"true"}}, 403, "development_instance_only")
		if !strings.Contains(get(errObj, "long_message").(string), "development") {
			t.Fatalf("production: %v", errObj)
		}
	})
}
