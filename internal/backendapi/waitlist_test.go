package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/waitlistentry"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// entryDo calls a waitlist route clerk-sdk-go lacks and decodes the entry.
func (e *env) entryDo(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	st, out := e.do(method, path, body)
	if st != want {
		t.Fatalf("%s %s: %d %s", method, path, st, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s %s: %v %s", method, path, err, out)
	}
	return m
}

// TestWaitlistEntries: clerk-sdk-go creates (twice: the same entry) and
// lists entries with filters and orders; invite makes and emails an
// invitation the entry carries; reject revokes it; delete removes the
// entry; bad input and unknown IDs answer Clerk's errors; concurrent
// joins of one address leave one entry.
func TestWaitlistEntries(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail))
		ctx := context.Background()
		wl := waitlistentry.NewClient(e.sdkConfig())

		ada, err := wl.Create(ctx, &waitlistentry.CreateParams{EmailAddress: " Ada@Example.com ", Notify: clerk.Bool(true)})
		if err != nil || ada.Object != "waitlist_entry" || !strings.HasPrefix(ada.ID, "wle_") || ada.EmailAddress != "ada@example.com" ||
			ada.Status != "pending" || ada.Invitation != nil || ada.CreatedAt == 0 {
			t.Fatalf("create: %+v %v", ada, err)
		}
		if m := mail.Wait(1, 10e9)[0]; m.To[0] != "ada@example.com" || !strings.Contains(m.Header.Get("Subject"), "waitlist") {
			t.Fatalf("confirmation: %v %q", m.To, m.Header.Get("Subject"))
		}
		again, err := wl.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "ada@example.com"})
		if err != nil || again.ID != ada.ID {
			t.Fatalf("joining twice: %+v %v", again, err)
		}
		st, body := e.do("POST", "/v1/waitlist_entries/bulk", []map[string]any{
			{"email_address": "bob@example.com", "notify": false}, {"email_address": "ada@example.com", "notify": false},
			{"email_address": "cy@example.org", "notify": false}})
		var bulk []map[string]any
		if json.Unmarshal(body, &bulk); st != 200 || len(bulk) != 3 || bulk[1]["id"] != ada.ID || bulk[0]["status"] != "pending" {
			t.Fatalf("bulk: %d %s", st, body)
		}

		list, err := wl.List(ctx, &waitlistentry.ListParams{})
		if err != nil || list.TotalCount != 3 || list.WaitlistEntries[0].EmailAddress != "cy@example.org" {
			t.Fatalf("list: %+v %v", list, err)
		}
		list, err = wl.List(ctx, &waitlistentry.ListParams{OrderBy: clerk.String("email_address"),
			ListParams: clerk.ListParams{Limit: clerk.Int64(2), Offset: clerk.Int64(1)}})
		if err != nil || list.TotalCount != 3 || len(list.WaitlistEntries) != 2 || list.WaitlistEntries[0].EmailAddress != "bob@example.com" {
			t.Fatalf("ordered page: %+v %v", list, err)
		}
		list, err = wl.List(ctx, &waitlistentry.ListParams{Query: clerk.String("example.com")})
		if err != nil || list.TotalCount != 2 {
			t.Fatalf("query: %+v %v", list, err)
		}

		// Invite: the entry carries a pending invitation with its link,
		// emailed to the address.
		inv := e.entryDo(t, "POST", "/v1/waitlist_entries/"+ada.ID+"/invite", map[string]any{}, 200)
		invitation, _ := inv["invitation"].(map[string]any)
		if inv["status"] != "invited" || invitation == nil || invitation["status"] != "pending" ||
			!strings.HasPrefix(invitation["id"].(string), "inv_") || !strings.Contains(invitation["url"].(string), "ticket=") {
			t.Fatalf("invite: %v", inv)
		}
		if m := mail.Wait(2, 10e9)[1]; m.To[0] != "ada@example.com" || !strings.Contains(m.Text, "/v1/tickets/accept?ticket=") {
			t.Fatalf("invitation email: %v %q", m.To, m.Text)
		}
		// A second invitation while one is pending is the invitations'
		// duplicate, unless ignore_existing replaces it.
		e.fails(t, "POST", "/v1/waitlist_entries/"+ada.ID+"/invite", nil, 400, "duplicate_record")
		re := e.entryDo(t, "POST", "/v1/waitlist_entries/"+ada.ID+"/invite", map[string]any{"ignore_existing": true}, 200)
		if re["invitation"].(map[string]any)["id"] == invitation["id"] {
			t.Fatalf("ignore_existing kept the old invitation: %v", re)
		}
		list, err = wl.List(ctx, &waitlistentry.ListParams{Statuses: []string{"invited"}})
		if err != nil || list.TotalCount != 1 || list.WaitlistEntries[0].Invitation == nil ||
			list.WaitlistEntries[0].Invitation.ID != re["invitation"].(map[string]any)["id"] {
			t.Fatalf("status=invited: %+v %v", list, err)
		}

		// Reject: the pending invitation is revoked.
		rej := e.entryDo(t, "POST", "/v1/waitlist_entries/"+ada.ID+"/reject", nil, 200)
		if rej["status"] != "rejected" || rej["invitation"].(map[string]any)["status"] != "revoked" {
			t.Fatalf("reject: %v", rej)
		}
		bobID := bulk[0]["id"].(string)
		if r := e.entryDo(t, "POST", "/v1/waitlist_entries/"+bobID+"/reject", nil, 200); r["status"] != "rejected" || r["invitation"] != nil {
			t.Fatalf("reject pending: %v", r)
		}
		list, _ = wl.List(ctx, &waitlistentry.ListParams{Statuses: []string{"rejected", "pending"}})
		if list.TotalCount != 3 {
			t.Fatalf("status=rejected,pending: %+v", list)
		}

		// Delete.
		del := e.entryDo(t, "DELETE", "/v1/waitlist_entries/"+bobID, nil, 200)
		if del["deleted"] != true || del["id"] != bobID || del["object"] != "waitlist_entry" {
			t.Fatalf("delete: %v", del)
		}

		// Bad input and unknown IDs.
		_, err = wl.Create(ctx, &waitlistentry.CreateParams{})
		apiErr(t, err, 422, "form_param_format_invalid")
		e.fails(t, "POST", "/v1/waitlist_entries", map[string]any{}, 422, "form_param_missing")
		e.fails(t, "POST", "/v1/waitlist_entries", "not an object", 400, "request_body_invalid")
		e.fails(t, "POST", "/v1/waitlist_entries/bulk", []any{}, 422, "form_param_missing")
		e.fails(t, "POST", "/v1/waitlist_entries/bulk", []map[string]any{{"email_address": "nope"}}, 422, "form_param_format_invalid")
		_, err = wl.List(ctx, &waitlistentry.ListParams{Statuses: []string{"nope"}})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = wl.List(ctx, &waitlistentry.ListParams{OrderBy: clerk.String("-id")})
		apiErr(t, err, 422, "form_param_value_invalid")
		for _, p := range []string{"/invite", "/reject", ""} {
			method := "POST"
			if p == "" {
				method = "DELETE"
			}
			e.fails(t, method, "/v1/waitlist_entries/"+bobID+p, nil, 404, "resource_not_found")
		}
		e.fails(t, "GET", "/v1/waitlist_entries/"+ada.ID, nil, 405, "method_not_allowed")

		// Racing joins of one address: one entry, every answer naming it.
		var wg sync.WaitGroup
		ids := make([]string, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got, err := wl.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "race@example.com", Notify: clerk.Bool(false)}); err == nil {
					ids[i] = got.ID
				}
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id == "" || id != ids[0] {
				t.Fatalf("racing joins: %v", ids)
			}
		}
		if list, _ := wl.List(ctx, &waitlistentry.ListParams{Query: clerk.String("race@")}); list.TotalCount != 1 {
			t.Fatalf("racing joins left %d entries", list.TotalCount)
		}
	})
}

// fails asserts a raw call answers Clerk's error envelope.
func (e *env) fails(t *testing.T, method, path string, body any, status int, code string) {
	t.Helper()
	st, out := e.do(method, path, body)
	envelope(t, st, out, status, code)
}

// TestWaitlistSignUp: in waitlist mode the environment says so, a
// sign-up without an invitation is refused with 403
// sign_up_restricted_waitlist, POST /v1/waitlist joins (twice: the same
// entry), and once the operator invites the entry its address signs up
// with the ticket; the entry then reads completed. Outside waitlist mode
// the Frontend API takes no entries.
func TestWaitlistSignUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withSettings(map[string]string{instance.SignUpMode: "waitlist"}))
		e.app.Frontend.SignUpLimit = nil
		ctx := context.Background()
		b := e.browser()
		if get(b.ok("GET", "/v1/environment", nil), "user_settings", "sign_up", "mode") != "waitlist" {
			t.Fatal("environment does not say waitlist")
		}
		b.fails("POST", "/v1/client/sign_ups", url.Values{"email_address": {"grace@example.com"}, "password": {pw}}, 403, "sign_up_restricted_waitlist")

		out := b.ok("POST", "/v1/waitlist", url.Values{"email_address": {"Grace@Example.com"}})
		id, _ := get(out, "response", "id").(string)
		if !strings.HasPrefix(id, "wle_") || get(out, "response", "object") != "waitlist_entry" ||
			get(out, "response", "status") != "pending" || get(out, "response", "email_address") != "grace@example.com" {
			t.Fatalf("join: %v", out)
		}
		if again := b.ok("POST", "/v1/waitlist", url.Values{"email_address": {"grace@example.com"}}); get(again, "response", "id") != id {
			t.Fatalf("joining twice: %v", again)
		}
		b.fails("POST", "/v1/waitlist", url.Values{}, 422, "form_param_missing")
		b.fails("POST", "/v1/waitlist", url.Values{"email_address": {"not-an-address"}}, 422, "form_param_format_invalid")
		b.fails("GET", "/v1/waitlist", nil, 405, "method_not_allowed")

		inv := e.entryDo(t, "POST", "/v1/waitlist_entries/"+id+"/invite", nil, 200)
		// The Frontend API never shows the invitation (its link is a
		// credential): joining again answers the entry without it.
		if again := b.ok("POST", "/v1/waitlist", url.Values{"email_address": {"grace@example.com"}}); get(again, "response", "invitation") != nil ||
			get(again, "response", "status") != "invited" {
			t.Fatalf("join after invite: %v", again)
		}
		link, _ := url.Parse(inv["invitation"].(map[string]any)["url"].(string))
		ticket := link.Query().Get("ticket")
		out = e.browser().ok("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {ticket}, "password": {pw}})
		if get(out, "response", "status") != "complete" || get(out, "response", "email_address") != "grace@example.com" {
			t.Fatalf("ticket sign-up: %v", out)
		}
		wl := waitlistentry.NewClient(e.sdkConfig())
		list, err := wl.List(ctx, &waitlistentry.ListParams{Statuses: []string{"completed"}})
		if err != nil || list.TotalCount != 1 || list.WaitlistEntries[0].ID != id || list.WaitlistEntries[0].Invitation.Status != "accepted" {
			t.Fatalf("completed: %+v %v", list, err)
		}
		e.fails(t, "POST", "/v1/waitlist_entries/"+id+"/reject", nil, 400, "waitlist_entry_already_completed")

		// Public mode: no waitlist on the Frontend API.
		pub := newEnv(t, engine, withOrigins(appOrigin))
		pub.browser().fails("POST", "/v1/waitlist", url.Values{"email_address": {"x@example.com"}}, 403, "not_allowed_access")
	})
}
