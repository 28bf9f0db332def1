package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestRedirectURLsPage: an operator registers a redirect URL, sees it
// listed, is told of a duplicate, a malformed or a javascript: one, and
// removes it only with the confirmation ticked; CSRF is required.
func TestRedirectURLsPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		csrf := c.signIn("op@example.com")
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf", csrf)
			st, body, _ := c.post(path, form)
			return st, body
		}
		if st, _ := post("/dashboard/redirect-urls", url.Values{"url": {"myapp://oauth-callback"}}); st != 303 {
			t.Fatalf("add: %d", st)
		}
		st, body, _ := c.get("/dashboard/redirect-urls")
		if st != 200 || !strings.Contains(body, "myapp://oauth-callback") || !strings.Contains(body, `aria-current="page">Redirect URLs`) {
			t.Fatalf("list: %d\n%s", st, body)
		}
		if st, body := post("/dashboard/redirect-urls", url.Values{"url": {"myapp://oauth-callback"}}); st != 422 || !strings.Contains(body, "already exists") {
			t.Fatalf("duplicate: %d", st)
		}
		for _, bad := range []string{"javascript:alert(1)", "not a url", ""} {
			if st, _ := post("/dashboard/redirect-urls", url.Values{"url": {bad}}); st != 422 {
				t.Fatalf("%q: %d", bad, st)
			}
		}
		id := between(body, `action="/dashboard/redirect-urls/`, `/delete"`)
		if st, _ := post("/dashboard/redirect-urls/"+id+"/delete", url.Values{}); st != 422 {
			t.Fatalf("remove without confirmation: %d", st)
		}
		if st, _ := post("/dashboard/redirect-urls/"+id+"/delete", url.Values{"confirm": {"delete"}}); st != 303 {
			t.Fatalf("remove: %d", st)
		}
		if _, body, _ := c.get("/dashboard/redirect-urls"); !strings.Contains(body, "No redirect URLs are registered.") {
			t.Fatal("still listed")
		}
		if st, _ := post("/dashboard/redirect-urls/"+id+"/delete", url.Values{"confirm": {"delete"}}); st != 404 {
			t.Fatalf("remove again: %d", st)
		}
		if st, _, _ := c.post("/dashboard/redirect-urls", url.Values{"url": {"myapp://x"}}); st != 403 {
			t.Fatalf("without CSRF: %d", st)
		}
	})
}

// TestRedirectURLsInABrowser: in Chromium, the nav link leads to the
// page, a URL is added, and Remove does nothing until the confirmation
// box is ticked.
func TestRedirectURLsInABrowser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		b := newBrowser(t, e.url)
		b.open("/dashboard")
		b.do(chromedp.SendKeys(chromedp.CSS("#secret_key"), secretKey), chromedp.SendKeys(chromedp.CSS("#email"), "op@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "operator password 1"), chromedp.Submit(chromedp.CSS("#password")))
		b.see("active sessions")

		b.do(chromedp.Click(chromedp.CSS(`nav a[href="/dashboard/redirect-urls"]`)))
		b.see("No redirect URLs are registered.")
		b.do(chromedp.SendKeys(chromedp.CSS("#url"), "myapp://oauth-callback"), chromedp.Click(chromedp.CSS(`form[action="/dashboard/redirect-urls"] button`)))
		b.see("1 redirect URL(s)")
		b.see("myapp://oauth-callback")
		b.shot("redirect-urls")

		// The browser refuses to submit without the box ticked.
		b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Remove myapp://oauth-callback"]`)), chromedp.Sleep(300*time.Millisecond))
		if list, _, _ := e.app.API.RedirectURLs.List(ctx, 10, 0); len(list) != 1 {
			t.Fatalf("removed without confirmation: %v", list)
		}
		b.do(chromedp.Click(chromedp.CSS(`input[aria-label="Confirm removing myapp://oauth-callback"]`)),
			chromedp.Click(chromedp.CSS(`button[aria-label="Remove myapp://oauth-callback"]`)))
		b.see("No redirect URLs are registered.")
		if list, _, _ := e.app.API.RedirectURLs.List(ctx, 10, 0); len(list) != 0 {
			t.Fatalf("still registered: %v", list)
		}
	})
}
