package dashboard_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// BrowserEnv makes a missing Chromium a failure rather than a skip; .ci/run
// sets it after installing Chromium.
const BrowserEnv = "CONCIERGE_TEST_BROWSER"

// browser is a headless Chromium tab, with the flags this machine's closed
// network needs and a fresh profile (browsertest.Launch).
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	n    int
}

func newBrowser(t *testing.T, base string) *browser {
	ctx := browsertest.Launch(t, browsertest.Chromium(t, BrowserEnv), 3*time.Minute)
	return &browser{t: t, ctx: ctx, base: base, dir: t.TempDir()}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.base + path)) }

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// see waits until the page's text contains want.
func (b *browser) see(want string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A page being replaced by the next one answers with an error:
		// wait for the new one.
		body, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
		if err == nil && strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			b.shot("missing")
			b.t.Fatalf("page does not show %q:\n%s", want, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shot saves a screenshot of the page and checks it is a real,
// non-blank picture. With CONCIERGE_SCREENSHOTS set it is also kept there
// (the README's pictures).
func (b *browser) shot(name string) {
	b.t.Helper()
	img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Fatal(err)
	}
	b.n++
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		b.t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width < 300 || cfg.Height < 300 {
		b.t.Fatalf("screenshot %s is not a full-page PNG: %v %+v", name, err, cfg)
	}
	if len(img) < 5000 {
		b.t.Fatalf("screenshot %s is suspiciously small (%d bytes): blank page?", name, len(img))
	}
	if dir := os.Getenv("CONCIERGE_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "dashboard-"+name+".png"), img, 0o644)
	}
}

// TestDashboardInABrowser walks an operator's tasks in headless
// Chromium: set-up, sign-in, find a user, edit their metadata (invalid
// JSON refused), revoke a session, create and revoke an invitation,
// change the sign-up mode and see sign-up obey it, see a failed message,
// and read it all back in the audit log.
func TestDashboardInABrowser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		b := newBrowser(t, e.url)

		// First run: the set-up page, which needs the secret key.
		b.open("/dashboard")
		b.see("Create the first operator account")
		b.do(chromedp.SendKeys(chromedp.CSS("#secret_key"), secretKey), chromedp.SendKeys(chromedp.CSS("#email"), "op@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "operator password 1"), chromedp.Submit(chromedp.CSS("#password")))
		b.see("active sessions")
		b.see("op@example.com")

		// Sign out and in again.
		b.do(chromedp.Click(chromedp.CSS("form.signout button")))
		b.see("Sign in")
		b.do(chromedp.SendKeys(chromedp.CSS("#email"), "op@example.com"), chromedp.SendKeys(chromedp.CSS("#password"), "operator password 1"),
			chromedp.Submit(chromedp.CSS("#password")))
		b.see("Sign-ups per day")

		// Data to work on.
		first, last := "Ada", "Lovelace"
		ada, err := e.app.API.Users.Create(ctx, user.CreateParams{EmailAddresses: []string{"ada@example.com"}, FirstName: &first,
			LastName: &last, SkipPasswordRequirement: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, mail := range []string{"bob@example.com", "carol@example.org"} {
			if _, err := e.app.API.Users.Create(ctx, user.CreateParams{EmailAddresses: []string{mail}, SkipPasswordRequirement: ptr(true)}); err != nil {
				t.Fatal(err)
			}
		}
		sess, err := e.app.API.Sessions.CreateForUser(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		b.open("/dashboard")
		if got := b.text("#stat-users"); got != "3" {
			t.Fatalf("overview users: %q", got)
		}
		b.shot("overview")

		// Search as you type, then open the user.
		b.open("/dashboard/users")
		b.see("3 user(s)")
		b.do(chromedp.SendKeys(chromedp.CSS("#q"), "lovel"))
		b.see("1 user(s)")
		if strings.Contains(b.text("#user-rows"), "bob@example.com") {
			t.Fatal("search did not narrow the list")
		}
		b.shot("users")
		// At phone width the page does not scroll sideways (tables scroll
		// inside their box).
		b.do(chromedp.EmulateViewport(390, 844))
		fits, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !fits {
			b.shot("phone")
			t.Fatalf("the users page overflows a phone's width: %v", err)
		}
		b.shot("users-phone")
		b.do(chromedp.EmulateViewport(1280, 1000))
		b.do(chromedp.Click(chromedp.CSS(`#user-rows a[href="/dashboard/users/` + ada.ID + `"]`)))
		b.see("ada@example.com")
		b.see(sess.ID)

		// Metadata: invalid JSON is refused, valid JSON saved.
		b.do(chromedp.SetValue(chromedp.CSS("#public_metadata"), `{"plan": "pro",`), chromedp.Click(chromedp.CSS(`form[data-json-form] button`)))
		b.see("not a valid JSON object")
		if u, _ := e.app.API.Users.Get(ctx, ada.ID); string(u.PublicMetadata) != "{}" {
			t.Fatalf("invalid JSON was saved: %s", u.PublicMetadata)
		}
		b.do(chromedp.SetValue(chromedp.CSS("#public_metadata"), `{"plan": "pro", "seats": 3}`), chromedp.Click(chromedp.CSS(`form[data-json-form] button`)))
		b.see("Saved.")
		if u, _ := e.app.API.Users.Get(ctx, ada.ID); string(u.PublicMetadata) != `{"plan":"pro","seats":3}` {
			t.Fatalf("metadata: %s", u.PublicMetadata)
		}

		// Revoke the session.
		b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Revoke session ` + sess.ID + `"]`)))
		b.see("Revoked.")
		if s, _ := e.app.API.Sessions.Session(ctx, sess.ID); s.Status != session.Revoked {
			t.Fatalf("session status %s", s.Status)
		}
		b.shot("user")

		// Invitations: create one, copy its link, revoke it.
		b.open("/dashboard/invitations")
		b.do(chromedp.SendKeys(chromedp.CSS("#emails"), "grace@example.com"), chromedp.Click(chromedp.CSS(`form[action="/dashboard/invitations"] button`)))
		b.see("Created.")
		b.see("grace@example.com")
		link, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(".link-box")))
		if err != nil || !strings.Contains(link, "/v1/tickets/accept?ticket=") {
			t.Fatalf("invitation link %q: %v", link, err)
		}
		b.shot("invitations")
		b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Revoke the invitation of grace@example.com"]`)))
		b.see("Revoked.")
		b.see("revoked")

		// The sign-up mode: invitation only, and sign-up obeys.
		b.open("/dashboard/settings")
		b.do(chromedp.SetValue(chromedp.CSS("#sign_up_mode"), "invitation_only"), chromedp.Click(chromedp.CSS(`form[action="/dashboard/settings"] > button`)))
		b.see("Saved.")
		if mode, _ := e.app.Settings.Mode(ctx); mode != instance.ModeInvitationOnly {
			t.Fatalf("mode %s", mode)
		}
		res, err := http.PostForm(e.url+"/v1/client/sign_ups", url.Values{"email_address": {"eve@example.com"}, "password": {"a good long password"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Fatalf("sign-up under invitation_only: %d", res.StatusCode)
		}
		b.open("/sign-up")
		b.see("Sign-ups are by invitation")

		// A failed message: the relay is unreachable, the dispatcher gives
		// up after its attempts, the outbox shows it.
		b.open("/dashboard/settings")
		b.do(chromedp.SendKeys(chromedp.CSS("#smtp_url"), "smtp://127.0.0.1:1"), chromedp.Click(chromedp.CSS(`form[action="/dashboard/settings"] > button`)))
		b.see("Saved.")
		b.open("/dashboard/messages")
		b.do(chromedp.SendKeys(chromedp.CSS("#to"), "ops@example.com"), chromedp.Click(chromedp.CSS(`form[action="/dashboard/messages/test"] button`)))
		b.see("Queued for sending.")
		deadline := time.Now().Add(20 * time.Second)
		for {
			list, _, err := e.db.Messages(ctx, "", delivery.Failed, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the test email never failed")
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.open("/dashboard/messages?status=failed")
		b.see("ops@example.com")
		b.see("failed")
		b.see("127.0.0.1:1")
		b.shot("messages")
		b.do(chromedp.Click(chromedp.CSS(`tr[data-status="failed"] button`)))
		b.see("Queued again.")

		// The audit log: the operator's changes, newest first; the SMTP
		// URL recorded as changed, without its value (a credential).
		b.open("/dashboard/audit")
		b.see("settings.updated")
		b.see("invitation.revoked")
		b.see("op@example.com")
		if strings.Contains(b.text("#main"), "smtp://") {
			t.Fatal("the audit page shows the SMTP URL")
		}
		b.shot("audit")
		b.do(chromedp.Click(chromedp.CSS(`a[href="/dashboard/audit?action=session.revoked"]`)))
		b.see(sess.ID)
		if strings.Contains(b.text("#main"), "invitation.revoked") {
			t.Fatal("the action filter shows other actions")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestImportInABrowser: the import and export page renders in Chromium,
// and a file chosen in its form uploads (multipart, with the token) and
// imports.
func TestImportInABrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	file, err := filepath.Abs("../../testdata/import/clerk_hashers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Operators.Create(ctx, "op@example.com", "operator password 1"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e.url)
	b.open("/dashboard/import-export")
	b.see("Sign in")
	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "op@example.com"), chromedp.SendKeys(chromedp.CSS("#password"), "operator password 1"),
		chromedp.Submit(chromedp.CSS("#password")))
	b.see("as secret as the database")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}), chromedp.Click(chromedp.CSS("#import-form button")))
	b.see("Import of clerk_hashers.csv")
	if got := b.text("#sum-imported"); got != "24" {
		b.shot("import-missing")
		t.Fatalf("imported: %q", got)
	}
	if n, err := e.app.API.Users.Count(ctx, user.Filter{}); err != nil || n != 24 {
		t.Fatalf("users after the upload: %d %v", n, err)
	}
	b.shot("import-export")
}
