package clerkjs_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/oauth"
)

// provider runs an in-process OpenID Connect provider and enables it on
// Concierge as a custom provider, as an operator would.
func (e *env) provider(key, name string) *mockoidc.MockOIDC {
	e.t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { m.Shutdown() })
	cfg := m.Config()
	if err := e.a.OAuth.Save(context.Background(), oauth.Config{Strategy: "oauth_custom_" + key, Enabled: true, Name: name,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Issuer: m.Issuer(), AllowSignUp: true, LinkByEmail: true}); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// dashboardProvider sets a provider up on the dashboard's social sign-in
// page in this browser, as an operator does.
func (e *env) dashboardProvider(strategy, issuer, clientID, secret string) {
	e.t.Helper()
	e.dashboardSignIn()
	e.do(chromedp.Navigate(e.fapi + "/dashboard/social"))
	form := `#provider-` + strategy + ` `
	e.do(chromedp.WaitVisible(chromedp.CSS(form + `input[name="client_id"]`)))
	e.do(chromedp.Click(chromedp.CSS(form+`input[name="enabled"]`)), chromedp.Click(chromedp.CSS(form+`summary`)))
	e.typeInto(form+`input[name="client_id"]`, clientID)
	e.typeInto(form+`input[name="client_secret"]`, secret)
	e.typeInto(form+`input[name="issuer"]`, issuer)
	e.click(form + `button[type="submit"]`)
	e.waitJS(`location.search.includes('notice=saved')`)
}

// TestSocialSignIn: an operator enables Google in the dashboard (its
// issuer pointed at an in-process OpenID Connect provider); SignIn's
// "Continue with Google" goes through the provider and back; a new
// account is made from its profile (the transfer to a sign-up that
// clerk-js runs), signed in; then UserProfile connects a second provider.
func TestSocialSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		acme, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { acme.Shutdown() })
		e.dashboardProvider("oauth_google", acme.Issuer(), acme.Config().ClientID, acme.Config().ClientSecret)
		acme.QueueUser(&mockoidc.MockUser{Subject: "acme-grace", Email: "grace@acme.test", EmailVerified: true})
		e.load()
		e.mount("mountSignIn")
		e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-socialButtonsBlockButton__google`)))
		e.shot("signin-social")
		e.click(`.cl-socialButtonsBlockButton__google`)
		// Back on the application's page: finish as <AuthenticateWithRedirectCallback/> does.
		e.waitJS(`location.origin === ` + jsString(e.app) + ` && location.hash.includes('sso-callback') && window.__loaded === 'ok'`)
		eval[bool](e, `Clerk.handleRedirectCallback({}, () => Promise.resolve()).then(() => true)`)
		e.waitJS(`window.Clerk.user && Clerk.user.primaryEmailAddress.emailAddress === 'grace@acme.test'`)
		userID := eval[string](e, `Clerk.user.id`)
		u, err := e.a.API.Users.Get(ctx, userID)
		if err != nil || len(u.Identifiers) != 2 {
			t.Fatalf("user made through the provider: %v %+v", err, u)
		}
		if eval[string](e, `Clerk.user.externalAccounts[0].provider`) != "google" {
			t.Fatalf("external accounts: %s", eval[string](e, `JSON.stringify(Clerk.user.externalAccounts)`))
		}

		// Connect a second provider from the profile.
		beta := e.provider("beta", "Beta")
		beta.QueueUser(&mockoidc.MockUser{Subject: "beta-grace", Email: "grace@beta.test", EmailVerified: true})
		eval[bool](e, `Clerk.user.createExternalAccount({strategy: 'oauth_custom_beta', redirectUrl: location.origin + '/'}).then(a => { window.location.href = a.verification.externalVerificationRedirectURL.href; return true })`)
		e.waitJS(`location.origin === ` + jsString(e.app) + ` && window.__loaded === 'ok' && window.Clerk.user`)
		e.waitJS(`Clerk.user.externalAccounts.length === 2`)
		if got := eval[string](e, `Clerk.user.externalAccounts.map(a => a.provider).sort().join(',')`); got != "custom_beta,google" {
			t.Fatalf("after connecting: %s", got)
		}
	})
}
