package clerkjs_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/password"
)

// clickText clicks the first button or link whose text is label.
func (e *env) clickText(label string) {
	e.t.Helper()
	js := `(() => { const el = [...document.querySelectorAll('button, a, [role="menuitem"]')].find(b => b.innerText.trim() === ` + jsString(label) + `);
		if (!el) return false; el.click(); return true; })()`
	e.waitJS(js)
}

// TestUserProfile: UserProfile's name, email address and password
// sections, against Concierge's /v1/me calls.
func TestUserProfile(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		aliceID := e.alice()
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.mount("mountUserProfile")
		e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-userProfile-root, .cl-rootBox`)))
		e.shot("userprofile")

		// Name.
		e.clickText("Update profile")
		e.typeInto(`input[name="firstName"]`, "Alicia")
		e.typeInto(`input[name="lastName"]`, "Keys")
		e.clickText("Save")
		e.waitJS(`Clerk.user.firstName === 'Alicia'`)
		if u, _ := e.a.API.Users.Get(ctx, aliceID); u.FirstName == nil || *u.FirstName != "Alicia" || *u.LastName != "Keys" {
			t.Fatalf("name not saved: %+v", u)
		}

		// Email address: add, then verify with the emailed code.
		e.clickText("Add email address")
		e.typeInto(`input[name="emailAddress"]`, "alicia@work.example")
		e.clickText("Add")
		code := e.code(1, "alicia@work.example")
		e.enterCode(code)
		e.waitJS(`Clerk.user.emailAddresses.some(a => a.emailAddress === 'alicia@work.example' && a.verification.status === 'verified')`)

		// Password.
		e.do(chromedp.Click(chromedp.CSS(`.cl-navbarButton__security`)))
		e.clickText("Update password")
		e.typeInto(`input[name="currentPassword"]`, alicePassword)
		e.typeInto(`input[name="newPassword"]`, "another long password")
		e.typeInto(`input[name="confirmPassword"]`, "another long password")
		e.clickText("Save")
		e.waitJS(`!document.querySelector('input[name="newPassword"]')`)
		u, _ := e.a.API.Users.Get(ctx, aliceID)
		if !password.Verify(u.PasswordHasher, u.PasswordDigest, "another long password") {
			t.Fatal("password not changed")
		}
		t.Logf("Frontend API calls: %v", e.rec.seen())
	})
}
