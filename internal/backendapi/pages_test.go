package backendapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/invitation"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// visitor uses the hosted pages as a browser does: a cookie jar, form
// posts from the page's own origin, redirects not followed.
type visitor struct {
	t      testing.TB
	e      *env
	client *http.Client
}

func (e *env) visitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: e.t, e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) do(method, path string, form url.Values, origin string) (int, string, http.Header) {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, v.e.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (v *visitor) get(path string) (int, string, http.Header) { return v.do("GET", path, nil, "") }

func (v *visitor) post(path string, form url.Values) (int, string, http.Header) {
	return v.do("POST", path, form, v.e.url)
}

// TestHostedPages: sign-up with a code, sign-in back to an application
// with a session token, the profile page's changes, and the guards.
func TestHostedPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		v := e.visitor()

		st, body, h := v.get("/sign-up")
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, `<form method="post" action="/sign-up">`) ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || !strings.Contains(body, `<html lang="en">`) {
			t.Fatalf("sign-up page: %d %v\n%s", st, h, body)
		}
		if st, _, _ := v.do("POST", "/sign-up", url.Values{"email_address": {"x@example.com"}}, "http://evil.example"); st != 403 {
			t.Fatalf("cross-origin form post: %d", st)
		}
		st, body, _ = v.post("/sign-up", url.Values{"email_address": {"ada@example.com"}, "password": {"short"}})
		if st != 422 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="ada@example.com"`) {
			t.Fatalf("bad password: %d\n%s", st, body)
		}
		st, body, _ = v.post("/sign-up", url.Values{"email_address": {"ada@example.com"}, "password": {pw}, "first_name": {"Ada"}})
		if st != 200 || !strings.Contains(body, `action="/sign-up/verify"`) {
			t.Fatalf("code step: %d\n%s", st, body)
		}
		suID := between(body, `name="sign_up_id" value="`, `"`)
		code := codeFor(t, mail, 1, "ada@example.com")
		st, _, h = v.post("/sign-up/verify", url.Values{"sign_up_id": {suID}, "code": {code}})
		if st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("verified: %d %v", st, h)
		}
		st, body, _ = v.get("/user")
		if st != 200 || !strings.Contains(body, "ada@example.com") || !strings.Contains(body, `value="Ada"`) || !strings.Contains(body, "This device") {
			t.Fatalf("profile: %d\n%s", st, body)
		}

		// Profile changes.
		if st, _, h := v.post("/user/profile", url.Values{"first_name": {"Augusta"}, "last_name": {"King"}}); st != 303 || h.Get("Location") != "/user?notice=saved" {
			t.Fatalf("save: %d %v", st, h)
		}
		if st, _, _ := v.post("/user/emails", url.Values{"email_address": {"ada@work.example"}}); st != 303 {
			t.Fatalf("add email: %d", st)
		}
		_, body, _ = v.get("/user")
		newID := between(body[strings.Index(body, "ada@work.example"):], `action="/user/identifiers/`, `/prepare"`)
		if !strings.Contains(body, `value="Augusta"`) || newID == "" {
			t.Fatalf("after changes:\n%s", body)
		}
		v.post("/user/identifiers/"+newID+"/prepare", url.Values{})
		code = codeFor(t, mail, 2, "ada@work.example")
		if st, _, _ := v.post("/user/identifiers/"+newID+"/verify", url.Values{"code": {"000000"}}); code != "000000" && st != 422 {
			t.Fatalf("wrong code: %d", st)
		}
		if st, _, h := v.post("/user/identifiers/"+newID+"/verify", url.Values{"code": {code}}); st != 303 || h.Get("Location") != "/user?notice=verified" {
			t.Fatalf("verify: %d %v", st, h)
		}
		if st, _, _ := v.post("/user/password", url.Values{"current_password": {"not it at all"}, "new_password": {"another fine password"}}); st != 422 {
			t.Fatalf("wrong current password: %d", st)
		}
		if st, _, _ := v.post("/user/password", url.Values{"current_password": {pw}, "new_password": {"another fine password"}}); st != 303 {
			t.Fatalf("password: %d", st)
		}

		// Sign in from an application: back there with a session token.
		app := e.visitor()
		st, _, h = app.post("/sign-in", url.Values{"identifier": {"ada@example.com"}, "password": {"another fine password"},
			"strategy": {"password"}, "redirect_url": {appOrigin + "/after?x=1"}})
		loc, _ := url.Parse(h.Get("Location"))
		if st != 303 || !strings.HasPrefix(loc.String(), appOrigin+"/after?") || loc.Query().Get("x") != "1" {
			t.Fatalf("sign-in redirect: %d %s", st, loc)
		}
		// The application verifies it with the official SDK, networklessly
		// after its first JWKS fetch.
		claims, err := jwt.Verify(context.Background(), &jwt.VerifyParams{Token: loc.Query().Get("__session"),
			JWKSClient: jwks.NewClient(e.sdkConfig()), ProxyURL: &e.url})
		if err != nil || claims.Subject == "" || claims.SessionID == "" {
			t.Fatalf("__session token: %v", err)
		}
		// Not to other origins.
		st, _, h = e.visitor().post("/sign-in", url.Values{"identifier": {"ada@example.com"}, "password": {"another fine password"},
			"redirect_url": {"https://evil.example/steal"}})
		if st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("foreign redirect_url: %d %v", st, h)
		}
		// Wrong password: the form again, with the error.
		st, body, _ = e.visitor().post("/sign-in", url.Values{"identifier": {"ada@example.com"}, "password": {"nope nope nope"}})
		if st != 422 || !strings.Contains(body, "Password is incorrect") {
			t.Fatalf("wrong password: %d\n%s", st, body)
		}
		// No such account: said so by default; with strict enumeration
		// protection, the same answer as a wrong password.
		st, body, _ = e.visitor().post("/sign-in", url.Values{"identifier": {"nobody@example.com"}, "password": {"nope nope nope"}})
		if st != 422 || !strings.Contains(body, "find your account") {
			t.Fatalf("unknown account: %d\n%s", st, body)
		}
		if err := e.app.Settings.Set(context.Background(), instance.StrictEnumerationProtection, "true"); err != nil {
			t.Fatal(err)
		}
		st, body, _ = e.visitor().post("/sign-in", url.Values{"identifier": {"nobody@example.com"}, "password": {"nope nope nope"}})
		if st != 422 || !strings.Contains(body, "Password is incorrect") || strings.Contains(body, "find your account") {
			t.Fatalf("unknown account, strict: %d\n%s", st, body)
		}

		// Sessions: the first visitor ends the application's session.
		// (three: this one, the application's, the one sent to /user).
		_, body, _ = v.get("/user")
		if strings.Count(body, `/end"`) != 3 || !strings.Contains(body, claims.SessionID) {
			t.Fatalf("want 3 sessions listed, with %s:\n%s", claims.SessionID, body)
		}
		if st, _, _ := v.post("/user/sessions/"+claims.SessionID+"/end", url.Values{}); st != 303 {
			t.Fatalf("end session: %d", st)
		}
		if st, _, h := app.get("/user"); st != 303 || !strings.HasPrefix(h.Get("Location"), "/sign-in") {
			t.Fatalf("ended session still signed in: %d %v", st, h)
		}
		if st, _, _ := v.post("/sign-out", url.Values{}); st != 303 {
			t.Fatalf("sign out: %d", st)
		}
		if st, _, _ := v.get("/user"); st != 303 {
			t.Fatalf("signed out but /user answers %d", st)
		}
	})
}

// TestHostedSignUpWithTicket: the invitation link lands on the hosted
// sign-up with the address filled in; the sign-up needs no code.
func TestHostedSignUpWithTicket(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		inv, err := e.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "grace@example.com", Notify: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		v := e.visitor()
		st, _, h := v.do("GET", strings.TrimPrefix(inv.URL, e.url), nil, "")
		if st != 303 || !strings.HasPrefix(h.Get("Location"), e.url+"/sign-up?") {
			t.Fatalf("landing: %d %v", st, h)
		}
		loc, _ := url.Parse(h.Get("Location"))
		st, body, _ := v.get(loc.RequestURI())
		if st != 200 || !strings.Contains(body, `value="grace@example.com"`) || !strings.Contains(body, "readonly") {
			t.Fatalf("ticket page: %d\n%s", st, body)
		}
		st, _, h = v.post("/sign-up", url.Values{"email_address": {"grace@example.com"}, "password": {pw},
			"ticket": {loc.Query().Get("__clerk_ticket")}})
		if st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("ticket sign-up: %d %v", st, h)
		}
		// The link is spent.
		st, _, h = e.visitor().do("GET", strings.TrimPrefix(inv.URL, e.url), nil, "")
		if st != 303 || !strings.Contains(h.Get("Location"), "__clerk_error=invitation_already_accepted") {
			t.Fatalf("second use: %d %v", st, h)
		}
	})
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// TestHostedSignUpWithPhone: when the instance requires a phone number,
// the hosted sign-up asks for it and verifies it by SMS.
func TestHostedSignUpWithPhone(t *testing.T) {
	sms := newGateway(t, 0)
	e := newEnv(t, "sqlite", withSMS(&delivery.Webhook{URL: sms.URL}),
		withSettings(map[string]string{instance.RequiredIdentifiers: "phone_number"}))
	v := e.visitor()
	st, body, _ := v.get("/sign-up")
	if st != 200 || !strings.Contains(body, `name="phone_number"`) || strings.Contains(body, `name="email_address"`) {
		t.Fatalf("form: %d\n%s", st, body)
	}
	st, body, _ = v.post("/sign-up", url.Values{"phone_number": {"+14155552671"}, "password": {pw}})
	if st != 200 || !strings.Contains(body, `name="strategy" value="phone_code"`) || !strings.Contains(body, "14155552671") {
		t.Fatalf("code step: %d\n%s", st, body)
	}
	suID := between(body, `name="sign_up_id" value="`, `"`)
	st, _, h := v.post("/sign-up/verify", url.Values{"sign_up_id": {suID}, "strategy": {"phone_code"}, "code": {smsCode(t, sms, 1)}})
	if st != 303 || h.Get("Location") != "/user" {
		t.Fatalf("verified: %d %v", st, h)
	}
}

// TestHostedSignInWithCode: the hosted sign-in's "email me a code".
func TestHostedSignInWithCode(t *testing.T) {
	mail := smtptest.Start(t)
	e := newEnv(t, "sqlite", withSMTP(mail), withOrigins(appOrigin))
	e.userWithPassword("ada@example.com")
	v := e.visitor()
	st, body, _ := v.post("/sign-in", url.Values{"identifier": {"ada@example.com"}, "strategy": {"email_code"}})
	if st != 200 || !strings.Contains(body, `action="/sign-in/code"`) {
		t.Fatalf("code step: %d\n%s", st, body)
	}
	siID := between(body, `name="sign_in_id" value="`, `"`)
	code, wrong := codeFor(t, mail, 1, "ada@example.com"), "000000"
	if code == wrong {
		wrong = "111111"
	}
	if st, body, _ := v.post("/sign-in/code", url.Values{"sign_in_id": {siID}, "code": {wrong}}); st != 422 || !strings.Contains(body, "incorrect") {
		t.Fatalf("wrong code: %d", st)
	}
	st, _, h := v.post("/sign-in/code", url.Values{"sign_in_id": {siID}, "code": {code}})
	if st != 303 || h.Get("Location") != "/user" {
		t.Fatalf("signed in: %d %v", st, h)
	}
}
