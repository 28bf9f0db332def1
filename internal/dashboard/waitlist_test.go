package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/waitlist"
)

// TestWaitlistPage: an operator adds an address, sees it listed, invites
// it (an invitation is stored for it), rejects and deletes it; a
// malformed address, an unknown entry and a post without the CSRF token
// are refused.
func TestWaitlistPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		csrf := c.signIn("op@example.com")
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf", csrf)
			st, body, _ := c.post(path, form)
			return st, body
		}
		if st, _ := post("/dashboard/waitlist", url.Values{"email_address": {"Ada@Example.com"}}); st != 303 {
			t.Fatalf("add: %d", st)
		}
		st, body, _ := c.get("/dashboard/waitlist")
		if st != 200 || !strings.Contains(body, "ada@example.com") || !strings.Contains(body, `aria-current="page">Waitlist`) ||
			!strings.Contains(body, "<td>pending</td>") {
			t.Fatalf("list: %d\n%s", st, body)
		}
		if st, _ := post("/dashboard/waitlist", url.Values{"email_address": {"nonsense"}}); st != 422 {
			t.Fatalf("malformed: %d", st)
		}
		id := between(body, `action="/dashboard/waitlist/`, `/invite"`)
		if st, _ := post("/dashboard/waitlist/"+id+"/invite", url.Values{}); st != 303 {
			t.Fatalf("invite: %d", st)
		}
		// Pressing invite again resends: the pending invitation is replaced.
		if st, _ := post("/dashboard/waitlist/"+id+"/invite", url.Values{}); st != 303 {
			t.Fatalf("invite again: %d", st)
		}
		got, err := e.db.WaitlistEntry(context.Background(), id)
		if err != nil || got.Status != waitlist.Invited || got.Invitation == nil || got.Invitation.Status != "pending" {
			t.Fatalf("invited: %+v %v", got, err)
		}
		if _, body, _ := c.get("/dashboard/waitlist"); !strings.Contains(body, "<td>invited</td>") {
			t.Fatal("not shown invited")
		}
		if st, _ := post("/dashboard/waitlist/"+id+"/reject", url.Values{}); st != 303 {
			t.Fatalf("reject: %d", st)
		}
		if _, body, _ := c.get("/dashboard/waitlist"); !strings.Contains(body, "<td>rejected</td>") {
			t.Fatal("not shown rejected")
		}
		if st, _ := post("/dashboard/waitlist/"+id+"/delete", url.Values{}); st != 303 {
			t.Fatalf("delete: %d", st)
		}
		if _, body, _ := c.get("/dashboard/waitlist"); !strings.Contains(body, "The waitlist is empty.") {
			t.Fatal("still listed")
		}
		for _, action := range []string{"invite", "reject", "delete"} {
			if st, _ := post("/dashboard/waitlist/"+id+"/"+action, url.Values{}); st != 404 {
				t.Fatalf("%s an unknown entry: %d", action, st)
			}
		}
		if st, _, _ := c.post("/dashboard/waitlist", url.Values{"email_address": {"x@example.com"}}); st != 403 {
			t.Fatalf("without CSRF: %d", st)
		}
	})
}
