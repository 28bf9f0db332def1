package clerkjs_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/user"
)

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

// code waits for the n-th email and returns its code.
func (e *env) code(n int, to string) string {
	e.t.Helper()
	m := e.mail.Wait(n, 15*time.Second)[n-1]
	if m.To[0] != to {
		e.t.Fatalf("email %d to %v, want %s", n, m.To, to)
	}
	c := codeRe.FindString(m.Header.Get("Subject"))
	if c == "" {
		e.t.Fatalf("no code in %q", m.Header.Get("Subject"))
	}
	return c
}

// enterCode types a code into the components' one-time-code field.
func (e *env) enterCode(code string) {
	e.t.Helper()
	e.do(chromedp.WaitVisible(chromedp.CSS(`input[autocomplete="one-time-code"]`)))
	e.do(chromedp.SendKeys(chromedp.CSS(`input[autocomplete="one-time-code"]`), code))
}

// TestSignUpWithEmailCode: SignUp with email and password; the code comes
// by email; a wrong code first.
func TestSignUpWithEmailCode(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.load()
		e.mount("mountSignUp")
		e.typeInto(`input[name="emailAddress"]`, "bob@example.com")
		e.typeInto(`input[name="password"]`, "a long enough password")
		e.shot("signup")
		e.click(primary)
		code := e.code(1, "bob@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		e.enterCode(wrong)
		e.waitJS(`document.body.innerText.toLowerCase().includes('incorrect')`)
		e.shot("signup-code")
		// The field is cleared after a wrong code; type the right one.
		e.waitJS(`document.querySelector('input[autocomplete="one-time-code"]').value === ''`)
		e.enterCode(code)
		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](e, `Clerk.user.primaryEmailAddress.emailAddress`); got != "bob@example.com" {
			t.Fatalf("Clerk.user: %s", got)
		}
		_, sub := e.verifySessionCookie()
		u, err := e.a.API.Users.Get(context.Background(), sub)
		if err != nil || u.Identifiers[0].VerificationStatus != user.StatusVerified {
			t.Fatalf("user: %v %+v", err, u)
		}
	})
}

// TestSignUpWithInvitation: the invitation link lands on the application
// with __clerk_ticket; SignUp uses the ticket, needs no code, and the
// invitation is accepted.
func TestSignUpWithInvitation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		no := false
		redirect := e.app + "/"
		email := "grace@example.com"
		inv, err := e.a.API.Invitations.Create(ctx, invitation.CreateParams{EmailAddress: &email, RedirectURL: &redirect, Notify: &no})
		if err != nil {
			t.Fatal(err)
		}
		link, err := e.a.API.Invitations.URL(inv)
		if err != nil {
			t.Fatal(err)
		}
		e.do(chromedp.Navigate("about:blank"))
		e.console()
		e.do(chromedp.Navigate(link)) // Concierge's landing redirects to the app with the ticket
		e.waitJS(`window.__loaded`)
		if !strings.Contains(eval[string](e, `location.search`), "__clerk_ticket=") {
			t.Fatalf("landed on %s", eval[string](e, `location.href`))
		}
		e.mount("mountSignUp")
		e.typeInto(`input[name="password"]`, "a long enough password")
		e.click(primary)
		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](e, `Clerk.user.primaryEmailAddress.emailAddress`); got != email {
			t.Fatalf("Clerk.user: %s", got)
		}
		got, err := e.a.API.Invitations.Store.Invitation(ctx, inv.ID)
		if err != nil || got.Status != invitation.Accepted {
			t.Fatalf("invitation: %v %+v", err, got)
		}
		if n := len(e.mail.Messages()); n != 0 {
			t.Fatalf("%d emails: a ticket sign-up needs no code", n)
		}
	})
}

// TestForgotPassword: SignIn's "Forgot password?" sends a reset code by
// email; after it, a new password signs the user in.
func TestForgotPassword(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.alice()
		e.load()
		e.mount("mountSignIn")
		e.typeInto(`input[name="identifier"]`, "alice@example.com")
		e.click(primary)
		e.click(`.cl-formFieldAction__password`) // "Forgot password?"
		e.waitJS(`document.body.innerText.includes('Reset your password') || document.querySelector('input[autocomplete="one-time-code"]')`)
		if eval[bool](e, `!document.querySelector('input[autocomplete="one-time-code"]')`) {
			// Some versions show a choice first: the email reset.
			e.click(`.cl-alternativeMethodsBlockButton`)
		}
		code := e.code(1, "alice@example.com")
		e.enterCode(code)
		e.typeInto(`input[name="password"]`, "a brand new password")
		e.typeInto(`input[name="confirmPassword"]`, "a brand new password")
		e.click(primary)
		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		// The new password works from now on, the old one does not.
		e.signOut()
		e.signIn("alice@example.com", "a brand new password")
		e.waitJS(`window.Clerk.user`)
	})
}
