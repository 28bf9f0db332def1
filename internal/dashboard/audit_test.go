package dashboard_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
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
		if len(ops) != 1 || ops[0].Action != audit.OperatorSignedIn {
			t.Fatalf("events before any change but the sign-in: %+v", ops)
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
		if n := len(auditEvents(t, e, audit.Filter{})); n != 2 {
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
		want := []string{audit.SettingsUpdated, audit.APIKeyCreated, audit.ImpersonationStarted, audit.UserBanned, audit.UserCreated,
			audit.OperatorSignedIn}
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
		if n := strings.Count(body, "<tr data-action="); n != 66-50 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, audit.UserCreated) {
			t.Fatalf("second page: %d rows\n%s", n, body)
		}
	})
}

// TestAuditOperatorSignIn: set-up records the first operator making
// itself and signing in, a sign-in records the operator, from the
// client's address and with its user agent; a failed sign-in records
// nothing; a lockout from failed user sign-ins shows on the audit page
// with no user named.
func TestAuditOperatorSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		if st, _, _ := c.post("/dashboard/setup", url.Values{"secret_key": {secretKey}, "email": {"op@example.com"},
			"password": {"operator password 1"}}); st != 303 {
			t.Fatalf("setup: %d", st)
		}
		got := auditEvents(t, e, audit.Filter{})
		if len(got) != 2 || got[0].Action != audit.OperatorSignedIn || got[1].Action != audit.OperatorCreated {
			t.Fatalf("setup: %+v", got)
		}
		opID := got[1].TargetID
		for _, ev := range got {
			if ev.ActorKind != audit.Operator || ev.ActorID != opID || ev.TargetID != opID || ev.IP != "127.0.0.1" || ev.UserAgent == "" {
				t.Fatalf("setup event: %+v", ev)
			}
		}
		if got[0].ActorName != "op@example.com" {
			t.Fatalf("sign-in actor name: %q", got[0].ActorName)
		}

		other := e.client()
		if st, _, _ := other.post("/dashboard/sign-in", url.Values{"email": {"op@example.com"}, "password": {"wrong password 1"}}); st != 422 {
			t.Fatalf("wrong password: %d", st)
		}
		if st, _, _ := other.post("/dashboard/sign-in", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password 1"}}); st != 422 {
			t.Fatalf("unknown operator: %d", st)
		}
		if n := len(auditEvents(t, e, audit.Filter{})); n != 2 {
			t.Fatalf("failed sign-ins wrote %d events", n-2)
		}
		if st, _, _ := other.post("/dashboard/sign-in", url.Values{"email": {"op@example.com"}, "password": {"operator password 1"}}); st != 303 {
			t.Fatalf("sign-in: %d", st)
		}
		got = auditEvents(t, e, audit.Filter{ActorID: opID, Action: audit.OperatorSignedIn})
		if len(got) != 2 || got[0].TargetType != "operator" || got[0].ActorName != "op@example.com" || got[0].IP != "127.0.0.1" {
			t.Fatalf("sign-ins: %+v", got)
		}

		// A lockout names no user as its actor; the page says so.
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.User, IP: "192.0.2.7"})
		u, err := e.app.API.Users.Create(context.Background(), userParams("ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.CountFailure(ctx, u.ID, 0, func(x *user.User) { until := int64(1) << 50; x.LockoutUntil = &until }); err != nil {
			t.Fatal(err)
		}
		_, body, _ := c.get("/dashboard/audit?action=" + audit.UserLocked)
		if !strings.Contains(body, "signed-out client") || !strings.Contains(body, "192.0.2.7") || strings.Contains(body, `?actor_id="`) {
			t.Fatalf("lockout on the page:\n%s", body)
		}
	})
}

// TestAuditWebhookDashboard: an operator's test event and replay are
// recorded as theirs.
func TestAuditWebhookDashboard(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		if err := e.app.Settings.Set(ctx, instance.WebhookAllowPrivate, "true"); err != nil {
			t.Fatal(err)
		}
		post := e.client().operator("op@example.com")
		if st, _ := post("/dashboard/webhooks", url.Values{"url": {"http://127.0.0.1:9/hook"}}); st != 303 {
			t.Fatalf("add: %d", st)
		}
		eps, _ := e.app.API.Webhooks.List(ctx)
		if len(eps) != 1 {
			t.Fatalf("endpoints: %+v", eps)
		}
		if st, _ := post("/dashboard/webhooks/"+eps[0].ID+"/test", url.Values{}); st != 303 {
			t.Fatalf("test: %d", st)
		}
		ds, _ := e.app.API.Webhooks.Deliveries(ctx, eps[0].ID, 10)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %+v", ds)
		}
		if st, _ := post("/dashboard/webhook-deliveries/"+ds[0].ID+"/replay", url.Values{}); st != 303 {
			t.Fatalf("replay: %d", st)
		}
		got := auditEvents(t, e, audit.Filter{ActorKind: audit.Operator})
		if len(got) < 2 || got[0].Action != audit.WebhookReplayed || got[0].TargetID != ds[0].EventID ||
			!strings.Contains(string(got[0].Detail), ds[0].ID) || got[1].Action != audit.WebhookTested ||
			got[1].TargetID != eps[0].ID || got[0].ActorName != "op@example.com" || got[1].IP != "127.0.0.1" {
			t.Fatalf("events: %+v", got)
		}
	})
}
