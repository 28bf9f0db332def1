package nextjs_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/sdk"
)

const (
	devSecret     = "sk_test_nextjsnextjsnextjsnextjsnextjs"
	aliceEmail    = "alice@example.com"
	alicePassword = "correct horse battery"
	// tokenTTL is the shortest session token lifetime the settings allow:
	// the tests wait it out to see the handshake refresh a page load.
	tokenTTL = 30 * time.Second
)

// quickStart is the app and Concierge it talks to, driven by a browser.
type quickStart struct {
	*browser
	srv  *apptest.Server
	rec  *browsertest.Recorder
	app  string // the application's origin, as the browser sees it
	prod bool
}

func (q *quickStart) diag() string {
	return "Concierge served:\n  " + q.rec.String()
}

// TestDevelopmentKeys: a pk_test_ key, everything over http on 127.0.0.1
// (the app and Concierge on two ports, one site, as the __client cookie
// needs; a key's host must have a dot, so not localhost), the
// dev-browser handshake.
func TestDevelopmentKeys(t *testing.T) {
	t.Parallel()
	chrome, bundleDir := requirements(t)
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		appPort := browsertest.FreePort(t)
		appURL := "http://127.0.0.1:" + appPort
		rec := newRecorder()
		srv := apptest.Start(t, dbtest.Open(t, engine), apptest.Config{Wrap: rec.Wrap,
			Options: app.Options{SecretKey: devSecret, BundleDir: bundleDir,
				AllowedOrigins: []string{appURL}, TokenTTL: tokenTTL}})
		startNextOn(t, appPort,
			"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY="+sdk.PublishableKeyFor(srv.URL, false),
			"CLERK_SECRET_KEY="+devSecret,
			"CLERK_API_URL="+srv.URL,
			// The handshake goes to https://<key's host> unless the
			// Frontend API is given with its scheme.
			"NEXT_PUBLIC_CLERK_PROXY_URL="+srv.URL,
			// <ClerkProvider> loads the bundles over https from the key's
			// host unless told where.
			"NEXT_PUBLIC_CLERK_JS_URL="+srv.URL+"/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
			"NEXT_PUBLIC_CLERK_UI_URL="+srv.URL+"/npm/@clerk/ui@1/dist/ui.browser.js",
			"NEXT_PUBLIC_CLERK_SIGN_IN_URL=/sign-in",
			"NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED=1")
		q := &quickStart{srv: srv, rec: rec, app: appURL}
		q.browser = newBrowser(t, chrome, q.diag)
		q.run()
	})
}

func (q *quickStart) alice() string {
	q.t.Helper()
	pw, first := alicePassword, "Alice"
	u, err := q.srv.App.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{aliceEmail},
		Password: &pw, FirstName: &first})
	if err != nil {
		q.t.Fatal(err)
	}
	return u.ID
}

// run is the quick-start's story: signed out, sign in, server-side
// auth() and currentUser(), a route handler, a page load after the token
// expired, sign out.
func (q *quickStart) run() {
	t := q.t
	uid := q.alice()

	// A first, signed-out visit renders (in development through a
	// handshake for the dev browser), with no redirect loop.
	if loc := q.Navigate(q.app + "/"); loc != q.app+"/" {
		q.fail("signed-out / ended at %s", loc)
	}
	q.Wait(`document.querySelector('#state')`)
	if got := q.Text("#state"); got != "signed-out" {
		q.fail("signed-out / shows %q", got)
	}
	if !q.prod && q.rec.Count("GET /v1/client/handshake") == 0 {
		q.fail("a development page load without a dev browser did not go through the handshake")
	}
	if got := browsertest.Eval[string](&q.Tab, `fetch('/api/me').then(r => r.text())`); got != `{"userId":null}` {
		q.fail("/api/me signed out: %s", got)
	}

	// auth.protect() sends a signed-out document to the sign-in page.
	loc := q.Navigate(q.app + "/protected")
	if !strings.HasPrefix(loc, q.app+"/sign-in") {
		q.fail("signed-out /protected ended at %s, want the sign-in page", loc)
	}
	if u, _ := url.Parse(loc); u == nil || u.Query().Get("redirect_url") != q.app+"/protected" {
		q.fail("sign-in page's redirect_url: %s", loc)
	}

	// <SignIn/>: identifier, password; it returns to /protected.
	q.typeInto(`input[name="identifier"]`, aliceEmail)
	q.click(`.cl-formButtonPrimary`)
	q.typeInto(`input[name="password"]`, alicePassword)
	q.click(`.cl-formButtonPrimary`)
	q.Wait(`location.pathname === '/protected' && document.querySelector('#user-id')`)
	q.checkProtected(uid)
	sid := q.checkSessionCookie(uid)
	if got := browsertest.Eval[string](&q.Tab, `fetch('/api/me').then(r => r.json()).then(j => String(j.userId))`); got != uid {
		q.fail("/api/me signed in: %s, want %s", got, uid)
	}
	if q.prod {
		q.checkClientUAT(true)
	}

	// Close the tab (clerk-js keeps the cookie fresh while it runs), let
	// the token expire, and load /protected in a new tab: the middleware
	// must get a fresh token through the handshake.
	q.newTab()
	exp := q.sessionExpiry()
	// @clerk/backend allows 5 s of clock skew.
	if d := time.Until(exp.Add(6 * time.Second)); d > 0 {
		t.Logf("waiting %s for the session token to expire", d.Round(time.Second))
		time.Sleep(d)
	}
	handshakes := q.rec.Count("GET /v1/client/handshake")
	refreshes := q.rec.Count("POST /v1/sessions/" + sid + "/refresh")
	if loc := q.Navigate(q.app + "/protected"); loc != q.app+"/protected" {
		q.fail("/protected after expiry ended at %s", loc)
	}
	q.checkProtected(uid)
	if q.rec.Count("GET /v1/client/handshake") == handshakes && q.rec.Count("POST /v1/sessions/"+sid+"/refresh") == refreshes {
		q.fail("/protected after expiry rendered without a handshake or refresh")
	}
	if !q.sessionExpiry().After(exp) {
		q.fail("__session was not renewed after expiry")
	}
	q.checkSessionCookie(uid)

	// UserButton's "Sign out".
	q.Navigate(q.app + "/")
	q.Wait(`document.querySelector('#state') && document.querySelector('#state').textContent === 'signed-in'`)
	q.click(`.cl-userButtonTrigger`)
	q.click(`.cl-userButtonPopoverActionButton__signOut`)
	q.Wait(`window.Clerk && window.Clerk.loaded && !window.Clerk.user`)
	q.waitSession(sid, func(status string) bool { return status != session.Active })
	// A token refresh clerk-js had in flight when it signed out can write
	// __session again after the sign-out cleared it: a token that stays
	// valid for its lifetime, which the server SDK verifies on its own,
	// as with Clerk. Let the browser settle its cookies first (signing
	// out once more clears a resurrected one).
	settled := `!document.cookie.split('; ').some(c => c.startsWith('__session=') && c.length > '__session='.length)`
	if !q.TryWait(settled, 3*time.Second) {
		browsertest.Eval[bool](&q.Tab, `Clerk.signOut().then(() => true)`)
		q.Wait(settled)
	}

	// The server sees a signed-out user again.
	loc = q.Navigate(q.app + "/protected")
	if !strings.HasPrefix(loc, q.app+"/sign-in") {
		q.fail("/protected after sign-out ended at %s, want the sign-in page", loc)
	}
	if got := browsertest.Eval[string](&q.Tab, `fetch('/api/me').then(r => r.text())`); got != `{"userId":null}` {
		q.fail("/api/me after sign-out: %s", got)
	}
	if q.prod {
		q.checkClientUAT(false)
	}
}

// checkProtected checks what the server component rendered.
func (q *quickStart) checkProtected(uid string) {
	q.t.Helper()
	if got := q.Text("#user-id"); got != uid {
		q.fail("/protected shows user id %q, want %q", got, uid)
	}
	if got := q.Text("#user-email"); got != aliceEmail {
		q.fail("/protected shows email %q (currentUser()), want %q", got, aliceEmail)
	}
}

// checkSessionCookie verifies the app's __session cookie with Concierge's
// keys and returns its session.
func (q *quickStart) checkSessionCookie(uid string) string {
	q.t.Helper()
	c := q.cookie(q.app, "__session")
	if c == nil {
		q.fail("no __session cookie")
	}
	claims, err := q.srv.App.Keys.Verify(c.Value, q.srv.URL, time.Now())
	if err != nil {
		q.fail("__session does not verify: %v", err)
	}
	if claims.Subject != uid || claims.AuthorizedParty != q.app {
		q.fail("__session claims: sub %s azp %s, want %s and %s", claims.Subject, claims.AuthorizedParty, uid, q.app)
	}
	return claims.SessionID
}

// sessionExpiry reads exp from the __session cookie (unverified: it may
// have expired).
func (q *quickStart) sessionExpiry() time.Time {
	q.t.Helper()
	c := q.cookie(q.app, "__session")
	if c == nil {
		q.fail("no __session cookie")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		q.fail("__session is not a JWT: %q", c.Value)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		q.fail("__session payload: %v", err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == 0 {
		q.fail("__session payload %s: %v", payload, err)
	}
	return time.Unix(claims.Exp, 0)
}

// checkClientUAT checks the production __client_uat Concierge sets on the
// registrable domain: > 0 when signed in, 0 when signed out.
func (q *quickStart) checkClientUAT(signedIn bool) {
	q.t.Helper()
	var found []string
	for _, c := range q.cookies(q.app) {
		if c.Name != "__client_uat" {
			continue
		}
		found = append(found, c.Domain+"="+c.Value)
		if c.Domain == ".example.test" && (c.Value != "0") == signedIn && c.Value != "" {
			return
		}
	}
	q.fail("no __client_uat on Domain=example.test that is %s (signed in: %v); found %v", map[bool]string{true: "> 0", false: "0"}[signedIn], signedIn, found)
}

// waitSession waits until the Backend API's view of a session satisfies ok.
func (q *quickStart) waitSession(id string, ok func(status string) bool) {
	q.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := q.srv.App.API.Sessions.Session(context.Background(), id)
		if err == nil && ok(s.StatusAt(time.Now().UnixMilli())) {
			return
		}
		if time.Now().After(deadline) {
			q.fail("session %s: %v %+v", id, err, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
