package backendapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"
	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/password"
)

// The session benchmarks of BENCHMARKS.md:
//
//	go test -run XXX -bench 'Token|SignIn|Bcrypt' -benchtime 3s ./internal/backendapi

// BenchmarkMintTokenHTTP: POST /v1/client/sessions/{id}/tokens, what
// clerk-js calls about every 43 s per tab, from concurrent clients.
func BenchmarkMintTokenHTTP(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine, withOrigins(appOrigin))
			e.app.Frontend.SignInLimit = nil
			e.userWithPassword("ada@example.com")
			br := e.browser()
			sid := br.signIn("ada@example.com", pw)
			cookie := br.cookie("__client")
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", e.url+"/v1/client/sessions/"+sid+"/tokens", strings.NewReader("organization_id=&tab_state=focused"))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", appOrigin)
					req.AddCookie(cookie)
					res, err := client.Do(req)
					if err != nil || res.StatusCode != 200 {
						b.Errorf("mint: %v %v", err, res)
						return
					}
					res.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkVerifyTokenNetworkless: clerk-sdk-go's jwt.Verify with the key
// in hand, as an application's middleware does after its first JWKS
// fetch; one goroutine, so tokens/s is per core.
func BenchmarkVerifyTokenNetworkless(b *testing.B) {
	e := newEnv(b, "sqlite", withOrigins(appOrigin))
	ctx := context.Background()
	userID := e.userWithPassword("ada@example.com")
	sessions := clerksession.NewClient(e.sdkConfig())
	s, _ := sessions.Create(ctx, &clerksession.CreateParams{UserID: userID})
	tok, err := sessions.CreateToken(ctx, &clerksession.CreateTokenParams{ID: s.ID, ExpiresInSeconds: clerk.Int64(3600)})
	if err != nil {
		b.Fatal(err)
	}
	set := e.app.Keys.JWKS()
	jwk := &clerk.JSONWebKey{}
	raw, _ := set.Keys[0].MarshalJSON()
	if err := jwk.UnmarshalJSON(raw); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := jwt.Verify(ctx, &jwt.VerifyParams{Token: tok.JWT, JWK: jwk, ProxyURL: &e.url}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s/core")
}

// BenchmarkPasswordSignInHTTP: POST /v1/client/sign_ins with identifier,
// strategy=password and password, each from a new client, concurrently:
// the whole sign-in (bcrypt, session, client rotation, response).
func BenchmarkPasswordSignInHTTP(b *testing.B) {
	defer realCost()()
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine, withOrigins(appOrigin))
			e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit = nil, nil
			e.userWithPassword("ada@example.com")
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			form := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}}.Encode()
			var failures atomic.Int64
			b.SetParallelism(2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", e.url+"/v1/client/sign_ins", strings.NewReader(form))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", appOrigin)
					res, err := client.Do(req)
					if err != nil || res.StatusCode != 200 {
						failures.Add(1)
						continue
					}
					res.Body.Close()
				}
			})
			if n := failures.Load(); n > 0 {
				b.Fatalf("%d sign-ins failed", n)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sign-ins/s")
		})
	}
}

// BenchmarkBcryptLimit: bcrypt comparisons at Concierge's cost, with the
// same parallelism: the ceiling of password sign-ins on this machine.
func BenchmarkBcryptLimit(b *testing.B) {
	defer realCost()()
	h, err := password.Hash(pw)
	if err != nil {
		b.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != 10 {
		b.Fatalf("cost %d", c)
	}
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bcrypt.CompareHashAndPassword([]byte(h), []byte(pw))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "compares/s")

}

// realCost puts back the production bcrypt cost the harness lowers (see
// password.Cost) and returns the function that lowers it again.
func realCost() func() {
	c := password.Cost
	password.Cost = password.DefaultCost
	return func() { password.Cost = c }
}
