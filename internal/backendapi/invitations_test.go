package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
)

// ticketOf returns the ticket in an invitation link.
func ticketOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/v1/tickets/accept" || u.Query().Get("ticket") == "" {
		t.Fatalf("invitation url %q is not a ticket link", link)
	}
	return u.Query().Get("ticket")
}

// verifyCode runs the sign-up's ticket check and returns its error code.
func (e *env) verifyCode(ticket string) string {
	e.t.Helper()
	_, err := e.app.API.Invitations.Verify(context.Background(), ticket)
	if err == nil {
		return ""
	}
	ce, ok := errs.As(err)
	if !ok {
		e.t.Fatalf("verify: %v", err)
	}
	return ce.Code
}

// TestInvitationsThroughClerkSDK drives create, bulk create, list and
// revoke through clerk-sdk-go v2, with their error paths.
func TestInvitationsThroughClerkSDK(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		meta := json.RawMessage(`{"plan":"pro","seats":3}`)
		inv, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: " Ada@Example.com ",
			PublicMetadata: &meta, RedirectURL: ptr("https://app.example.com/welcome"), Notify: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Object != "invitation" || !strings.HasPrefix(inv.ID, "inv_") || inv.EmailAddress != "ada@example.com" ||
			inv.Status != "pending" || inv.Revoked || string(inv.PublicMetadata) != `{"plan":"pro","seats":3}` ||
			inv.ExpiresAt == nil || inv.CreatedAt == 0 || inv.UpdatedAt != inv.CreatedAt {
			t.Fatalf("created: %+v", inv)
		}
		if days := time.Duration(*inv.ExpiresAt-inv.CreatedAt) * time.Millisecond / (24 * time.Hour); days != 30 {
			t.Fatalf("default expiry is %d days, want 30", days)
		}
		if code := e.verifyCode(ticketOf(t, inv.URL)); code != "" {
			t.Fatalf("fresh ticket refused: %s", code)
		}

		// A second pending invitation to the address is a duplicate.
		_, err = e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com", Notify: ptr(false)})
		apiErr(t, err, http.StatusBadRequest, "duplicate_record")
		// An address that belongs to a user is refused unless ignore_existing.
		if _, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"grace@example.com"}, SkipPasswordRequirement: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com", Notify: ptr(false)})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
		if _, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com", Notify: ptr(false), IgnoreExisting: ptr(true)}); err != nil {
			t.Fatalf("ignore_existing for a user's address: %v", err)
		}
		// ignore_existing replaces the pending invitation: the old link dies.
		again, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com", Notify: ptr(false),
			IgnoreExisting: ptr(true), ExpiresInDays: ptr(int64(7))})
		if err != nil || again.ID == inv.ID {
			t.Fatalf("ignore_existing: %v %+v", err, again)
		}
		if code := e.verifyCode(ticketOf(t, inv.URL)); code != "revoked_invitation" {
			t.Fatalf("replaced invitation's ticket: %q, want revoked_invitation", code)
		}
		if days := time.Duration(*again.ExpiresAt-again.CreatedAt) * time.Millisecond / (24 * time.Hour); days != 7 {
			t.Fatalf("expires_in_days 7 gave %d days", days)
		}

		// Validation.
		for _, c := range []struct {
			p    invitation.CreateParams
			code string
		}{
			{invitation.CreateParams{EmailAddress: "not-an-email"}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: ""}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: "x@example.com", ExpiresInDays: ptr(int64(0))}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: "x@example.com", ExpiresInDays: ptr(int64(366))}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: "x@example.com", RedirectURL: ptr("javascript:alert(1)")}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: "x@example.com", PublicMetadata: raw(`[1]`)}, "form_param_format_invalid"},
			{invitation.CreateParams{EmailAddress: "x@example.com", TemplateSlug: ptr("nope")}, "form_param_value_invalid"},
		} {
			_, err := e.invitations.Create(ctx, &c.p)
			apiErr(t, err, http.StatusUnprocessableEntity, c.code)
		}
		st, body := e.do("POST", "/v1/invitations", `{}`)
		envelope(t, st, body, 422, "form_param_missing")
		st, body = e.do("POST", "/v1/invitations", `{"email_address": 5}`)
		envelope(t, st, body, 422, "form_param_format_invalid")

		// Bulk: all or none.
		bulk, err := e.invitations.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
			{EmailAddress: "b1@example.com", Notify: ptr(false)}, {EmailAddress: "b2@example.com", Notify: ptr(false)},
		}})
		if err != nil || len(bulk.Invitations) != 2 || bulk.Invitations[1].EmailAddress != "b2@example.com" || bulk.Invitations[0].URL == "" {
			t.Fatalf("bulk: %v %+v", err, bulk)
		}
		_, err = e.invitations.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
			{EmailAddress: "b3@example.com", Notify: ptr(false)}, {EmailAddress: "b1@example.com", Notify: ptr(false)},
		}})
		apiErr(t, err, http.StatusBadRequest, "duplicate_record")
		list, err := e.invitations.List(ctx, &invitation.ListParams{Query: ptr("b3@")})
		if err != nil || list.TotalCount != 0 {
			t.Fatalf("a failed bulk request stored something: %v %+v", err, list)
		}
		st, body = e.do("POST", "/v1/invitations/bulk", `[]`)
		envelope(t, st, body, 422, "form_param_missing")
		st, body = e.do("POST", "/v1/invitations/bulk", `{"email_address":"x@example.com"}`)
		envelope(t, st, body, 400, "request_body_invalid")

		// Revoke.
		rev, err := e.invitations.Revoke(ctx, again.ID)
		if err != nil || !rev.Revoked || rev.Status != "revoked" || rev.URL != "" {
			t.Fatalf("revoke: %v %+v", err, rev)
		}
		if code := e.verifyCode(ticketOf(t, again.URL)); code != "revoked_invitation" {
			t.Fatalf("revoked invitation's ticket: %q", code)
		}
		_, err = e.invitations.Revoke(ctx, again.ID)
		apiErr(t, err, http.StatusBadRequest, "invitation_already_revoked")
		_, err = e.invitations.Revoke(ctx, "inv_nope")
		apiErr(t, err, http.StatusNotFound, "resource_not_found")

		// DELETE erases an invitation and its stored emails; its link dies.
		gone, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "erase@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		st, body = e.do("DELETE", "/v1/invitations/"+gone.ID, nil)
		if st != 200 || string(body) != `{"object":"invitation","id":"`+gone.ID+`","deleted":true}` {
			t.Fatalf("delete: %d %s", st, body)
		}
		if code := e.verifyCode(ticketOf(t, gone.URL)); code != "ticket_invalid_code" {
			t.Fatalf("deleted invitation's ticket: %q", code)
		}
		if msgs, err := e.db.MessagesTo(ctx, "erase@example.com"); err != nil || len(msgs) != 0 {
			t.Fatalf("the invitation email survived the delete: %v %d", err, len(msgs))
		}
		st, body = e.do("DELETE", "/v1/invitations/"+gone.ID, nil)
		envelope(t, st, body, 404, "resource_not_found")

		// Tickets: forged, tampered and foreign ones are refused.
		tampered := ticketOf(t, bulk.Invitations[0].URL)
		tampered = tampered[:len(tampered)-2] + "xx"
		for _, tk := range []string{"", "garbage", tampered} {
			if code := e.verifyCode(tk); code != "ticket_invalid_code" {
				t.Fatalf("ticket %q: %q, want ticket_invalid_code", tk, code)
			}
		}
	})
}

// TestInvitationListing covers the default filter, status filters,
// query, order_by, paging and the expired status.
func TestInvitationListing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		ids := map[string]string{}
		for _, addr := range []string{"carol@example.com", "alice@example.com", "bob@example.org", "dave@example.com"} {
			inv, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: addr, Notify: ptr(false)})
			if err != nil {
				t.Fatal(err)
			}
			ids[addr] = inv.ID
		}
		if _, err := e.invitations.Revoke(ctx, ids["dave@example.com"]); err != nil {
			t.Fatal(err)
		}
		emails := func(l *clerk.InvitationList) string {
			var s []string
			for _, i := range l.Invitations {
				s = append(s, strings.Split(i.EmailAddress, "@")[0]+":"+i.Status)
			}
			return strings.Join(s, ",")
		}
		check := func(p invitation.ListParams, want string, total int64) {
			t.Helper()
			l, err := e.invitations.List(ctx, &p)
			if err != nil || emails(l) != want || l.TotalCount != total {
				t.Fatalf("list %+v: %v, got %q (%d), want %q (%d)", p, err, emails(l), l.TotalCount, want, total)
			}
		}
		// Default: everything but revoked, newest first.
		check(invitation.ListParams{}, "bob:pending,alice:pending,carol:pending", 3)
		check(invitation.ListParams{Statuses: []string{"revoked"}}, "dave:revoked", 1)
		check(invitation.ListParams{Statuses: []string{"revoked", "pending"}, OrderBy: ptr("email_address")},
			"alice:pending,bob:pending,carol:pending,dave:revoked", 4)
		check(invitation.ListParams{Query: ptr("EXAMPLE.COM")}, "alice:pending,carol:pending", 2)
		check(invitation.ListParams{Query: ptr(ids["bob@example.org"])}, "bob:pending", 1)
		check(invitation.ListParams{Query: ptr("%")}, "", 0)
		check(invitation.ListParams{OrderBy: ptr("-email_address"), ListParams: clerk.ListParams{Limit: clerk.Int64(1), Offset: clerk.Int64(1)}},
			"bob:pending", 3)

		// Time passes: the invitations expire.
		e.app.API.Invitations.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
		check(invitation.ListParams{}, "bob:expired,alice:expired,carol:expired", 3)
		check(invitation.ListParams{Statuses: []string{"pending"}}, "", 0)
		check(invitation.ListParams{Statuses: []string{"expired"}, OrderBy: ptr("+created_at")}, "carol:expired,alice:expired,bob:expired", 3)
		// An expired invitation no longer blocks a new one, and its
		// ticket says it expired.
		old, _ := e.invitations.List(ctx, &invitation.ListParams{Query: ptr("alice")})
		if old.Invitations[0].URL != "" {
			t.Fatalf("expired invitation shows its link")
		}
		fresh, err := e.invitations.Create(ctx, &invitation.CreateParams{EmailAddress: "alice@example.com", Notify: ptr(false)})
		if err != nil {
			t.Fatalf("re-inviting after expiry: %v", err)
		}
		check(invitation.ListParams{Query: ptr("alice")}, "alice:pending,alice:expired", 2)
		// The fresh ticket is checked at the shifted clock: valid.
		if code := e.verifyCode(ticketOf(t, fresh.URL)); code != "" {
			t.Fatalf("fresh ticket: %q", code)
		}
		e.app.API.Invitations.Now = func() time.Time { return time.Now().Add(62 * 24 * time.Hour) }
		if code := e.verifyCode(ticketOf(t, fresh.URL)); code != "ticket_expired_code" {
			t.Fatalf("expired ticket: %q", code)
		}

		for _, bad := range []string{"status=maybe", "order_by=name", "order_by=--created_at", "limit=0", "limit=501", "offset=-1", "paginated=perhaps"} {
			st, body := e.do("GET", "/v1/invitations?"+bad, nil)
			envelope(t, st, body, 422, "form_param_value_invalid")
		}
		st, body := e.do("GET", "/v1/invitations", nil)
		var arr []map[string]any
		if st != 200 || json.Unmarshal(body, &arr) != nil {
			t.Fatalf("bare array: %d %s", st, body)
		}
	})
}

// TestInvitationConcurrentCreates: simultaneous invitations to one
// address leave one pending invitation; the others are duplicates.
func TestInvitationConcurrentCreates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		const n = 12
		var wg sync.WaitGroup
		results := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "race@example.com"})
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			if err == nil {
				ok++
			} else {
				apiErr(t, err, http.StatusBadRequest, "duplicate_record")
			}
		}
		l, err := e.invitations.List(context.Background(), &invitation.ListParams{})
		if ok != 1 || err != nil || l.TotalCount != 1 {
			t.Fatalf("%d winners, list %v %+v", ok, err, l)
		}
	})
}
