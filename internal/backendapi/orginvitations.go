package backendapi

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/user"
)

// OrgInvitationJSON is Clerk's organization_invitation object.
type OrgInvitationJSON struct {
	Object                 string          `json:"object"`
	ID                     string          `json:"id"`
	EmailAddress           string          `json:"email_address"`
	Role                   string          `json:"role"`
	RoleName               string          `json:"role_name"`
	OrganizationID         string          `json:"organization_id"`
	PublicOrganizationData *PublicOrgJSON  `json:"public_organization_data,omitempty"`
	Status                 string          `json:"status"`
	URL                    *string         `json:"url"`
	PublicMetadata         json.RawMessage `json:"public_metadata"`
	PrivateMetadata        json.RawMessage `json:"private_metadata"`
	ExpiresAt              int64           `json:"expires_at"`
	CreatedAt              int64           `json:"created_at"`
	UpdatedAt              int64           `json:"updated_at"`
}

// PublicOrgJSON is what an invitee may see of an organization.
type PublicOrgJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url"`
	HasImage bool   `json:"has_image"`
}

// PublicOrg renders an organization's public data.
func PublicOrg(publicURL string, o *organization.Organization) *PublicOrgJSON {
	img := user.PlaceholderImage(publicURL, o.ID)
	if o.ImageURL != nil {
		img = *o.ImageURL
	}
	return &PublicOrgJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: img, HasImage: o.ImageURL != nil}
}

// OrgInvitationObject renders an invitation; link is its URL, shown while
// it is pending ("" for none, as in webhook events).
func OrgInvitationObject(set *organization.RoleSet, inv *organization.Invitation, o *organization.Organization, publicURL, link string, now int64) OrgInvitationJSON {
	out := OrgInvitationJSON{Object: "organization_invitation", ID: inv.ID, EmailAddress: inv.EmailAddress, Role: inv.Role,
		RoleName: set.RoleName(inv.Role), OrganizationID: inv.OrganizationID, Status: inv.StatusAt(now), PublicMetadata: orEmpty(inv.PublicMetadata),
		PrivateMetadata: orEmpty(inv.PrivateMetadata), ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	if o != nil {
		out.PublicOrganizationData = PublicOrg(publicURL, o)
	}
	if link != "" && out.Status == organization.InvitationPending {
		out.URL = &link
	}
	return out
}

func (a *API) orgInvitationOut(r *http.Request, inv *organization.Invitation, o *organization.Organization, now int64) (OrgInvitationJSON, error) {
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return OrgInvitationJSON{}, err
	}
	link := ""
	if inv.StatusAt(now) == organization.InvitationPending {
		var err error
		if link, err = a.Organizations.InvitationURL(inv); err != nil {
			return OrgInvitationJSON{}, err
		}
	}
	return OrgInvitationObject(set, inv, o, a.PublicURL, link, now), nil
}

// orgInvitationsOut renders a page, reading its organizations at once.
func (a *API) orgInvitationsOut(r *http.Request, list []*organization.Invitation) ([]OrgInvitationJSON, error) {
	ids := make([]string, 0, len(list))
	for _, inv := range list {
		ids = append(ids, inv.OrganizationID)
	}
	orgs, err := a.Organizations.Store.OrganizationsByID(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	now := a.Organizations.Now().UnixMilli()
	out := make([]OrgInvitationJSON, 0, len(list))
	for _, inv := range list {
		j, err := a.orgInvitationOut(r, inv, orgs[inv.OrganizationID], now)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// invitationQuery reads the paging, statuses and order of the lists.
func invitationQuery(v url.Values) (organization.InvitationQuery, error) {
	var q organization.InvitationQuery
	var err error
	if q.Limit, q.Offset, err = limitOffset(v); err != nil {
		return q, err
	}
	if q.Statuses, err = values(v, "status"); err != nil {
		return q, err
	}
	if e := v.Get("email_address"); e != "" {
		q.EmailAddresses = []string{e}
	}
	if q.Query = v.Get("query"); len(q.Query) > maxQueryLen {
		return q, errs.ParamFormat("query", "query must be at most 256 characters.")
	}
	q.OrderBy, err = orderParam(v, "created_at", "email_address")
	return q, err
}

func (a *API) respondOrgInvitations(w http.ResponseWriter, r *http.Request, q organization.InvitationQuery) error {
	list, total, err := a.Organizations.Invitations(r.Context(), q)
	if err != nil {
		return err
	}
	out, err := a.orgInvitationsOut(r, list)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) listOrgInvitations(w http.ResponseWriter, r *http.Request) error {
	q, err := invitationQuery(r.URL.Query())
	if err != nil {
		return err
	}
	o, err := a.Organizations.Store.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	q.OrganizationID = o.ID
	return a.respondOrgInvitations(w, r, q)
}

// listPendingOrgInvitations is the deprecated …/invitations/pending.
func (a *API) listPendingOrgInvitations(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	v.Del("status")
	v.Set("status", organization.InvitationPending)
	r.URL.RawQuery = v.Encode()
	return a.listOrgInvitations(w, r)
}

func (a *API) listAllOrgInvitations(w http.ResponseWriter, r *http.Request) error {
	q, err := invitationQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return a.respondOrgInvitations(w, r, q)
}

func (a *API) listUserOrgInvitations(w http.ResponseWriter, r *http.Request) error {
	q, err := invitationQuery(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := a.Users.Get(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	if q.EmailAddresses = organization.VerifiedEmails(u); len(q.EmailAddresses) == 0 {
		respond.JSON(w, http.StatusOK, paginatedJSON{Data: []OrgInvitationJSON{}, TotalCount: 0})
		return nil
	}
	return a.respondOrgInvitations(w, r, q)
}

func (a *API) createOrgInvitation(w http.ResponseWriter, r *http.Request) error {
	var p organization.InviteParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	invs, o, err := a.Organizations.Invite(r.Context(), r.PathValue("organization_id"), []organization.InviteParams{p})
	if err != nil {
		return err
	}
	out, err := a.orgInvitationOut(r, invs[0], o, a.Organizations.Now().UnixMilli())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) bulkOrgInvitations(w http.ResponseWriter, r *http.Request) error {
	var ps []organization.InviteParams
	if err := decode(w, r, &ps); err != nil {
		return err
	}
	invs, _, err := a.Organizations.Invite(r.Context(), r.PathValue("organization_id"), ps)
	if err != nil {
		return err
	}
	out, err := a.orgInvitationsOut(r, invs)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: int64(len(out))})
	return nil
}

func (a *API) getOrgInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, o, err := a.Organizations.Invitation(r.Context(), r.PathValue("organization_id"), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	out, err := a.orgInvitationOut(r, inv, o, a.Organizations.Now().UnixMilli())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) revokeOrgInvitation(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		RequestingUserID *string `json:"requesting_user_id"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	inv, o, err := a.Organizations.RevokeInvitation(r.Context(), r.PathValue("organization_id"), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	out, err := a.orgInvitationOut(r, inv, o, a.Organizations.Now().UnixMilli())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}
