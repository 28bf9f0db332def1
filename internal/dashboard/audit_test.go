package dashboard_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/user"
)

func auditEvents(t *testing.T, e *env, f audit.Filter) []*audit.Event {
	t.Helper()
	list, err := e.db.AuditEvents(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAuditDashboard: an operator's changes are recorded as theirs —
// a user created and banned, "Sign in as this user" (impersonation.started,
// beside the server log's line), a setting (only what changed), an API
// key; a refused change records nothing; the audit page lists them newest
// first, filters by target, actor and action, pages with a cursor, and a
// user's page links to the user's entries.
func TestAuditDashboard(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		ops := auditEvents(t, e, audit.Filter{})
		if len(ops) != 0 {
			t.Fatalf("events before any change: %+v", ops)
		}

		if st, _ := post("/dashboard/users", url.Values{"email_address": {"ada@example.com"}}); st != 303 {
			t.Fatalf("create user: %d", st)
		}
		list, err := e.app.API.Users.List(ctx, user.Query{Limit: 1})
		if err != nil || len(list) != 1 {
			t.Fatalf("users: %v %v", list, err)
		}
		uid := list[0].ID
		created := auditEvents(t, e, audit.Filter{TargetID: uid})
		if len(created) != 1 || created[0].ActorKind != audit.Operator || !strings.HasPrefix(created[0].ActorID, "op_") ||
			created[0].ActorName != "op@example.com" || created[0].Action != audit.UserCreated || created[0].IP != "127.0.0.1" {
			t.Fatalf("create: %+v", created)
		}
		opID := created[0].ActorID

		// Refused: the address is taken. Nothing is recorded.
		if st, _ := post("/dashboard/users", url.Values{"email_address": {"ada@example.com"}}); st != 422 {
			t.Fatalf("duplicate: %d", st)
		}
		if n := len(auditEvents(t, e, audit.Filter{})); n != 1 {
			t.Fatalf("a refused change wrote events: %d", n)
		}

		for _, p := range []string{"/dashboard/users/" + uid + "/ban", "/dashboard/users/" + uid + "/impersonate",
			"/dashboard/api-keys"} {
			if st, body := post(p, url.Values{}); st != 303 && st != 200 {
				t.Fatalf("%s: %d %s", p, st, body)
			}
		}
		if st, _ := post("/dashboard/settings", url.Values{"sign_up_mode": {"restricted"}, "application_name": {"Concierge"}}); st != 303 {
			t.Fatalf("settings: %d", st)
		}
		all := auditEvents(t, e, audit.Filter{ActorID: opID})
		var actions []string
		for _, ev := range all {
			actions = append(actions, ev.Action)
		}
		want := []string{audit.SettingsUpdated, audit.APIKeyCreated, audit.ImpersonationStarted, audit.UserBanned, audit.UserCreated}
		if strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Fatalf("actions %v, want %v", actions, want)
		}
		if all[0].TargetID != "sign_up_mode" || !strings.Contains(string(all[0].Detail), `"restricted"`) {
			t.Fatalf("settings event: %+v %s", all[0], all[0].Detail)
		}
		imp := all[2]
		if imp.TargetType != "user" || imp.TargetID != uid || !strings.Contains(string(imp.Detail), opID) ||
			!strings.Contains(e.logs.String(), "operator impersonation") {
			t.Fatalf("impersonation: %+v %s", imp, imp.Detail)
		}

		// The page: newest first, with the operator and the links.
		st, body, _ := c.get("/dashboard/audit")
		if st != 200 || !strings.Contains(body, "op@example.com") || strings.Index(body, audit.SettingsUpdated) > strings.Index(body, audit.UserCreated) ||
			!strings.Contains(body, `href="/dashboard/users/`+uid+`"`) || !strings.Contains(body, `aria-current="page">Audit log`) {
			t.Fatalf("audit page: %d\n%s", st, body)
		}
		// Filtered by target: the user's own entries, linked from its page.
		if _, page, _ := c.get("/dashboard/users/" + uid); !strings.Contains(page, `href="/dashboard/audit?target_id=`+uid+`"`) {
			t.Fatal("the user's page does not link to its audit entries")
		}
		_, body, _ = c.get("/dashboard/audit?target_id=" + uid)
		if !strings.Contains(body, audit.UserBanned) || strings.Contains(body, audit.APIKeyCreated) {
			t.Fatalf("by target:\n%s", body)
		}
		_, body, _ = c.get("/dashboard/audit?action=" + audit.APIKeyCreated)
		if !strings.Contains(body, `data-action="api_key.created"`) || strings.Contains(body, `data-action="user.banned"`) {
			t.Fatalf("by action:\n%s", body)
		}
		_, body, _ = c.get("/dashboard/audit?actor_kind=api_key")
		if !strings.Contains(body, "No events match") {
			t.Fatalf("by actor kind:\n%s", body)
		}

		// Paging: 60 more events, 50 a page, then the rest.
		actx := audit.WithActor(ctx, audit.Actor{Kind: audit.System, ID: "test"})
		for i := range 60 {
			if _, err := e.app.Dashboard.Blocklist.Create(actx, fmt.Sprintf("spam%d@example.net", i)); err != nil {
				t.Fatal(err)
			}
		}
		_, body, _ = c.get("/dashboard/audit")
		older := ""
		if i := strings.Index(body, `" rel="next"`); i > 0 {
			older = body[strings.LastIndex(body[:i], `href="`)+len(`href="`) : i]
		}
		if n := strings.Count(body, "<tr data-action="); n != 50 || !strings.Contains(older, "before=") {
			t.Fatalf("first page: %d rows, next %q", n, older)
		}
		_, body, _ = c.get(strings.ReplaceAll(older, "&amp;", "&"))
		if n := strings.Count(body, "<tr data-action="); n != 65-50 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, audit.UserCreated) {
			t.Fatalf("second page: %d rows\n%s", n, body)
		}
	})
}
