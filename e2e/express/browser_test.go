package express_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
)

// browser is a headless Chromium tab (browsertest's flags).
type browser struct {
	browsertest.Tab
	t   *testing.T
	nav navLog
}

// navLog keeps the tab's document requests (browsertest.LogDocuments).
type navLog struct {
	mu    sync.Mutex
	lines []string
}

func (n *navLog) add(format string, args ...any) {
	n.mu.Lock()
	n.lines = append(n.lines, fmt.Sprintf(format, args...))
	n.mu.Unlock()
}

func (n *navLog) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n  ")
}

// newBrowser starts a browser with its own profile (no cookies).
func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	b := &browser{t: t}
	b.Tab = browsertest.Tab{T: t, Ctx: browsertest.Launch(t, chrome, 3*time.Minute), Fail: b.fail}
	if err := browsertest.LogDocuments(b.Ctx, b.nav.add); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	loc, body := b.Page()
	// Concierge's requests and the app's output follow, at cleanup.
	b.t.Fatalf(format+"\nlocation: %s\npage text: %s\nnavigations:\n  %s", append(args, loc, body, b.nav.String())...)
}

// cookie is the value of a cookie the page can read ("" if none).
func (b *browser) cookie(name string) string {
	b.t.Helper()
	return browsertest.Eval[string](&b.Tab, `(document.cookie.split('; ').find(c => c.startsWith('`+name+`=')) || '').slice(`+fmt.Sprint(len(name)+1)+`)`)
}

// signIn fills in Concierge's hosted sign-in page, which the tab shows.
func (b *browser) signIn() {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#identifier`)), chromedp.SendKeys(chromedp.CSS(`#identifier`), aliceEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), alicePassword), chromedp.Click(chromedp.CSS(`button[value="password"]`)))
}

// signedIn checks that the tab shows the app's /protected page for alice.
func (b *browser) signedIn(e *env) {
	b.t.Helper()
	b.Wait(`location.origin === '` + e.app + `' && location.pathname === '/protected' && document.querySelector('#user-id')`)
	if got := b.Text("#user-id"); got != e.alice {
		b.fail("/protected shows user id %q, want %q", got, e.alice)
	}
	if got := b.Text("#user-email"); got != aliceEmail {
		b.fail("/protected shows email %q, want %q", got, aliceEmail)
	}
}

// TestCookieHandshake: page loads authenticated by cookie. A browser that
// never saw the app is sent through Concierge's handshake on its first
// page load and renders signed-out, the handshake leaving __client_uat=0
// on the app, which the SDK then takes as signed out without asking. The
// same browser opens /protected, requireAuth() sends it to Concierge's
// hosted /sign-in, and it signs in there: the page sends it back with
// __clerk_db_jwt, so the SDK syncs the development browser through the
// handshake and the page renders the user. A browser signed in on
// Concierge before it opens the app is signed in on its first page load.
func TestCookieHandshake(t *testing.T) {
	chrome := browsertest.Chromium(t, MandatoryEnv)
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)

		// Signed out.
		b := newBrowser(t, chrome)
		if loc := b.Navigate(e.app + "/"); loc != e.app+"/" {
			b.fail("signed-out / ended at %s", loc)
		}
		if got := b.Text("#state"); got != "signed-out" {
			b.fail("signed-out / shows %q", got)
		}
		if e.rec.Count("GET /v1/client/handshake") == 0 {
			b.fail("the first page load did not go through the handshake")
		}
		if got := b.cookie("__client_uat"); got != "0" {
			b.fail("after the signed-out handshake __client_uat is %q, want 0", got)
		}

		// Signed in on Concierge's page, sent there by requireAuth().
		loc := b.Navigate(e.app + "/protected")
		if want := e.srv.URL + "/sign-in?redirect_url=" + url.QueryEscape(e.app+"/protected"); loc != want {
			b.fail("signed-out /protected ended at %s, want %s", loc, want)
		}
		handshakes := e.rec.Count("GET /v1/client/handshake")
		b.signIn()
		b.signedIn(e)
		if e.rec.Count("GET /v1/client/handshake") == handshakes {
			b.fail("the landing from the sign-in page did not go through the handshake")
		}
		if got := b.cookie("__client_uat"); got == "" || got == "0" {
			b.fail("signed in, __client_uat is %q", got)
		}
		if loc := b.Navigate(e.app + "/"); loc != e.app+"/" || b.Text("#user-id") != e.alice {
			b.fail("signed-in / ended at %s", loc)
		}
		// A fetch (no handshake possible) by cookie.
		if got := browsertest.Eval[string](&b.Tab, `fetch('/api/protected').then(r => r.json()).then(j => String(j.userId))`); got != e.alice {
			b.fail("/api/protected by cookie: %s", got)
		}
		if loc := b.Navigate(e.app + "/protected"); loc != e.app+"/protected" || b.Text("#user-id") != e.alice {
			b.fail("signed-in /protected ended at %s", loc)
		}

		// Signed in on Concierge before ever opening the app (a fresh
		// browser, no redirect_url: nothing carries __clerk_db_jwt): the
		// first page load's handshake finds the client by Concierge's
		// __client cookie.
		b = newBrowser(t, chrome)
		b.Navigate(e.srv.URL + "/sign-in")
		b.signIn()
		b.Wait(`location.origin === '` + e.srv.URL + `' && location.pathname === '/user'`)
		handshakes = e.rec.Count("GET /v1/client/handshake")
		b.Navigate(e.app + "/protected")
		b.signedIn(e)
		if e.rec.Count("GET /v1/client/handshake") == handshakes {
			b.fail("the first page load did not go through the handshake")
		}
	})
}
