// Package clerkjs_test runs Clerk's own browser library (@clerk/clerk-js
// and @clerk/ui, at pinned versions) in headless Chromium against a real
// Concierge, through its prebuilt components.
package clerkjs_test

import (
	"context"
	"fmt"
	"github.com/conciergehq/concierge/sdk"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/smtptest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Pinned versions; fetch.sh downloads the same.
const (
	clerkJSDir = "vendor/clerk-clerk-js-6.40.0/dist"
	clerkUIDir = "vendor/clerk-ui-1.36.0/dist"
	secretKey  = "sk_test_clerkjsclerkjsclerkjsclerkjsclerk"
	// MandatoryEnv makes missing bundles or browser a failure (CI).
	MandatoryEnv = "CONCIERGE_TEST_CLERKJS"
)

// known lists the Frontend API calls these flows are expected to make,
// with the body fields each may carry. Anything else is reported: a new
// pinned version must be looked at, not silently accepted.
var known = map[string][]string{
	"PATCH /v1/environment":                                   {},
	"GET /v1/environment":                                     {},
	"GET /v1/client":                                          {},
	"DELETE /v1/client/sessions":                              {},
	"POST /v1/client/sign_ins":                                {"identifier", "strategy", "password", "locale", "timezone", "redirect_url", "action_complete_redirect_url", "ticket"},
	"GET /v1/client/sign_ins/*":                               {},
	"POST /v1/client/sign_ins/*/prepare_first_factor":         {"strategy", "email_address_id", "phone_number_id", "redirect_url"},
	"POST /v1/client/sign_ins/*/attempt_first_factor":         {"strategy", "password", "code", "public_key_credential"},
	"POST /v1/client/sign_ins/*/reset_password":               {"password", "sign_out_of_other_sessions"},
	"POST /v1/client/sign_ups":                                {"email_address", "password", "locale", "timezone", "strategy", "ticket", "first_name", "last_name", "phone_number", "username", "transfer", "redirect_url", "action_complete_redirect_url", "unsafe_metadata"},
	"PATCH /v1/client/sign_ups/*":                             {"email_address", "password", "strategy", "ticket", "first_name", "last_name", "phone_number", "username"},
	"GET /v1/tickets/accept":                                  {},
	"GET /v1/verify":                                          {},
	"POST /v1/waitlist":                                       {"email_address"},
	"POST /v1/dev_browser":                                    {},
	"GET /v1/client/sign_ups/*":                               {},
	"POST /v1/client/sign_ups/*/prepare_verification":         {"strategy", "redirect_url"},
	"POST /v1/client/sign_ups/*/attempt_verification":         {"strategy", "code"},
	"POST /v1/client/sessions/*/touch":                        {"active_organization_id", "intent"},
	"POST /v1/client/sessions/*/tokens":                       {"organization_id", "tab_state"},
	"POST /v1/client/sessions/*/tokens/convex":                {"organization_id", "tab_state"},
	"POST /v1/client/sessions/*/end":                          {},
	"POST /v1/client/sessions/*/remove":                       {},
	"GET /v1/me":                                              {},
	"PATCH /v1/me":                                            {"first_name", "last_name", "username", "primary_email_address_id"},
	"POST /v1/me/change_password":                             {"current_password", "new_password", "sign_out_of_other_sessions"},
	"GET /v1/me/email_addresses":                              {},
	"POST /v1/me/email_addresses":                             {"email_address"},
	"POST /v1/me/email_addresses/*/prepare_verification":      {"strategy", "redirect_url"},
	"GET /v1/me/email_addresses/*":                            {},
	"POST /v1/me/email_addresses/*/attempt_verification":      {"code"},
	"DELETE /v1/me/email_addresses/*":                         {},
	"GET /v1/me/sessions/active":                              {},
	"DELETE /v1/me":                                           {},
	"PATCH /v1/me/metadata":                                   {"unsafe_metadata"},
	"POST /v1/me/phone_numbers":                               {"phone_number"},
	"POST /v1/me/phone_numbers/*/prepare_verification":        {"strategy"},
	"POST /v1/me/phone_numbers/*/attempt_verification":        {"code"},
	"DELETE /v1/me/phone_numbers/*":                           {},
	"PATCH /v1/me/phone_numbers/*":                            {"reserved_for_second_factor", "default_second_factor"},
	"POST /v1/me/totp":                                        {},
	"POST /v1/me/totp/attempt_verification":                   {"code"},
	"DELETE /v1/me/totp":                                      {},
	"POST /v1/me/backup_codes":                                {},
	"POST /v1/client/sign_ins/*/prepare_second_factor":        {"strategy", "phone_number_id", "email_address_id"},
	"POST /v1/client/sign_ins/*/attempt_second_factor":        {"strategy", "code"},
	"POST /v1/client/sessions/*/verify":                       {"level"},
	"POST /v1/me/passkeys":                                    {},
	"POST /v1/me/passkeys/*/attempt_verification":             {"strategy", "public_key_credential"},
	"PATCH /v1/me/passkeys/*":                                 {"name"},
	"DELETE /v1/me/passkeys/*":                                {},
	"POST /v1/client/sessions/*/verify/prepare_first_factor":  {"strategy", "email_address_id", "phone_number_id"},
	"POST /v1/client/sessions/*/verify/attempt_first_factor":  {"strategy", "password", "code", "public_key_credential"},
	"POST /v1/client/sessions/*/verify/prepare_second_factor": {"strategy", "phone_number_id"},
	"POST /v1/client/sessions/*/verify/attempt_second_factor": {"strategy", "code"},
	"GET /v1/oauth_callback":                                  {},
	"POST /v1/me/external_accounts":                           {"strategy", "redirect_url", "additional_scope", "oidc_prompt", "oidc_login_hint"},
	"DELETE /v1/me/external_accounts/*":                       {},
}

// shape reduces a path to its pattern: IDs become *.
func shape(method, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		for _, pre := range []string{"sia_", "sua_", "sess_", "idn_", "user_"} {
			if strings.HasPrefix(p, pre) {
				parts[i] = "*"
			}
		}
	}
	return method + " " + strings.TrimSuffix(strings.Join(parts, "/"), "/")
}

// recorder keeps the Frontend API calls the browser made.
type recorder struct {
	mu         sync.Mutex
	calls      []string
	unexpected []string
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") && r.Header.Get("Authorization") == "" {
			method := r.Method
			if m := r.URL.Query().Get("_method"); r.Method == "POST" && m != "" {
				method = strings.ToUpper(m)
			}
			key := shape(method, r.URL.Path)
			var fields []string
			if r.Method == "POST" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				r.ParseForm()
				for k := range r.PostForm {
					fields = append(fields, k)
				}
				sort.Strings(fields)
			}
			rec.mu.Lock()
			rec.calls = append(rec.calls, key)
			allowed, ok := known[key]
			if !ok {
				rec.unexpected = append(rec.unexpected, key+" "+strings.Join(fields, ","))
			} else {
				for _, f := range fields {
					if !slices.Contains(allowed, f) && !strings.HasPrefix(f, "captcha") {
						rec.unexpected = append(rec.unexpected, key+": field "+f)
					}
				}
			}
			rec.mu.Unlock()
			sw := &browsertest.StatusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			// A missing endpoint or a server error is a gap, whatever
			// the page made of it.
			if sw.Status == http.StatusNotFound || sw.Status == http.StatusMethodNotAllowed || sw.Status >= 500 {
				rec.mu.Lock()
				rec.unexpected = append(rec.unexpected, fmt.Sprintf("%s answered %d", key, sw.Status))
				rec.mu.Unlock()
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// seen is a copy of the calls so far: the server goroutines append while
// a test reads.
func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.calls)
}

func (rec *recorder) report() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.unexpected) == 0 {
		return ""
	}
	return "unexpected Frontend API calls or fields (a pinned version changed, or a flow Concierge does not cover):\n  " +
		strings.Join(rec.unexpected, "\n  ")
}

// env is a Concierge (the Frontend API) and an application origin serving
// a page with Clerk's library, both on 127.0.0.1 (same site, as the
// __client cookie needs), and a browser.
type env struct {
	t     *testing.T
	fapi  string
	app   string
	a     *app.App
	clock *apptest.Clock
	db    *sqlstore.DB
	mail  *smtptest.Server
	sms   *smsInbox
	rec   *recorder
	ctx   context.Context
	shots string

	logMu sync.Mutex
	logs  []string
}

// console keeps the page's console messages, for failure reports.
func (e *env) console() {
	browsertest.LogConsole(e.ctx, func(m string) {
		e.logMu.Lock()
		e.logs = append(e.logs, m)
		e.logMu.Unlock()
	})
}

func (e *env) consoleText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return strings.Join(e.logs, "\n")
}

func bundles(t *testing.T) {
	for _, f := range []string{clerkJSDir + "/clerk.browser.js", clerkUIDir + "/ui.browser.js"} {
		if _, err := os.Stat(f); err != nil {
			browsertest.Skip(t, MandatoryEnv, "Clerk's bundle "+f+" is missing (run e2e/clerkjs/fetch.sh)")
		}
	}
}

var page = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Clerk on Concierge</title></head>
<body>
<div id="app"></div>
<script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{{.Key}}" data-clerk-proxy-url="{{.FAPI}}"></script>
<script src="/ui/ui.browser.js"></script>
<script>
window.addEventListener('load', async () => {
  try {
    await window.Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor }, telemetry: false });
    window.__loaded = 'ok';
  } catch (e) {
    window.__loaded = 'error: ' + e;
  }
});
</script>
</body></html>`))

func newEnv(t *testing.T, engine string, extraOrigins ...string) *env {
	return newEnvAt(t, engine, "127.0.0.1", extraOrigins...)
}

// newEnvAt serves the application page at host (on the loopback
// interface) and Concierge at clerk.<host>: a name under .localhost
// (which Chromium resolves to loopback) for the flows that need a domain,
// as passkeys do (WebAuthn refuses IP addresses; clerk-js wants a dot in
// the publishable key's host).
func newEnvAt(t *testing.T, engine, host string, extraOrigins ...string) *env {
	bundles(t)
	chrome := browsertest.Chromium(t, MandatoryEnv)
	db := dbtest.Open(t, engine)
	mail := smtptest.Start(t)
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(aln.Addr().String())
	appURL := "http://" + net.JoinHostPort(host, port)
	smtp, err := delivery.ParseSMTPURL(mail.URL(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	sms := newSMSInbox(t)
	cfg := apptest.Config{Wrap: rec.wrap, Options: app.Options{SecretKey: secretKey,
		EmailDomain: "example.test", Email: smtp, SMS: &delivery.Webhook{URL: sms.url},
		AllowedOrigins: append([]string{appURL}, extraOrigins...)}}
	if host != "127.0.0.1" {
		cfg.Host = "clerk." + host // the application's site: its cookies go along
	}
	srv := apptest.Start(t, db, cfg)
	fapi, a := srv.URL, srv.App

	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk/", http.FileServer(http.Dir(clerkJSDir))))
	mux.Handle("/ui/", http.StripPrefix("/ui/", http.FileServer(http.Dir(clerkUIDir))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]string{"Key": sdk.PublishableKey(fapi), "FAPI": fapi})
	})
	as := httptest.NewUnstartedServer(mux)
	as.Listener.Close()
	as.Listener = aln
	as.Start()
	// Registered before the browser starts, so that it runs after the
	// browser closed.
	t.Cleanup(func() {
		as.Close()
		srv.Stop()
		if r := rec.report(); r != "" {
			t.Error(r)
		}
	})

	// navigator.webdriver stays false, as in a person's browser: clerk-js
	// turns passkeys off for automated browsers.
	bctx := browsertest.Launch(t, chrome, 4*time.Minute, chromedp.Flag("disable-blink-features", "AutomationControlled"))
	return &env{t: t, fapi: fapi, app: appURL, a: a, clock: srv.Clock, db: db, mail: mail, sms: sms, rec: rec, ctx: bctx, shots: t.TempDir()}
}

func (e *env) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		e.shot("failure")
		html, _ := chromedp.Run(e.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		if len(html) > 3000 {
			html = html[:3000]
		}
		e.t.Fatalf("%v\nFrontend API calls: %v\nconsole:\n%s\nbody: %s", err, e.rec.seen(), e.consoleText(), html)
	}
}

// eval runs JavaScript (awaiting a promise) and returns its value.
func eval[T any](e *env, js string) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		e.shot("failure")
		e.t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true.
func (e *env) waitJS(js string) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			e.shot("timeout")
			body, _ := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("body")))
			e.t.Fatalf("never true: %s\npage text: %s\nFrontend API calls: %v\n%s\nconsole:\n%s", js, body, e.rec.seen(), e.rec.report(), e.consoleText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// load opens the application page and waits for Clerk to load.
func (e *env) load() {
	e.t.Helper()
	e.do(chromedp.Navigate("about:blank"))
	e.console()
	e.do(chromedp.Navigate(e.app + "/"))
	e.waitJS(`window.__loaded`)
	if got := eval[string](e, `window.__loaded`); got != "ok" {
		e.t.Fatalf("Clerk.load: %s\n%s", got, e.rec.report())
	}
}

func (e *env) shot(name string) {
	img, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil || len(img) == 0 {
		return
	}
	os.WriteFile(filepath.Join(e.shots, name+".png"), img, 0o644)
	if dir := os.Getenv("CONCIERGE_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "clerkjs-"+name+".png"), img, 0o644)
	}
}

// typeInto fills a component's input, found by CSS, replacing what it
// held: the value is emptied the way React notices, then typed.
func (e *env) typeInto(sel, text string) {
	e.t.Helper()
	e.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.WaitEnabled(chromedp.CSS(sel)))
	if err := browsertest.TypeInto(e.ctx, sel, text); err != nil {
		e.shot("failure")
		e.t.Fatalf("typing into %s: %v\nFrontend API calls: %v", sel, err, e.rec.seen())
	}
}

// jsString is browsertest.Quote, by the short name the flows use.
func jsString(s string) string { return browsertest.Quote(s) }

func (e *env) click(sel string) {
	e.t.Helper()
	e.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

func itoa(n int) string { return fmt.Sprint(n) }

func nowTime() time.Time { return time.Now() }
