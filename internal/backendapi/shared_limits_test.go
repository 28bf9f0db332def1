package backendapi_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// TestLimitsAcrossServers: three Concierge servers on one PostgreSQL
// database, taken in turn as a round-robin balancer would, limit sign-ins
// from one address in total (5 per 10 s, not 5 each), and lock a user out
// after 10 failures in total. (SQLite serves one process: its limits are
// in memory, as TestRateLimits shows.)
func TestLimitsAcrossServers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		if engine != sqlstore.Postgres {
			t.Skip("one process per SQLite database")
		}
		first := newEnv(t, engine, withOrigins(appOrigin))
		servers := []*env{first, newEnv(t, engine, withOrigins(appOrigin), withDSN(first.dsn)),
			newEnv(t, engine, withOrigins(appOrigin), withDSN(first.dsn))}
		userID := first.userWithPassword("ada@example.com")
		wrong := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"wrong password!"}}
		for i := range 5 {
			servers[i%3].browser().fails("POST", "/v1/client/sign_ins", wrong, 422, "form_password_incorrect")
		}
		for i := range 3 {
			servers[i].browser().fails("POST", "/v1/client/sign_ins", wrong, 429, "too_many_requests")
		}

		// The lockout counts every server's failures (the user's row).
		for _, e := range servers {
			e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit = nil, nil
		}
		if _, err := first.users.Unlock(context.Background(), userID); err != nil {
			t.Fatal(err)
		}
		for i := range 9 {
			servers[i%3].browser().fails("POST", "/v1/client/sign_ins", wrong, 422, "form_password_incorrect")
		}
		servers[0].browser().fails("POST", "/v1/client/sign_ins", wrong, 403, "user_locked")
		servers[1].browser().fails("POST", "/v1/client/sign_ins",
			url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}}, 403, "user_locked")
	})
}
