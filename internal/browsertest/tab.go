package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Tab drives one browser tab. Every step has a time limit of its own, so
// that a page that never answers fails the test with a report instead of
// hanging it until go test's own time-out, and every failure goes to
// Fail, which knows what else the suite has to say about it.
type Tab struct {
	T   testing.TB
	Ctx context.Context // the tab (from Launch, or chromedp.NewContext on it)
	// Fail reports a failed step and stops the test (it calls T.Fatalf).
	Fail func(format string, args ...any)
}

// Do runs actions within 20 s.
func (b *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.Fail("%v", err)
	}
}

// Navigate loads a URL within 30 s, following redirects, and returns
// where it ended.
func (b *Tab) Navigate(url string) string {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.Fail("navigate %s: %v", url, err)
	}
	return b.Location()
}

// Location is the URL the tab shows.
func (b *Tab) Location() string {
	b.T.Helper()
	loc, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.Fail("location: %v", err)
	}
	return loc
}

// Wait waits (up to 20 s) until a JavaScript expression is true. A page
// being replaced by the next one answers with an error: that is polled
// through too.
func (b *Tab) Wait(js string) {
	b.T.Helper()
	if err := b.waitFor(js, 20*time.Second); err != nil {
		b.Fail("never true within 20 s: %s (last error: %v)", js, err)
	}
}

// TryWait waits up to d for a JavaScript expression and reports whether
// it became true.
func (b *Tab) TryWait(js string, d time.Duration) bool { return b.waitFor(js, d) == nil }

func (b *Tab) waitFor(js string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("false")
			}
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Eval runs JavaScript within 20 s, awaiting a promise, and returns its
// value.
func Eval[T any](b *Tab, js string) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fail("evaluate %s: %v", js, err)
	}
	return v
}

// Text is the text of the first element matching a CSS selector ("" if
// none): asking the page, not waiting for the node, lets the caller
// assert that it is not there.
func (b *Tab) Text(sel string) string {
	b.T.Helper()
	return Eval[string](b, `(document.querySelector(`+Quote(sel)+`) || {}).textContent || ''`)
}

// Page returns, for a failure report, where the tab is and the start of
// the text it shows. It reports nothing itself: it is called while
// failing, and a dead tab must not hide the original failure.
func (b *Tab) Page() (location, text string) {
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	text, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if len(text) > 2000 {
		text = text[:2000]
	}
	location, _ = chromedp.Run(ctx, chromedp.Location())
	return location, text
}

// clearInput empties the input matching %s (a quoted selector) the way
// React notices: through HTMLInputElement's own value setter, which React's
// shadows, then an input event.
const clearInput = `(() => { const el = document.querySelector(%s); if (!el) return false;
	Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '');
	el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`

// TypeInto replaces what the input matching sel holds with text, typed as
// keys. Clerk's components disable their fields while a request is in
// flight and may re-render them: it tries 20 times, 100 ms apart, and
// returns the last error.
func TypeInto(ctx context.Context, sel, text string) error {
	var err error
	for range 20 {
		clearCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err = chromedp.Run(clearCtx, chromedp.Evaluate[bool](fmt.Sprintf(clearInput, Quote(sel)), chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			return fmt.Errorf("emptying it: %w", err)
		}
		keysCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = chromedp.Do(keysCtx, chromedp.SendKeys(chromedp.CSS(sel), text))
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Quote returns s as a JavaScript string literal (JSON's quoting is valid
// JavaScript), to put selectors and values into evaluated code.
func Quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
