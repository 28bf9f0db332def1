package clerkjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/user"
)

// otpInput is the components' one-time-code field (it submits itself at
// six digits).
const otpInput = `input[autocomplete="one-time-code"]`

// totpNow is the authenticator app's code steps from now.
func totpNow(t *testing.T, secret string, steps int64) string {
	t.Helper()
	c, err := mfa.Code(secret, mfa.Step(time.Now())+steps)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openSecurity signs the browser in with a password and opens
// UserProfile's security page.
func (e *env) openSecurity(email, password string) {
	e.t.Helper()
	e.signIn(email, password)
	e.waitJS(`window.Clerk.user`)
	eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
	e.mount("mountUserProfile")
	e.click(`.cl-navbarButton__security`)
}

// shownSecret opens the "Can't scan QR code?" view of an authenticator
// app being added (label is the link's text, whose apostrophe differs
// between UserProfile and the setup-mfa task) and returns the secret the
// component shows there.
func (e *env) shownSecret(label string) string {
	e.t.Helper()
	e.clickText(label)
	const field = `[...document.querySelectorAll('input[readonly]')].find(i => i.value && !i.value.startsWith('otpauth:'))`
	e.waitJS(field)
	return eval[string](e, field+`.value`)
}

// signOut signs the browser out and waits for the page clerk-js opens
// then. Once signed out clerk-js navigates to the after-sign-out URL,
// which loads a new document: awaiting signOut's promise raced that
// navigation (and lost, "Inspected target navigated or closed", now and
// then), and a wait on the old document could pass just before it went.
// So the old document is marked and the wait is for one without the mark.
func (e *env) signOut() {
	e.t.Helper()
	eval[bool](e, `window.__signingOut = true, Clerk.signOut(), true`)
	e.waitJS(`!window.__signingOut && window.__loaded === 'ok' && window.Clerk && Clerk.loaded && !Clerk.user`)
	eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
}

// TestTwoStepVerification: in UserProfile's security page the user adds
// an authenticator app (the test reads the secret the component shows
// under "Can’t scan QR code?" and computes its codes), keeps the backup
// codes shown, signs out, then signs in with the password and the app's
// next code, and again with a backup code through "Use another method";
// the session token's fva claim reports the second factor.
func TestTwoStepVerification(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		aliceID := e.alice()
		e.load()
		e.openSecurity("alice@example.com", alicePassword)
		e.clickText("Add two-step verification")
		e.clickText("Authenticator application")
		secret := e.shownSecret("Can’t scan QR code?")
		e.shot("totp-secret")
		e.clickText("Continue")
		e.do(chromedp.WaitVisible(chromedp.CSS(otpInput)))
		e.do(chromedp.SendKeys(chromedp.CSS(otpInput), totpNow(t, secret, 0)))
		// The success page lists the ten backup codes.
		// (Concierge's codes are 10 characters without o, l, i, 0 or 1.)
		findCodes := `document.body.innerText.split('\n').map(s => s.trim()).filter(s => /^[a-hjkmnp-z2-9]{10}$/.test(s))`
		e.waitJS(findCodes + `.length === 10`)
		codes := eval[[]string](e, findCodes)
		e.shot("totp-backup-codes")
		e.clickText("Finish")
		e.waitJS(`Clerk.user.totpEnabled && Clerk.user.backupCodeEnabled && Clerk.user.twoFactorEnabled`)
		if u, err := e.a.API.Users.Get(ctx, aliceID); err != nil || !u.TOTPEnabled() || len(u.BackupCodes) != 10 {
			t.Fatalf("stored factors: %v %+v", err, u)
		}

		// Password, then the app's next code (the one just used is spent).
		e.signOut()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`document.body.innerText.includes('Two-step verification')`)
		e.shot("factor-two")
		e.do(chromedp.WaitVisible(chromedp.CSS(otpInput)))
		e.do(chromedp.SendKeys(chromedp.CSS(otpInput), totpNow(t, secret, 1)))
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if _, claims := e.sessionToken(); claims.FactorAge[1] != 0 {
			t.Fatalf("fva %v: the second factor was just proved", claims.FactorAge)
		}

		// Password, then a backup code.
		e.signOut()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`document.body.innerText.includes('Two-step verification')`)
		e.clickText("Use another method")
		e.clickText("Use a backup code")
		e.typeInto(`input[name="code"]`, codes[4])
		e.click(primary)
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if u, _ := e.a.API.Users.Get(ctx, aliceID); len(u.BackupCodes) != 9 {
			t.Fatalf("%d backup codes left, want 9", len(u.BackupCodes))
		}
	})
}

// TestReverificationModal: eleven minutes after signing in, adding an
// authenticator app in UserProfile is refused with
// session_reverification_required; clerk-js's verification modal asks
// for the password, Concierge verifies the session again, and clerk-js
// retries the call, which now shows the app's QR code.
func TestReverificationModal(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.alice()
		e.load()
		e.openSecurity("alice@example.com", alicePassword)
		e.clock.Set(11 * time.Minute)
		e.clickText("Add two-step verification")
		e.clickText("Authenticator application")
		e.waitJS(`document.body.innerText.includes('Verification required')`)
		e.shot("reverification")
		e.typeInto(`input[name="password"]`, alicePassword)
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Can’t scan QR code?')`)
		age := eval[[]int](e, `Clerk.session.factorVerificationAge`)
		if len(age) != 2 || age[0] != 0 {
			t.Fatalf("factor_verification_age %v after the step-up", age)
		}
	})
}

// TestNewDeviceCheck: with the new-device check on, a password sign-in
// in a browser never used for the user goes to SignIn's client-trust
// step, which the emailed code completes; the same browser is not asked
// again after signing out, and another browser is.
func TestNewDeviceCheck(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		aliceID := e.alice()
		if err := e.a.Settings.Set(context.Background(), instance.ClientTrust, "true"); err != nil {
			t.Fatal(err)
		}
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`document.body.innerText.includes('Check your email') && document.body.innerText.includes('new device')`)
		e.shot("client-trust")
		e.enterCode(e.code(1, "alice@example.com"))
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))

		e.signOut()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if n := len(e.mail.Messages()); n != 1 {
			t.Fatalf("%d emails: the browser is known now", n)
		}

		other := e.freshBrowser()
		other.load()
		other.signIn("alice@example.com", alicePassword)
		other.waitJS(`document.body.innerText.includes('Check your email')`)
		other.enterCode(other.code(2, "alice@example.com"))
		other.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
	})
}

// TestSetupMFATask: with a second factor required, a user without one
// signs in to a pending session; SignIn shows Clerk's setup-mfa task,
// the user adds an authenticator app there, and the session becomes
// active.
func TestSetupMFATask(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		aliceID := e.alice()
		if err := e.a.Settings.Set(context.Background(), instance.MFARequired, "true"); err != nil {
			t.Fatal(err)
		}
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`document.body.innerText.includes('Set up two-step verification')`)
		e.shot("setup-mfa")
		if st := eval[string](e, `Clerk.session ? Clerk.session.status : ''`); st != "pending" {
			t.Fatalf("session %q, want pending", st)
		}
		e.clickText("Authenticator application")
		secret := e.shownSecret("Can't scan QR code?")
		e.clickText("Continue")
		e.do(chromedp.WaitVisible(chromedp.CSS(otpInput)))
		e.do(chromedp.SendKeys(chromedp.CSS(otpInput), totpNow(t, secret, 0)))
		e.waitJS(`document.body.innerText.includes('verification enabled')`)
		sid := eval[string](e, `Clerk.session.id`)
		e.clickText("Continue")
		e.waitJS(`Clerk.session && Clerk.session.status === 'active' && Clerk.user.id === ` + jsString(aliceID))
		// (Continue navigates on: the token is minted here, not in a page
		// that may be unloading.)
		jwt, err := e.a.API.Sessions.Token(context.Background(), nil, sid, e.app)
		if err != nil {
			t.Fatal(err)
		}
		if claims, err := e.a.Keys.Verify(jwt, e.fapi, time.Now()); err != nil || claims.SessionStatus != "" {
			t.Fatalf("token of the active session: %v %+v", err, claims)
		}
	})
}

// TestSMSSecondFactor: a user with a verified phone number turns on
// "SMS code" two-step verification in UserProfile (the number is
// reserved for it, and the backup codes shown), then signs in with the
// password and the code texted to that number.
func TestSMSSecondFactor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw, phone := alicePassword, "+14155552671"
		u, err := e.a.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{"alice@example.com"},
			PhoneNumbers: []string{phone}, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		e.load()
		e.openSecurity("alice@example.com", alicePassword)
		e.clickText("Add two-step verification")
		e.clickText("SMS code")
		// The number, as the component lists it ("US +1 (415) …").
		e.waitJS(`[...document.querySelectorAll('button')].some(b => b.innerText.includes('555-2671'))`)
		eval[bool](e, `[...document.querySelectorAll('button')].find(b => b.innerText.includes('555-2671')).click(), true`)
		e.waitJS(`document.body.innerText.includes('SMS code verification enabled')`)
		e.shot("sms-mfa-enabled")
		e.clickText("Finish")
		e.waitJS(`Clerk.user.twoFactorEnabled && Clerk.user.phoneNumbers[0].reservedForSecondFactor`)

		e.signOut()
		e.signIn("alice@example.com", alicePassword)
		e.enterCode(e.smsCode(1, phone))
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(u.ID))
		if _, claims := e.sessionToken(); claims.FactorAge[1] != 0 {
			t.Fatalf("fva %v after the SMS code", claims.FactorAge)
		}
	})
}
