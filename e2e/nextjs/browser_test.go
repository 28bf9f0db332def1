package nextjs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/browsertest"
)

// browser is headless Chromium (browsertest's flags, plus extra) and one
// tab at a time on it, the current one driven by the embedded Tab.
type browser struct {
	browsertest.Tab
	t        *testing.T
	root     context.Context // the first tab, kept blank; it owns the browser
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

func newBrowser(t *testing.T, chrome string, diag func() string, extra ...chromedp.ExecAllocatorOption) *browser {
	b := &browser{t: t, root: browsertest.Launch(t, chrome, 6*time.Minute, extra...), diag: diag}
	b.Tab = browsertest.Tab{T: t, Fail: b.fail}
	// After Launch's: the tab closes before the browser.
	t.Cleanup(func() {
		if b.closeTab != nil {
			b.closeTab()
		}
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
	b.Ctx, b.closeTab = chromedp.NewContext(b.root)
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatal(err)
	}
	b.log("(new tab)")
	if err := browsertest.LogDocuments(b.Ctx, b.log); err != nil {
		b.t.Fatal(err)
	}
	browsertest.LogConsole(b.Ctx, func(m string) { b.log("console: %s", m) })
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	if dir := os.Getenv("CONCIERGE_SCREENSHOTS"); dir != "" {
		ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
		if img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil && len(img) > 0 {
			name := "nextjs-" + strings.NewReplacer("/", "-").Replace(b.t.Name()) + "-failure.png"
			os.WriteFile(filepath.Join(dir, name), img, 0o644)
		}
		cancel()
	}
	loc, body := b.Page()
	b.logMu.Lock()
	logs := strings.Join(b.logs, "\n  ")
	b.logMu.Unlock()
	b.t.Fatalf(format+"\nlocation: %s\npage text: %s\nbrowser (documents, console):\n  %s\n%s", append(args, loc, body, logs, b.diag())...)
}

// typeInto fills an input of Clerk's components (which disable and
// re-render their fields while a request is in flight).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.Wait(`document.querySelector(` + browsertest.Quote(sel) + `) && !document.querySelector(` + browsertest.Quote(sel) + `).disabled`)
	if err := browsertest.TypeInto(b.Ctx, sel, text); err != nil {
		b.fail("typing into %s: %v", sel, err)
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fail("click %s: %v", sel, err)
	}
}

// cookies returns the browser's cookies for a URL.
func (b *browser) cookies(url string) []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.Ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
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
