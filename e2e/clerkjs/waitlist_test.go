package clerkjs_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/waitlist"
)

// TestWaitlist: in waitlist mode, <Waitlist/> adds the visitor's address;
// the operator invites the entry through the Backend API; SignUp, opened
// with the invitation's ticket, creates the account, and the entry reads
// completed.
func TestWaitlist(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		if err := e.a.Settings.Set(ctx, instance.SignUpMode, instance.ModeWaitlist); err != nil {
			t.Fatal(err)
		}
		e.load()
		e.mount("mountWaitlist")
		e.typeInto(`input[name="emailAddress"]`, "grace@example.com")
		e.shot("waitlist")
		e.click(primary)
		e.waitJS(`document.body.innerText.toLowerCase().includes('thanks for joining')`)
		e.shot("waitlist-joined")
		list, _, err := e.a.API.Waitlist.List(ctx, waitlist.Query{Limit: 10})
		if err != nil || len(list) != 1 || list[0].EmailAddress != "grace@example.com" || list[0].Status != waitlist.Pending {
			t.Fatalf("entries: %+v %v", list, err)
		}

		entry, err := e.a.API.Waitlist.Invite(ctx, list[0].ID, waitlist.InviteParams{})
		if err != nil {
			t.Fatal(err)
		}
		link, err := e.a.API.Invitations.URL(entry.Invitation)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		e.do(chromedp.Navigate("about:blank"))
		e.console()
		e.do(chromedp.Navigate(e.app + "/?__clerk_status=sign_up&__clerk_ticket=" + url.QueryEscape(u.Query().Get("ticket"))))
		e.waitJS(`window.__loaded === 'ok'`)
		e.mount("mountSignUp")
		e.typeInto(`input[name="password"]`, "a long enough password")
		e.click(primary)
		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](e, `Clerk.user.primaryEmailAddress.emailAddress`); got != "grace@example.com" {
			t.Fatalf("Clerk.user: %s", got)
		}
		// The session's token is a real one (and its fetch has finished
		// before the browser closes).
		if _, claims := e.sessionToken(); claims.Subject == "" {
			t.Fatal("session token without a subject")
		}
		got, err := e.a.API.Waitlist.Store.WaitlistEntry(ctx, entry.ID)
		if err != nil || got.Status != waitlist.Completed || got.Invitation.Status != invitation.Accepted {
			t.Fatalf("entry: %+v %v", got, err)
		}
	})
}
