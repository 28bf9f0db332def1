package nextjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is headless Chromium (the flags of e2e/clerkjs, plus extra) and
// one tab at a time on it.
type browser struct {
	t        *testing.T
	root     context.Context // the first tab, kept blank; it owns the browser
	ctx      context.Context // the current tab
	closeTab context.CancelFunc
	diag     func() string // what to print on failure
	logMu    sync.Mutex
	logs     []string // console messages and document requests
}

func (b *browser) log(format string, args ...any) {
	b.logMu.Lock()
	b.logs = append(b.logs, fmt.Sprintf(format, args...))
	b.logMu.Unlock()
}

// authHeaders shows the Clerk SDK's verdict on a response, if it gave one.
func authHeaders(h network.Headers) string {
	if h["x-clerk-auth-status"] == nil {
		return ""
	}
	return fmt.Sprintf("[%v %v]", h["x-clerk-auth-status"], h["x-clerk-auth-reason"])
}

// listen logs the tab's document requests with each redirect's status and
// Clerk's x-clerk-auth-* headers, and the Set-Cookie lines it refused.
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
				b.log("  -> %d %s", r.Status, authHeaders(r.Headers))
			}
			b.log("%s %s", ev.Request.Method, ev.Request.URL)
		case *network.EventResponseReceived:
			if docs[ev.RequestID] {
				b.log("  -> %d %s", ev.Response.Status, authHeaders(ev.Response.Headers))
			}
		case *network.EventResponseReceivedExtraInfo:
			for _, c := range ev.BlockedCookies {
				b.log("  refused Set-Cookie %.60s: %v", c.CookieLine, c.BlockedReasons)
			}
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

func newBrowser(t *testing.T, chrome string, diag func() string, extra ...chromedp.ExecAllocatorOption) *browser {
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true)}, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil {
		t.Fatal(err)
	}
	root, cancelTimeout := context.WithTimeout(root, 6*time.Minute)
	b := &browser{t: t, root: root, diag: diag}
	t.Cleanup(func() {
		if b.closeTab != nil {
			b.closeTab()
		}
		cancelTimeout()
		cancelRoot()
		cancelAlloc()
	})
	b.newTab()
	return b
}

// newTab closes the current tab (its scripts stop) and opens a fresh one
// in the same browser profile: same cookies, no running clerk-js.
func (b *browser) newTab() {
	b.t.Helper()
	if b.closeTab != nil {
		b.closeTab()
	}
	b.ctx, b.closeTab = chromedp.NewContext(b.root)
	if err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatal(err)
	}
	b.log("(new tab)")
	b.listen()
	msgs := chromedp.Console(b.ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.log("console: %s", m)
		}
	}()
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if dir := os.Getenv("CONCIERGE_SCREENSHOTS"); dir != "" {
		if img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil && len(img) > 0 {
			name := "nextjs-" + strings.NewReplacer("/", "-").Replace(b.t.Name()) + "-failure.png"
			os.WriteFile(filepath.Join(dir, name), img, 0o644)
		}
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if len(body) > 2000 {
		body = body[:2000]
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.logMu.Lock()
	logs := strings.Join(b.logs, "\n  ")
	b.logMu.Unlock()
	b.t.Fatalf(format+"\nlocation: %s\npage text: %s\nbrowser (documents, console):\n  %s\n%s", append(args, loc, body, logs, b.diag())...)
}

// navigate loads a URL (following redirects) and returns where it ended.
func (b *browser) navigate(url string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.fail("navigate %s: %v", url, err)
	}
	return b.location()
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fail("location: %v", err)
	}
	return loc
}

// eval runs JavaScript (awaiting a promise) and returns its value.
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

// text is the text of the first element matching a CSS selector ("" if none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, `(document.querySelector(`+quote(sel)+`) || {}).textContent || ''`)
}

// typeInto fills an input of Clerk's components (which disable and
// re-render their fields while a request is in flight).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.wait(`document.querySelector(` + quote(sel) + `) && !document.querySelector(` + quote(sel) + `).disabled`)
	var err error
	for range 20 {
		eval[bool](b, `(() => { const el = document.querySelector(`+quote(sel)+`); if (!el) return false;
			Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '');
			el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), text))
		cancel()
		if err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.fail("typing into %s: %v", sel, err)
}

func (b *browser) click(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fail("click %s: %v", sel, err)
	}
}

// cookies returns the browser's cookies for a URL.
func (b *browser) cookies(url string) []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		b.fail("cookies: %v", err)
	}
	return res.Cookies
}

// cookie returns the named cookie for a URL, or nil.
func (b *browser) cookie(url, name string) *network.Cookie {
	for _, c := range b.cookies(url) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
