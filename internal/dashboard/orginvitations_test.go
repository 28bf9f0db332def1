package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/organization"
)

// TestOrganizationInvitations walks the organization page's invitations
// over HTTP: invite (the email queued), the rules' refusals shown in the
// section with what was typed, revoke; each change read back through
// the service.
func TestOrganizationInvitations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		ada, err := e.app.API.Users.Create(ctx, userParams("ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		o := mustCreateOrg(t, e, "Acme", ada.ID)
		page := "/dashboard/organizations/" + o.ID

		_, body, _ := c.get(page)
		if !strings.Contains(body, "0 pending invitation(s)") || !strings.Contains(body, "No pending invitations.") ||
			!strings.Contains(body, `action="`+page+`/invitations"`) {
			t.Fatalf("the empty section: %s", body)
		}

		// A form without the session's token is refused and invites nobody.
		if st, _, _ := c.post(page+"/invitations", url.Values{"email_address": {"eve@example.com"}, "role": {organization.RoleMember}}); st != 403 {
			t.Fatalf("an invitation without a token: %d", st)
		}
		if invs := mustPending(t, e, o.ID); len(invs) != 0 {
			t.Fatalf("a refused form invited: %+v", invs[0])
		}

		st, _ := post(page+"/invitations", url.Values{"email_address": {" Carol@Example.com "}, "role": {organization.RoleAdmin}})
		if st != 303 {
			t.Fatalf("invite carol: %d", st)
		}
		invs := mustPending(t, e, o.ID)
		if len(invs) != 1 || invs[0].EmailAddress != "carol@example.com" || invs[0].Role != organization.RoleAdmin {
			t.Fatalf("after inviting carol: %+v", invs)
		}
		carol := invs[0]
		// The invitation is emailed, its link the ticket landing.
		msgs, err := e.db.MessagesTo(ctx, "carol@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Slug != "organization_invitation" || !strings.Contains(msgs[0].Body, "/v1/tickets/accept?ticket=") {
			t.Fatalf("the invitation email: %+v", msgs)
		}
		_, body, _ = c.get(page)
		if !strings.Contains(body, "1 pending invitation(s)") || !strings.Contains(body, "<td>carol@example.com</td><td>Admin</td>") ||
			!strings.Contains(body, `action="`+page+`/invitations/`+carol.ID+`/revoke"`) || !strings.Contains(body, "/v1/tickets/accept?ticket=") {
			t.Fatalf("the invitations table: %s", body)
		}

		// Refusals, shown in the section with what was typed; nothing
		// changes. Carol's pending invitation and ada fill a limit of 2.
		refused := map[string]struct {
			email, role, want string
		}{
			"a pending invitation": {"carol@example.com", organization.RoleMember, "already pending invitations for the following email addresses: carol@example.com"},
			"a member":             {"ada@example.com", organization.RoleMember, "ada@example.com is already a member of the organization."},
			"not an address":       {"carol", organization.RoleMember, `value="carol"`},
			"an unknown role":      {"dan@example.com", "org:owner", "role must be one of"},
		}
		for name, x := range refused {
			st, body := post(page+"/invitations", url.Values{"email_address": {x.email}, "role": {x.role}})
			if st != 422 || !strings.Contains(body, x.want) || !strings.Contains(body, `id="invitations-error"`) {
				t.Errorf("%s: %d, want 422 with %q in the section", name, st, x.want)
			}
		}
		two := 2
		if _, err := e.app.API.Organizations.Update(ctx, o.ID, organization.UpdateParams{MaxAllowedMemberships: &two}); err != nil {
			t.Fatal(err)
		}
		st, body = post(page+"/invitations", url.Values{"email_address": {"dan@example.com"}, "role": {organization.RoleMember}})
		if st != 422 || !strings.Contains(body, "reached its max_allowed_memberships") || !strings.Contains(body, `value="dan@example.com"`) {
			t.Fatalf("over the member limit: %d", st)
		}
		if invs := mustPending(t, e, o.ID); len(invs) != 1 {
			t.Fatalf("after the refusals: %d pending", len(invs))
		}

		// Revoke: once; then the invitation is no longer pending.
		if st, _ := post(page+"/invitations/"+carol.ID+"/revoke", url.Values{}); st != 303 {
			t.Fatalf("revoke: %d", st)
		}
		inv, _, err := e.app.API.Organizations.Invitation(ctx, o.ID, carol.ID)
		if err != nil || inv.Status != organization.InvitationRevoked {
			t.Fatalf("after revoking: %+v %v", inv, err)
		}
		for path, want := range map[string]string{
			page + "/invitations/" + carol.ID + "/revoke": "Only pending invitations can be revoked",
			page + "/invitations/orginv_nobody/revoke":    "No organization invitation was found",
		} {
			if st, body := post(path, url.Values{}); st != 422 || !strings.Contains(body, want) || !strings.Contains(body, `id="invitations-error"`) {
				t.Errorf("POST %s: %d, want 422 with %q", path, st, want)
			}
		}
		// The freed place takes a new invitation.
		if st, _ := post(page+"/invitations", url.Values{"email_address": {"dan@example.com"}, "role": {organization.RoleMember}}); st != 303 {
			t.Fatalf("invite dan after the revoke: %d", st)
		}
		if invs := mustPending(t, e, o.ID); len(invs) != 1 || invs[0].EmailAddress != "dan@example.com" {
			t.Fatalf("after inviting dan: %+v", invs)
		}
	})
}

func mustCreateOrg(t testing.TB, e *env, name, createdBy string) *organization.Organization {
	t.Helper()
	o, err := e.app.API.Organizations.Create(context.Background(), organization.CreateParams{Name: &name, CreatedBy: &createdBy})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustPending lists an organization's pending invitations.
func mustPending(t testing.TB, e *env, orgID string) []*organization.Invitation {
	t.Helper()
	list, _, err := e.app.API.Organizations.Invitations(context.Background(), organization.InvitationQuery{OrganizationID: orgID,
		Statuses: []string{organization.InvitationPending}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
