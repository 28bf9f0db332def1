package clerkjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/passkey"
)

// virtualAuthenticator gives the browser a platform authenticator that
// keeps discoverable credentials and verifies its user without asking,
// through the DevTools Protocol's WebAuthn domain.
func (e *env) virtualAuthenticator() {
	e.t.Helper()
	if _, err := chromedp.Call(e.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		e.t.Fatal(err)
	}
	_, err := chromedp.Call(e.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestPasskeys: with the application on app.localhost (a domain, as
// WebAuthn needs), the user adds a passkey in UserProfile's security page (the
// browser's virtual authenticator makes it, Concierge checks its
// attestation), signs out, and signs in again with SignIn's passkey
// button alone: a discoverable credential names the account; eleven
// minutes on, the verification modal of a sensitive change takes the
// passkey; then it is renamed and removed.
func TestPasskeys(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnvAt(t, engine, "app.localhost")
		ctx := context.Background()
		aliceID := e.alice()
		// Before clerk-js loads: it asks once whether the device has an
		// authenticator.
		e.virtualAuthenticator()
		e.load()
		e.openSecurity("alice@example.com", alicePassword)
		e.clickText("Add a passkey")
		e.waitJS(`Clerk.user.passkeys.length === 1`)
		e.shot("passkey-added")
		u, err := e.a.API.Users.Get(ctx, aliceID)
		if err != nil || len(passkey.Of(u)) != 1 {
			t.Fatalf("stored passkeys: %v %d", err, len(passkey.Of(u)))
		}

		e.signOut()
		e.mount("mountSignIn")
		e.clickText("Use passkey instead")
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if u, _ := e.a.API.Users.Get(ctx, aliceID); passkey.Of(u)[0].LastUsedAt == nil {
			t.Fatal("the passkey's use was not recorded")
		}

		// Eleven minutes on, a sensitive change asks to verify again, and
		// the passkey does it.
		e.clock.Set(11 * time.Minute)
		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.mount("mountUserProfile")
		e.click(`.cl-navbarButton__security`)
		e.clickText("Add two-step verification")
		e.clickText("Authenticator application")
		e.waitJS(`document.body.innerText.includes('Use your passkey')`)
		e.shot("reverify-passkey")
		e.clickText("Use your passkey")
		e.waitJS(`document.body.innerText.includes('Can’t scan QR code?')`)
		e.clock.Set(0)

		// Renamed, then removed, through clerk-js's passkey resource.
		eval[bool](e, `Clerk.user.passkeys[0].update({name: 'Work laptop'}).then(() => true)`)
		if u, _ := e.a.API.Users.Get(ctx, aliceID); passkey.Of(u)[0].Name != "Work laptop" {
			t.Fatalf("renamed: %+v", passkey.Of(u))
		}

		// The hosted sign-in page's passkey button signs in too (the
		// same tab: its authenticator holds the passkey).
		e.do(chromedp.Navigate(e.fapi + "/sign-in"))
		e.click(`#passkey-button`)
		e.waitJS(`location.pathname === '/user' && document.body.innerText.includes('alice@example.com')`)
		e.shot("hosted-passkey")

		e.load()
		e.waitJS(`Clerk.user`)
		eval[bool](e, `Clerk.user.passkeys[0].delete().then(() => Clerk.user.reload()).then(() => Clerk.user.passkeys.length === 0)`)
		if u, _ := e.a.API.Users.Get(ctx, aliceID); len(passkey.Of(u)) != 0 {
			t.Fatalf("removed: %+v", passkey.Of(u))
		}
	})
}
