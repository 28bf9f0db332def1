package dashboard

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
)

// maxPendingShown bounds the pending invitations an organization page
// lists; the page says how many more there are.
const maxPendingShown = 100

type orgInvitationRow struct {
	ID, Email, Role, RoleName, URL string
	CreatedAt, ExpiresAt           int64
}

// orgInvitations reads the organization's pending invitations into its
// page, newest first.
func (d *Dashboard) orgInvitations(r *http.Request, set *organization.RoleSet, data *orgData) error {
	list, total, err := d.Organizations.Invitations(r.Context(), organization.InvitationQuery{OrganizationID: data.Org.ID,
		Statuses: []string{organization.InvitationPending}, OrderBy: "-created_at", Limit: maxPendingShown})
	if err != nil {
		return err
	}
	data.PendingTotal = total
	for _, inv := range list {
		row := orgInvitationRow{ID: inv.ID, Email: inv.EmailAddress, Role: inv.Role, RoleName: set.RoleName(inv.Role),
			CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
		// The link is the one the email carries, for an operator who
		// hands it over another way; a link that cannot be signed is
		// left out rather than failing the page.
		row.URL, _ = d.Organizations.InvitationURL(inv)
		data.Invitations = append(data.Invitations, row)
	}
	return nil
}

// inviteToOrganization invites one address with a role, emailing the
// invitation as the Backend API does (Notify nil). The rules' refusals
// (a member already, a pending invitation, the member limit, which
// pending invitations count against) are shown in the section.
func (d *Dashboard) inviteToOrganization(w http.ResponseWriter, r *http.Request) error {
	email, role := strings.TrimSpace(r.PostForm.Get("email_address")), r.PostForm.Get("role")
	_, o, err := d.Organizations.Invite(r.Context(), r.PathValue("id"),
		[]organization.InviteParams{{EmailAddress: &email, Role: &role}})
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+o.ID, "sent")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) {
		data.InviteEmail, data.InviteRole, data.InvitationsError = email, role, msg
	})
}

// revokeOrgInvitation revokes a pending invitation: its link stops
// working.
func (d *Dashboard) revokeOrgInvitation(w http.ResponseWriter, r *http.Request) error {
	_, o, err := d.Organizations.RevokeInvitation(r.Context(), r.PathValue("id"), r.PathValue("invitation_id"))
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+o.ID, "revoked")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.InvitationsError = msg })
}
