package frontendapi

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Organization invitations as clerk-js manages them: a member holding
// org:sys_memberships:manage invites and revokes; the invited user sees
// their pending invitations and accepts one.

// orgInvitationJSON is the Frontend API's invitation. To the invitee it
// carries the organization's public data (clerk-js's
// UserOrganizationInvitation); private metadata is never shown here.
type orgInvitationJSON struct {
	Object                 string          `json:"object"`
	ID                     string          `json:"id"`
	EmailAddress           string          `json:"email_address"`
	OrganizationID         string          `json:"organization_id"`
	PublicOrganizationData *publicOrgData  `json:"public_organization_data,omitempty"`
	PublicMetadata         json.RawMessage `json:"public_metadata"`
	Status                 string          `json:"status"`
	Role                   string          `json:"role"`
	RoleName               string          `json:"role_name"`
	CreatedAt              int64           `json:"created_at"`
	UpdatedAt              int64           `json:"updated_at"`
}

type publicOrgData struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url"`
	HasImage bool   `json:"has_image"`
}

func (a *API) orgInvitationOut(set *organization.RoleSet, inv *organization.Invitation, o *organization.Organization) orgInvitationJSON {
	out := orgInvitationJSON{Object: "organization_invitation", ID: inv.ID, EmailAddress: inv.EmailAddress,
		OrganizationID: inv.OrganizationID, PublicMetadata: inv.PublicMetadata, Status: inv.StatusAt(a.Organizations.Now().UnixMilli()),
		Role: inv.Role, RoleName: set.RoleName(inv.Role), CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	if len(out.PublicMetadata) == 0 {
		out.PublicMetadata = json.RawMessage(`{}`)
	}
	if o != nil {
		oj := a.orgOut(o)
		out.PublicOrganizationData = &publicOrgData{ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: oj.ImageURL, HasImage: oj.HasImage}
	}
	return out
}

// statusParam reads the statuses clerk-js filters by (comma-joined).
func statusParam(v url.Values) []string { return commaList(v, "status") }

func (a *API) listOrgInvitations(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsRead)
	if err != nil {
		return err
	}
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	list, total, err := a.Organizations.Invitations(r.Context(), organization.InvitationQuery{OrganizationID: o.ID,
		Statuses: statusParam(v), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]orgInvitationJSON, len(list))
	for i, inv := range list {
		out[i] = a.orgInvitationOut(a.Organizations.Roles.Cached(), inv, nil)
	}
	// Always {data, total_count}: clerk-js's getInvitations reads it so.
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": total})
}

// invite makes invitations from a member holding the manage permission;
// the inviter is recorded.
func (a *API) invite(r *http.Request, u *user.User, v url.Values) ([]*organization.Invitation, error) {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsManage)
	if err != nil {
		return nil, err
	}
	emails := append(commaList(v, "email_address"), commaList(v, "email_address[]")...)
	if len(emails) == 0 {
		return nil, errs.ParamMissing("email_address")
	}
	ps := make([]organization.InviteParams, len(emails))
	for i := range emails {
		// No redirect_url from here: a member could make our link
		// land anywhere (clerk-js sends none; the Backend API may).
		ps[i] = organization.InviteParams{EmailAddress: &emails[i], Role: opt(v, "role"), InviterUserID: &u.ID}
	}
	invs, _, err := a.Organizations.Invite(r.Context(), o.ID, ps)
	return invs, err
}

func (a *API) createOrgInvitation(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if len(v["email_address"]) > 1 {
		return errs.ParamFormat("email_address", "Invite one address here, or several at …/invitations/bulk.")
	}
	invs, err := a.invite(r, u, v)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgInvitationOut(a.Organizations.Roles.Cached(), invs[0], nil))
}

// bulkOrgInvitations answers the bare array clerk-js expects.
func (a *API) bulkOrgInvitations(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	invs, err := a.invite(r, u, v)
	if err != nil {
		return err
	}
	out := make([]orgInvitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = a.orgInvitationOut(a.Organizations.Roles.Cached(), inv, nil)
	}
	return a.envelope(w, r, clientOf(r).ID, out)
}

func (a *API) revokeOrgInvitation(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsManage)
	if err != nil {
		return err
	}
	inv, _, err := a.Organizations.RevokeInvitation(r.Context(), o.ID, r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgInvitationOut(a.Organizations.Roles.Cached(), inv, nil))
}

// myOrgInvitations lists invitations to the user's verified addresses,
// always as {data, total_count} (clerk-js reads them so).
func (a *API) myOrgInvitations(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	// Verified domains in automatic_invitation mode invite the user
	// when they first look.
	if err := a.Organizations.EnrolByInvitation(r.Context(), u); err != nil {
		return err
	}
	out := []orgInvitationJSON{}
	var total int64
	if emails := organization.VerifiedEmails(u); len(emails) > 0 {
		list, n, err := a.Organizations.Invitations(r.Context(), organization.InvitationQuery{EmailAddresses: emails,
			Statuses: statusParam(v), Limit: limit, Offset: offset})
		if err != nil {
			return err
		}
		ids := make([]string, len(list))
		for i, inv := range list {
			ids[i] = inv.OrganizationID
		}
		orgs, err := a.Organizations.Store.OrganizationsByID(r.Context(), ids)
		if err != nil {
			return err
		}
		for _, inv := range list {
			out = append(out, a.orgInvitationOut(a.Organizations.Roles.Cached(), inv, orgs[inv.OrganizationID]))
		}
		total = n
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": total})
}

func (a *API) acceptMyOrgInvitation(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	inv, err := a.Organizations.AcceptInvitation(r.Context(), u, r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	o, err := a.Organizations.Store.Organization(r.Context(), inv.OrganizationID)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgInvitationOut(a.Organizations.Roles.Cached(), inv, o))
}
