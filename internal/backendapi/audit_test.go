package backendapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/transfer"
)

// callAs sends a Backend API request with key and a user agent, and
// returns the status and body.
func (e *env) callAs(key, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "audit-test/1.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (e *env) auditEvents(f audit.Filter) []*audit.Event {
	e.t.Helper()
	list, err := e.db.AuditEvents(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// TestAuditBackendAPI: each change through the Backend API writes one
// audit event naming the secret key's record (never the key), with the
// caller's address and user agent; a change that fails, or is rolled
// back after its event was written, leaves none; reads leave none; the
// log lists newest first, filters and pages; an export carries it after
// the users and an import of that export skips it.
func TestAuditBackendAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		key := apikey.Generate()
		rec := apikey.NewKey(key, time.Now())
		if err := e.db.CreateSecretKey(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if n := len(e.auditEvents(audit.Filter{})); n != 0 {
			t.Fatalf("%d events before any request (a key stored without an actor)", n)
		}

		st, body := e.callAs(key, "POST", "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
			"password": "a long enough password 1"})
		if st != 200 {
			t.Fatalf("create: %d %s", st, body)
		}
		var u struct{ ID string }
		json.Unmarshal(body, &u)
		got := e.auditEvents(audit.Filter{TargetID: u.ID})
		if len(got) != 1 {
			t.Fatalf("create wrote %d events: %+v", len(got), got)
		}
		ev := got[0]
		if ev.ActorKind != audit.APIKey || ev.ActorID != rec.ID || ev.ActorName != rec.Hint || ev.Action != audit.UserCreated ||
			ev.TargetType != "user" || ev.IP != "127.0.0.1" || ev.UserAgent != "audit-test/1.0" || ev.CreatedAt == 0 {
			t.Fatalf("event: %+v", ev)
		}

		// Reads are not recorded.
		for _, p := range []string{"/v1/users", "/v1/users/" + u.ID, "/v1/users/count"} {
			if st, _ := e.callAs(key, "GET", p, nil); st != 200 {
				t.Fatalf("GET %s: %d", p, st)
			}
		}
		if n := len(e.auditEvents(audit.Filter{})); n != 1 {
			t.Fatalf("reads wrote events: %d", n)
		}

		// An update names the changed fields, not their values; a ban is
		// user.banned; the configured key acts as "config".
		if st, b := e.callAs(key, "PATCH", "/v1/users/"+u.ID, map[string]any{"first_name": "Ada", "password": "another long password 2"}); st != 200 {
			t.Fatalf("update: %d %s", st, b)
		}
		if st, b := e.callAs(testKey, "POST", "/v1/users/"+u.ID+"/ban", nil); st != 200 {
			t.Fatalf("ban: %d %s", st, b)
		}
		got = e.auditEvents(audit.Filter{TargetID: u.ID})
		if len(got) != 3 || got[0].Action != audit.UserBanned || got[0].ActorID != apikey.ConfigKeyID ||
			got[1].Action != audit.UserUpdated || got[1].ActorID != rec.ID {
			t.Fatalf("events, newest first: %+v", got)
		}
		var detail struct{ Fields []string }
		json.Unmarshal(got[1].Detail, &detail)
		if strings.Join(detail.Fields, ",") != "first_name,password" || strings.Contains(string(got[1].Detail), "Ada") {
			t.Fatalf("update detail: %s", got[1].Detail)
		}

		// Refused changes write nothing; nor does a bulk invitation whose
		// second address fails in the store after the first was written
		// (with its event) in the same transaction.
		before := len(e.auditEvents(audit.Filter{}))
		if st, _ := e.callAs(key, "POST", "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
			"skip_password_requirement": true}); st != 422 {
			t.Fatalf("duplicate create: %d", st)
		}
		if st, _ := e.callAs(key, "DELETE", "/v1/users/user_nosuchuser", nil); st != 404 {
			t.Fatalf("delete missing: %d", st)
		}
		if st, b := e.callAs(key, "POST", "/v1/invitations/bulk", []map[string]any{{"email_address": "grace@example.com"},
			{"email_address": "ada@example.com"}}); st < 400 {
			t.Fatalf("bulk with a taken address: %d %s", st, b)
		}
		if after := e.auditEvents(audit.Filter{}); len(after) != before {
			t.Fatalf("failed changes wrote events: %+v", after[:len(after)-before])
		}
		if st, b := e.callAs(key, "GET", "/v1/invitations", nil); st != 200 || strings.Contains(string(b), "grace@") {
			t.Fatalf("the rolled-back invitation stayed: %s", b)
		}

		// More kinds of change, each one event.
		steps := []struct {
			method, path string
			body         any
			action       string
		}{
			{"POST", "/v1/allowlist_identifiers", map[string]any{"identifier": "*@example.org"}, audit.AllowlistCreated},
			{"POST", "/v1/blocklist_identifiers", map[string]any{"identifier": "spam@example.net"}, audit.BlocklistCreated},
			{"POST", "/v1/invitations", map[string]any{"email_address": "grace@example.com"}, audit.InvitationCreated},
			{"POST", "/v1/organizations", map[string]any{"name": "Acme"}, audit.OrganizationCreated},
			{"POST", "/v1/waitlist_entries", map[string]any{"email_address": "later@example.com"}, audit.WaitlistCreated},
			{"POST", "/v1/email_addresses", map[string]any{"user_id": u.ID, "email_address": "ada@example.org", "verified": true}, audit.IdentifierAdd},
			{"POST", "/v1/jwt_templates", map[string]any{"name": "hasura", "claims": map[string]any{"x": "y"}}, audit.JWTTemplateCreated},
			{"PATCH", "/v1/instance", map[string]any{"support_email": "help@example.com"}, audit.SettingsUpdated},
			{"POST", "/v1/actor_tokens", map[string]any{"user_id": u.ID, "actor": map[string]any{"sub": "user_support"}}, audit.ImpersonationStarted},
			{"DELETE", "/v1/users/" + u.ID, nil, audit.UserDeleted},
		}
		for _, s := range steps {
			n := len(e.auditEvents(audit.Filter{}))
			if st, b := e.callAs(key, s.method, s.path, s.body); st >= 300 {
				t.Fatalf("%s %s: %d %s", s.method, s.path, st, b)
			}
			list := e.auditEvents(audit.Filter{})
			if len(list) != n+1 || list[0].Action != s.action || list[0].ActorID != rec.ID {
				t.Fatalf("%s %s: %d new events, newest %+v", s.method, s.path, len(list)-n, list[0])
			}
		}
		if list := e.auditEvents(audit.Filter{Action: audit.SettingsUpdated}); !strings.Contains(string(list[0].Detail), `"support_email"`) {
			t.Fatalf("settings detail: %s", list[0].Detail)
		}
		if list := e.auditEvents(audit.Filter{Action: audit.ImpersonationStarted}); list[0].TargetID != u.ID ||
			!strings.Contains(string(list[0].Detail), "user_support") {
			t.Fatalf("impersonation: %+v", list[0])
		}

		// No stored field holds the secret key.
		all := e.auditEvents(audit.Filter{})
		raw, _ := json.Marshal(all)
		if bytes.Contains(raw, []byte(key)) || bytes.Contains(raw, []byte(testKey)) {
			t.Fatal("a secret key reached the audit log")
		}

		// Filters and the cursor.
		if byActor := e.auditEvents(audit.Filter{ActorID: apikey.ConfigKeyID}); len(byActor) != 1 || byActor[0].Action != audit.UserBanned {
			t.Fatalf("by actor: %+v", byActor)
		}
		if byKind := e.auditEvents(audit.Filter{ActorKind: audit.Operator}); len(byKind) != 0 {
			t.Fatalf("operator events: %+v", byKind)
		}
		var paged []*audit.Event
		for before := int64(0); ; {
			page := e.auditEvents(audit.Filter{Before: before, Limit: 3})
			paged = append(paged, page...)
			if len(page) < 3 {
				break
			}
			before = page[len(page)-1].Seq
		}
		if len(paged) != len(all) {
			t.Fatalf("paging gave %d events of %d", len(paged), len(all))
		}
		for i := 1; i < len(paged); i++ {
			if paged[i].Seq >= paged[i-1].Seq {
				t.Fatal("not newest first")
			}
		}

		// The export: users, then the audit log oldest first; an import of
		// the file reads the users only.
		var out bytes.Buffer
		exp := &transfer.Exporter{Store: e.db, Audit: e.db}
		n, err := exp.Export(ctx, &out, transfer.FormatJSONL, nil)
		if err != nil || exp.Audited != int64(len(all)) {
			t.Fatalf("export: %d users, %d events of %d: %v", n, exp.Audited, len(all), err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var last transfer.AuditLine
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Object != transfer.AuditObject ||
			last.Action != audit.UserDeleted || last.ActorID != rec.ID || last.Seq != all[0].Seq {
			t.Fatalf("last export line: %s", lines[len(lines)-1])
		}
		path := filepath.Join(t.TempDir(), "export.jsonl")
		os.WriteFile(path, out.Bytes(), 0o600)
		f, err := transfer.OpenFile(path, "")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var items int64
		for {
			it, err := f.Next()
			if err != nil {
				break
			}
			if it.Err != nil {
				t.Fatalf("record %d: %v", it.Seq, it.Err)
			}
			items++
		}
		if items != n {
			t.Fatalf("the import reads %d records of %d users", items, n)
		}
	})
}

// TestAuditProfileAndRetention: a signed-in user's own profile change
// through the Frontend API is recorded as the user's; signing in records
// the session alone, and using it (tokens) records nothing; the janitor
// purges events older than the retention and keeps younger ones.
func TestAuditProfileAndRetention(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit = nil, nil
		uid := e.userWithPassword("ada@example.com")
		n := len(e.auditEvents(audit.Filter{}))
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{})
		if got := e.auditEvents(audit.Filter{}); len(got) != n+1 || got[0].Action != audit.SessionCreated || got[0].ActorID != uid {
			t.Fatalf("signing in wrote events: %+v", got[:len(got)-n])
		}
		b.ok("PATCH", "/v1/me", url.Values{"first_name": {"Ada"}})
		got := e.auditEvents(audit.Filter{ActorID: uid, Action: audit.UserUpdated})
		if len(got) != 1 || got[0].ActorKind != audit.User || got[0].Action != audit.UserUpdated || got[0].TargetID != uid ||
			!strings.Contains(string(got[0].Detail), "first_name") {
			t.Fatalf("profile change: %+v", got)
		}
		b.ok("POST", "/v1/client/sessions/"+sid+"/end", url.Values{})

		// Retention: the janitor's clock moves, the events' times stay.
		all := len(e.auditEvents(audit.Filter{}))
		e.app.Janitor.Policy.Audit = 10 * 24 * time.Hour
		e.clock.Set(9 * 24 * time.Hour)
		if purged, _, err := e.app.Janitor.RunOnce(ctx); err != nil || purged["audit_events"] != 0 {
			t.Fatalf("within the retention: %v %v", purged, err)
		}
		e.clock.Set(11 * 24 * time.Hour)
		purged, ran, err := e.app.Janitor.RunOnce(ctx)
		if err != nil || !ran || purged["audit_events"] != int64(all) || len(e.auditEvents(audit.Filter{})) != 0 {
			t.Fatalf("past the retention: purged %v of %d, %v", purged, all, err)
		}
	})
}
