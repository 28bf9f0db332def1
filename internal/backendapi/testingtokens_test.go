package backendapi_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/testingtoken"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/ratelimit"
	mint "github.com/conciergehq/concierge/internal/testingtoken"
)

// TestTestingTokens: clerk-sdk-go mints a testing token on a
// development instance; Frontend API requests carrying it as
// __clerk_testing_token are not rate limited, others (and a forged
// token) are; a production instance refuses to mint one and ignores it.
func TestTestingTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withApp(func(a *app.App) {
			a.Frontend.SignInLimit = ratelimit.New(2, time.Minute)
		}))
		ctx := context.Background()
		tok, err := testingtoken.NewClient(e.sdkConfig()).Create(ctx)
		if err != nil || tok.Object != "testing_token" || tok.Token == "" || tok.ExpiresAt <= time.Now().Unix() {
			t.Fatalf("create: %+v %v", tok, err)
		}
		form := url.Values{"identifier": {"nobody@example.com"}}
		b := e.browser()
		for i := 0; i < 2; i++ {
			b.call("POST", "/v1/client/sign_ins", form)
		}
		b.fails("POST", "/v1/client/sign_ins", form, 429, "too_many_requests")
		b.fails("POST", "/v1/client/sign_ins?__clerk_testing_token=forged", form, 429, "too_many_requests")
		for i := 0; i < 5; i++ {
			b.fails("POST", "/v1/client/sign_ins?__clerk_testing_token="+url.QueryEscape(tok.Token), form, 422, "form_identifier_not_found")
		}

		prod := newEnv(t, engine, withOrigins(appOrigin), withApp(func(a *app.App) {
			a.Frontend.SignInLimit = ratelimit.New(2, time.Minute)
			a.Frontend.Production, a.API.Production = true, true
		}))
		_, err = testingtoken.NewClient(prod.sdkConfig()).Create(ctx)
		apiErr(t, err, 400, "testing_tokens_unavailable")
		pb := prod.browser()
		for i := 0; i < 2; i++ {
			pb.call("POST", "/v1/client/sign_ins", form)
		}
		// Even a token under the production instance's own key.
		own, _ := mint.Mint(prod.app.API.TestingKey, time.Now())
		pb.fails("POST", "/v1/client/sign_ins?__clerk_testing_token="+url.QueryEscape(own), form, 429, "too_many_requests")
	})
}
