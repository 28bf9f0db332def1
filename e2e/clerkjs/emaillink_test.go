package clerkjs_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/user"
)

var emailLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/v1/verify\?token=[^\s"<>]+`)

// emailLink waits for the n-th email, which must be to addr, and returns
// the email link it holds.
func (e *env) emailLink(n int, addr string) string {
	e.t.Helper()
	m := e.mail.Wait(n, 15*time.Second)[n-1]
	if len(m.To) != 1 || m.To[0] != addr {
		e.t.Fatalf("email %d to %v, want %s", n, m.To, addr)
	}
	link := emailLinkRE.FindString(m.Text)
	if link == "" {
		e.t.Fatalf("no email link in email %d: %s", n, m.Text)
	}
	return link
}

// sameBrowserTab opens another tab in this browser context: the same
// cookies, as when a person clicks the link in a mail client that opens
// their browser.
func (e *env) sameBrowserTab() *env {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.ctx)
	e.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		e.t.Fatal(err)
	}
	return &env{t: e.t, fapi: e.fapi, app: e.app, a: e.a, db: e.db, mail: e.mail, sms: e.sms, rec: e.rec, ctx: ctx, shots: e.shots}
}

// linkUser makes a user who signs in without a password, so that SignIn
// starts with the email link, and turns email links on: in the
// dashboard, as an operator does, when dashboard is set.
func (e *env) linkUser(addr string, dashboard bool) string {
	e.t.Helper()
	yes := true
	u, err := e.a.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{addr}, SkipPasswordRequirement: &yes})
	if err != nil {
		e.t.Fatal(err)
	}
	if dashboard {
		e.dashboardSetting(instance.EmailLink, "true")
	} else if err := e.a.Settings.Set(context.Background(), instance.EmailLink, "true"); err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// startLinkSignIn walks SignIn to its email-link card, which sends the
// link and polls the sign-in.
func (e *env) startLinkSignIn(addr string) {
	e.t.Helper()
	e.load()
	e.mount("mountSignIn")
	e.typeInto(`input[name="identifier"]`, addr)
	e.click(primary)
	e.waitJS(`document.body.innerText.includes('Check your email')`)
	e.shot("email-link-sent")
}

// TestEmailLinkSameBrowser: the link opened in another tab of the same
// browser signs that tab in (the landing made the session on this
// client), and the tab that asked says so and is signed in too.
func TestEmailLinkSameBrowser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		const addr = "link@example.com"
		userID := e.linkUser(addr, false)
		e.startLinkSignIn(addr)
		link := e.emailLink(1, addr)

		tab := e.sameBrowserTab()
		tab.do(chromedp.Navigate(link))
		tab.waitJS(`window.__loaded === 'ok'`)
		if s := eval[string](tab, `location.search`); !strings.Contains(s, "__clerk_status=verified") || !strings.Contains(s, "__clerk_created_session=sess_") {
			t.Fatalf("landed on %s", eval[string](tab, `location.href`))
		}
		tab.mount("mountSignIn") // its verify route completes the flow
		tab.waitJS(`window.Clerk.user && window.Clerk.user.id === ` + jsString(userID))

		// The tab that asked sees the link used here, from its own client.
		e.waitJS(`document.body.innerText.includes('Signed in on other tab')`)
		e.shot("email-link-other-tab")
		// clerk-js points this tab to the new one rather than switching
		// it; the session is on this client, so it is signed in on its
		// next load.
		e.load()
		e.waitJS(`window.Clerk.user && window.Clerk.user.id === ` + jsString(userID))
	})
}

// TestEmailLinkOtherBrowser: the link opened in another browser context
// (another person's browser, or the phone) tells it the sign-in
// happened elsewhere; the tab that asked, still polling, ends signed in.
func TestEmailLinkOtherBrowser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		const addr = "link@example.com"
		userID := e.linkUser(addr, true)
		e.startLinkSignIn(addr)
		link := e.emailLink(1, addr)

		other := e.freshBrowser()
		other.console()
		other.do(chromedp.Navigate(link))
		other.waitJS(`window.__loaded === 'ok'`)
		if s := eval[string](other, `location.search`); !strings.Contains(s, "__clerk_status=verified") || strings.Contains(s, "__clerk_created_session") {
			t.Fatalf("landed on %s", eval[string](other, `location.href`))
		}
		other.mount("mountSignIn")
		other.waitJS(`document.body.innerText.includes('Return to original tab')`)
		other.shot("email-link-other-device")
		if eval[bool](other, `!!window.Clerk.user`) {
			t.Fatal("the other browser was signed in")
		}

		e.waitJS(`window.Clerk.user && window.Clerk.user.id === ` + jsString(userID))
		sid, sub := e.verifySessionCookie()
		if sub != userID || sid == "" {
			t.Fatalf("session cookie of %s / %s", sid, sub)
		}
	})
}

// TestEmailLinkSignUp: with email links on, SignUp verifies the address
// by a link; opened in another browser, the tab that signed up ends
// signed in as the new user, whose address is verified.
func TestEmailLinkSignUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		if err := e.a.Settings.Set(context.Background(), instance.EmailLink, "true"); err != nil {
			t.Fatal(err)
		}
		const addr = "newcomer@example.com"
		e.load()
		e.mount("mountSignUp")
		e.typeInto(`input[name="emailAddress"]`, addr)
		e.typeInto(`input[name="password"]`, "a long enough password")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Verify your email')`)
		link := e.emailLink(1, addr)

		other := e.freshBrowser()
		other.do(chromedp.Navigate(link))
		other.waitJS(`location.search.includes('__clerk_status=verified')`)

		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](e, `Clerk.user.primaryEmailAddress.emailAddress + ' ' + Clerk.user.primaryEmailAddress.verification.status`); got != addr+" verified" {
			t.Fatalf("Clerk.user: %s", got)
		}
	})
}

// TestEmailLinkAddedAddress: with email links on, UserProfile verifies
// an added address by a link; opened in another browser, the profile
// shows it verified.
func TestEmailLinkAddedAddress(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.alice()
		if err := e.a.Settings.Set(context.Background(), instance.EmailLink, "true"); err != nil {
			t.Fatal(err)
		}
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.mount("mountUserProfile")
		e.clickText("Add email address")
		e.typeInto(`input[name="emailAddress"]`, "alicia@work.example")
		e.clickText("Add")
		link := e.emailLink(1, "alicia@work.example")

		other := e.freshBrowser()
		other.do(chromedp.Navigate(link))
		other.waitJS(`location.search.includes('__clerk_status=verified')`)
		e.waitJS(`Clerk.user.emailAddresses.some(a => a.emailAddress === 'alicia@work.example' && a.verification.status === 'verified')`)
		e.shot("email-link-profile")
	})
}
