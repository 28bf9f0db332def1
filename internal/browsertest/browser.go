// Package browsertest holds what Concierge's browser suites share
// (e2e/clerkjs, e2e/nextjs, e2e/express and the dashboard's browser test):
// finding Chromium, starting it with the flags this machine needs, driving
// a tab with bounded steps, recording what a server answered, and running
// a child process (node, next) for the length of a test.
//
// Only tests import it. It is a normal package, not a _test.go file,
// because test files cannot be shared between packages.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Skip skips the test because of why, unless the variable mandatoryEnv is
// set: then it fails it. CI sets the variable once it has installed what
// the suite needs, so that a missing piece there is a failure instead of a
// suite that silently never runs.
func Skip(t testing.TB, mandatoryEnv, why string) {
	t.Helper()
	if os.Getenv(mandatoryEnv) != "" {
		t.Fatalf("%s is set but %s", mandatoryEnv, why)
	}
	t.Skip(why)
}

// Chromium returns the path of Chromium: $CONCIERGE_CHROMIUM if set, else
// Debian's (or Ubuntu's) package. Without one it calls Skip with
// mandatoryEnv.
func Chromium(t testing.TB, mandatoryEnv string) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CONCIERGE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	Skip(t, mandatoryEnv, "Chromium is not installed (apt-get install chromium)")
	return ""
}

// options are the allocator options of every suite, then flags.
func options(chrome, profile string, flags ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome),
		// The tests run as root in a container without a display or GPU,
		// where Chromium's sandbox cannot start.
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		// A profile of its own: no cookies from another test, no
		// first-run pages.
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		// Wide enough for the components' desktop layout.
		chromedp.WindowSize(1280, 1000),
		// The network is closed: Chromium's own calls home would only
		// hang in the background and fill the logs. QUIC off keeps every
		// request on TCP, where the test servers listen.
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true)}, flags...)
}

// Launch starts headless Chromium at path chrome with a fresh profile and
// returns the context of its first tab, which owns the browser. The flags
// are added to the suites' common ones (host-resolver-rules,
// ignore-certificate-errors-spki-list...). The browser is started before
// the time-out is applied, so that a step run with a shorter time-out of
// its own never becomes the browser's owner and closes it when it ends.
// The browser closes after timeout, or at cleanup.
func Launch(t testing.TB, chrome string, timeout time.Duration, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(chrome, t.TempDir(), flags...)...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// LogConsole hands the tab's console messages (and uncaught exceptions)
// to add as they come, for failure reports: what the page's scripts said
// is often the only trace of why a component did not render.
func LogConsole(ctx context.Context, add func(msg string)) {
	msgs := chromedp.Console(ctx) // subscribed now, read below
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			add(m.String())
		}
	}()
}

// LogDocuments logs the tab's document requests with logf as they happen:
// each request, each redirect's and the final response's status with the
// Clerk SDK's verdict (x-clerk-auth-status and -reason), and every
// Set-Cookie line the browser refused. A redirect loop or a handshake that
// went wrong is visible there and nowhere else. logf runs on chromedp's
// event goroutine and must not block.
func LogDocuments(ctx context.Context, logf func(format string, args ...any)) error {
	docs := map[network.RequestID]bool{}
	return chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Type != network.ResourceTypeDocument {
				return
			}
			docs[ev.RequestID] = true
			if r := ev.RedirectResponse; r != nil {
				logf("  -> %d %s", r.Status, authHeaders(r.Headers))
			}
			logf("%s %s", ev.Request.Method, ev.Request.URL)
		case *network.EventResponseReceived:
			if docs[ev.RequestID] {
				logf("  -> %d %s", ev.Response.Status, authHeaders(ev.Response.Headers))
			}
		case *network.EventResponseReceivedExtraInfo:
			for _, c := range ev.BlockedCookies {
				logf("  refused Set-Cookie %.60s: %v", c.CookieLine, c.BlockedReasons)
			}
		}
	})
}

// authHeaders shows the Clerk SDK's verdict on a response, if it gave one.
func authHeaders(h network.Headers) string {
	if h["x-clerk-auth-status"] == nil {
		return ""
	}
	return fmt.Sprintf("[%v %v]", h["x-clerk-auth-status"], h["x-clerk-auth-reason"])
}
