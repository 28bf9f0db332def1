package express_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// browser is a headless Chromium tab (the flags of e2e/clerkjs).
type browser struct {
	t   *testing.T
	ctx context.Context
	nav navLog
}

// navLog keeps the tab's document requests: each redirect's status and
// Clerk's x-clerk-auth-* headers, and Set-Cookie lines the browser refused.
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

// authHeaders shows the Clerk SDK's verdict on a response, if it gave one.
func authHeaders(h network.Headers) string {
	if h["x-clerk-auth-status"] == nil {
		return ""
	}
	return fmt.Sprintf("[%v %v]", h["x-clerk-auth-status"], h["x-clerk-auth-reason"])
}

// listen records the tab's navigations in b.nav (fn must not block).
func (b *browser) listen() {
	docs := map[network.RequestID]bool{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Type != network.ResourceTypeDocument {
				return
			}
			docs[ev.RequestID] = true
			if r := ev.RedirectResponse; r != nil {
				b.nav.add("  -> %d %s", r.Status, authHeaders(r.Headers))
			}
			b.nav.add("%s %s", ev.Request.Method, ev.Request.URL)
		case *network.EventResponseReceived:
			if docs[ev.RequestID] {
				b.nav.add("  -> %d %s", ev.Response.Status, authHeaders(ev.Response.Headers))
			}
		case *network.EventResponseReceivedExtraInfo:
			for _, c := range ev.BlockedCookies {
				b.nav.add("  refused Set-Cookie %.60s: %v", c.CookieLine, c.BlockedReasons)
			}
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CONCIERGE_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := exec.LookPath(p); err == nil {
				return p
			}
		}
	}
	skip(t, "Chromium is not installed")
	return ""
}

// newBrowser starts a browser with its own profile (no cookies).
func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true)}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	b.listen()
	return b
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if len(body) > 2000 {
		body = body[:2000]
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	// Concierge's requests and the app's output follow, at cleanup.
	b.t.Fatalf(format+"\nlocation: %s\npage text: %s\nnavigations:\n  %s", append(args, loc, body, b.nav.String())...)
}

// navigate loads a URL (following redirects) and returns where it ended.
func (b *browser) navigate(url string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.fail("navigate %s: %v", url, err)
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fail("location: %v", err)
	}
	return loc
}

// do runs actions with a 20 s bound.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail("%v", err)
	}
}

// wait waits (up to 20 s) until a JavaScript expression is true.
func (b *browser) wait(js string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fail("never true within 20 s: %s (last error: %v)", js, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, `(document.querySelector('`+sel+`') || {}).textContent || ''`)
}

// cookie is the value of a cookie the page can read ("" if none).
func (b *browser) cookie(name string) string {
	b.t.Helper()
	return eval[string](b, `(document.cookie.split('; ').find(c => c.startsWith('`+name+`=')) || '').slice(`+fmt.Sprint(len(name)+1)+`)`)
}

// signIn fills in Concierge's hosted sign-in page, which the tab shows.
func (b *browser) signIn() {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(`#identifier`)), chromedp.SendKeys(chromedp.CSS(`#identifier`), aliceEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), alicePassword), chromedp.Click(chromedp.CSS(`button[value="password"]`)))
}

// signedIn checks that the tab shows the app's /protected page for alice.
func (b *browser) signedIn(e *env) {
	b.t.Helper()
	b.wait(`location.origin === '` + e.app + `' && location.pathname === '/protected' && document.querySelector('#user-id')`)
	if got := b.text("#user-id"); got != e.alice {
		b.fail("/protected shows user id %q, want %q", got, e.alice)
	}
	if got := b.text("#user-email"); got != aliceEmail {
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
	chrome := chromium(t)
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)

		// Signed out.
		b := newBrowser(t, chrome)
		if loc := b.navigate(e.app + "/"); loc != e.app+"/" {
			b.fail("signed-out / ended at %s", loc)
		}
		if got := b.text("#state"); got != "signed-out" {
			b.fail("signed-out / shows %q", got)
		}
		if e.rec.count("GET /v1/client/handshake") == 0 {
			b.fail("the first page load did not go through the handshake")
		}
		if got := b.cookie("__client_uat"); got != "0" {
			b.fail("after the signed-out handshake __client_uat is %q, want 0", got)
		}

		// Signed in on Concierge's page, sent there by requireAuth().
		loc := b.navigate(e.app + "/protected")
		if want := e.srv.URL + "/sign-in?redirect_url=" + url.QueryEscape(e.app+"/protected"); loc != want {
			b.fail("signed-out /protected ended at %s, want %s", loc, want)
		}
		handshakes := e.rec.count("GET /v1/client/handshake")
		b.signIn()
		b.signedIn(e)
		if e.rec.count("GET /v1/client/handshake") == handshakes {
			b.fail("the landing from the sign-in page did not go through the handshake")
		}
		if got := b.cookie("__client_uat"); got == "" || got == "0" {
			b.fail("signed in, __client_uat is %q", got)
		}
		if loc := b.navigate(e.app + "/"); loc != e.app+"/" || b.text("#user-id") != e.alice {
			b.fail("signed-in / ended at %s", loc)
		}
		// A fetch (no handshake possible) by cookie.
		if got := eval[string](b, `fetch('/api/protected').then(r => r.json()).then(j => String(j.userId))`); got != e.alice {
			b.fail("/api/protected by cookie: %s", got)
		}
		if loc := b.navigate(e.app + "/protected"); loc != e.app+"/protected" || b.text("#user-id") != e.alice {
			b.fail("signed-in /protected ended at %s", loc)
		}

		// Signed in on Concierge before ever opening the app (a fresh
		// browser, no redirect_url: nothing carries __clerk_db_jwt): the
		// first page load's handshake finds the client by Concierge's
		// __client cookie.
		b = newBrowser(t, chrome)
		b.navigate(e.srv.URL + "/sign-in")
		b.signIn()
		b.wait(`location.origin === '` + e.srv.URL + `' && location.pathname === '/user'`)
		handshakes = e.rec.count("GET /v1/client/handshake")
		b.navigate(e.app + "/protected")
		b.signedIn(e)
		if e.rec.count("GET /v1/client/handshake") == handshakes {
			b.fail("the first page load did not go through the handshake")
		}
	})
}
