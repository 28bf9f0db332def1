package dashboard_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestBlocklistPage: an operator blocks an identifier, sees it listed,
// is told of a duplicate or a malformed one, and unblocks it.
func TestBlocklistPage(t *testing.T) {
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
		if st, _ := post("/dashboard/blocklist", url.Values{"identifier": {"*@spam.example"}}); st != 303 {
			t.Fatalf("block: %d", st)
		}
		st, body, _ := c.get("/dashboard/blocklist")
		if st != 200 || !strings.Contains(body, "*@spam.example") || !strings.Contains(body, `aria-current="page">Blocklist`) {
			t.Fatalf("list: %d\n%s", st, body)
		}
		if st, body := post("/dashboard/blocklist", url.Values{"identifier": {"*@spam.example"}}); st != 422 || !strings.Contains(body, "already exists") {
			t.Fatalf("duplicate: %d", st)
		}
		if st, _ := post("/dashboard/blocklist", url.Values{"identifier": {"nonsense"}}); st != 422 {
			t.Fatalf("malformed: %d", st)
		}
		id := between(body, `action="/dashboard/blocklist/`, `/delete"`)
		if st, _ := post("/dashboard/blocklist/"+id+"/delete", url.Values{}); st != 303 {
			t.Fatalf("unblock: %d", st)
		}
		if _, body, _ := c.get("/dashboard/blocklist"); !strings.Contains(body, "The blocklist is empty.") {
			t.Fatal("still listed")
		}
		if st, _, _ := c.post("/dashboard/blocklist", url.Values{"identifier": {"x@example.com"}}); st != 403 {
			t.Fatalf("without CSRF: %d", st)
		}
	})
}
