package dashboard_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// TestImpersonation: "Sign in as this user" on a user's page sends the
// operator to a one-time link that signs them in as the user on the
// hosted pages; the session names the operator as its actor, and the
// log records who impersonated whom.
func TestImpersonation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		csrf := c.signIn("op@example.com")
		u, err := e.app.API.Users.Create(ctx, user.CreateParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if _, body, _ := c.get("/dashboard/users/" + u.ID); !strings.Contains(body, "Sign in as this user") {
			t.Fatal("no impersonation button")
		}
		if st, _, _ := c.post("/dashboard/users/"+u.ID+"/impersonate", url.Values{}); st != 403 {
			t.Fatalf("without the CSRF token: %d", st)
		}
		st, _, h := c.post("/dashboard/users/"+u.ID+"/impersonate", url.Values{"csrf": {csrf}})
		link := h.Get("Location")
		if st != 303 || !strings.HasPrefix(link, e.url+"/v1/tickets/accept?ticket=") {
			t.Fatalf("impersonate: %d %q", st, link)
		}
		st, _, h = c.get(strings.TrimPrefix(link, e.url))
		if st != 303 || !strings.HasPrefix(h.Get("Location"), e.url+"/sign-in?") {
			t.Fatalf("landing: %d %v", st, h)
		}
		landing, _ := url.Parse(h.Get("Location"))
		st, body, _ := c.get(landing.RequestURI())
		if st != 200 || !strings.Contains(body, "Continue as ada@example.com") {
			t.Fatalf("sign-in page: %d\n%s", st, body)
		}
		ticket := landing.Query().Get("__clerk_ticket")
		if st, _, h := c.post("/sign-in", url.Values{"strategy": {"ticket"}, "ticket": {ticket}}); st != 303 || h.Get("Location") != "/user" {
			t.Fatalf("ticket sign-in: %d %v", st, h)
		}
		sessions, _, err := e.app.API.Sessions.Sessions(ctx, session.Filter{UserID: u.ID, Limit: 10})
		if err != nil || len(sessions) != 1 {
			t.Fatalf("sessions: %v %v", sessions, err)
		}
		var actor map[string]string
		json.Unmarshal(sessions[0].Actor, &actor)
		op := between(e.logs.String(), "operator_id=", " ")
		if actor["sub"] == "" || actor["sub"] != op || !strings.Contains(e.logs.String(), "user_id="+u.ID) {
			t.Fatalf("actor %v, log:\n%s", actor, e.logs.String())
		}
		if left := sessions[0].ExpireAt - sessions[0].CreatedAt; left > 30*60*1000 {
			t.Fatalf("an impersonated session lasts %d ms", left)
		}
		// Unknown user.
		if st, _, _ := c.post("/dashboard/users/user_missing/impersonate", url.Values{"csrf": {csrf}}); st != 404 {
			t.Fatalf("unknown user: %d", st)
		}
	})
}
