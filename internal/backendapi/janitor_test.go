package backendapi_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/janitor"
)

// TestJanitor: a month on, the janitor purges a revoked session and its
// client left with none, and an abandoned sign-up, and keeps a session
// still in use; of two processes only the lease's holder purges.
func TestJanitor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		e.userWithPassword("ada@example.com")
		day := 24 * time.Hour

		old := e.browser()
		oldSID := old.signIn("ada@example.com", pw)
		_, cl, _ := old.call("GET", "/v1/client", nil)
		oldClient, _ := get(cl, "response", "id").(string)
		if st, b := e.do("POST", "/v1/sessions/"+oldSID+"/revoke", nil); st != 200 {
			t.Fatalf("revoke: %d %s", st, b)
		}
		abandoned := get(e.browser().ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"later@example.com"}}), "response", "id").(string)

		e.clock.Set(29 * day)
		recent := e.browser()
		recentSID := recent.signIn("ada@example.com", pw)

		e.clock.Set(31 * day)
		other := *e.app.Janitor
		other.Holder = "another process"
		purged, ran, err := e.app.Janitor.RunOnce(ctx)
		if err != nil || !ran {
			t.Fatalf("janitor: ran %v, %v", ran, err)
		}
		if purged["sessions"] != 1 || purged["clients"] < 1 || purged["attempts"] < 1 {
			t.Errorf("purged %v", purged)
		}
		for _, path := range []string{"/v1/sessions/" + oldSID, "/v1/clients/" + oldClient, "/v1/sign_ups/" + abandoned} {
			if st, b := e.do("GET", path, nil); st != 404 {
				t.Errorf("%s after the purge: %d %s", path, st, b)
			}
		}
		if st, b := e.do("GET", "/v1/sessions/"+recentSID, nil); st != 200 {
			t.Fatalf("the session in use: %d %s", st, b)
		}
		recent.ok("POST", "/v1/client/sessions/"+recentSID+"/tokens", url.Values{})

		// The lease: the other process waits for it to run out.
		if _, ran, err := other.RunOnce(ctx); ran || err != nil {
			t.Fatalf("a second holder ran: %v, %v", ran, err)
		}
		e.clock.Set(31*day + e.app.Janitor.Interval + time.Minute)
		if _, ran, err := other.RunOnce(ctx); !ran || err != nil {
			t.Fatalf("after the lease: ran %v, %v", ran, err)
		}
		if _, ran, _ := e.app.Janitor.RunOnce(ctx); ran {
			t.Fatal("the first holder ran under the other's lease")
		}
		if janitor.DefaultPolicy.Sessions != 30*day {
			t.Fatalf("policy %+v", janitor.DefaultPolicy)
		}
	})
}
