package frontendapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// The organization routes clerk-js calls for the signed-in user: creating
// organizations, reading and leaving the user's memberships, and, for a
// member holding the permission, managing an organization and its
// members. What a member may do is what the role's system permissions say.

// orgJSON is the Frontend API's organization: no private metadata and no
// creator, as Clerk's.
type orgJSON struct {
	Object                  string          `json:"object"`
	ID                      string          `json:"id"`
	Name                    string          `json:"name"`
	Slug                    string          `json:"slug"`
	ImageURL                string          `json:"image_url"`
	HasImage                bool            `json:"has_image"`
	MembersCount            int64           `json:"members_count"`
	PendingInvitationsCount int64           `json:"pending_invitations_count"`
	MaxAllowedMemberships   int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled      bool            `json:"admin_delete_enabled"`
	PublicMetadata          json.RawMessage `json:"public_metadata"`
	CreatedAt               int64           `json:"created_at"`
	UpdatedAt               int64           `json:"updated_at"`
}

type orgMembershipJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	Role           string          `json:"role"`
	RoleName       string          `json:"role_name"`
	Permissions    []string        `json:"permissions"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Organization   orgJSON         `json:"organization"`
	PublicUserData *publicUserData `json:"public_user_data"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

func (a *API) orgOut(o *organization.Organization) orgJSON {
	img := user.PlaceholderImage(a.PublicURL, o.ID)
	if o.ImageURL != nil {
		img = *o.ImageURL
	}
	pub := o.PublicMetadata
	if len(pub) == 0 {
		pub = json.RawMessage(`{}`)
	}
	return orgJSON{Object: "organization", ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: img, HasImage: o.ImageURL != nil,
		MembersCount: o.MembersCount, MaxAllowedMemberships: o.MaxAllowedMemberships, AdminDeleteEnabled: o.AdminDeleteEnabled,
		PublicMetadata: pub, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (a *API) orgMembershipOut(m *organization.Membership, o *organization.Organization, u *user.User) orgMembershipJSON {
	out := orgMembershipJSON{Object: "organization_membership", ID: m.ID, Role: m.Role, Permissions: []string{},
		PublicMetadata: m.PublicMetadata, Organization: a.orgOut(o), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if len(out.PublicMetadata) == 0 {
		out.PublicMetadata = json.RawMessage(`{}`)
	}
	set := a.Organizations.Roles.Cached()
	out.RoleName, out.Permissions = set.RoleName(m.Role), set.RolePermissions(m.Role)
	if u != nil {
		pud := a.publicUserData(u)
		out.PublicUserData = &pud
	}
	return out
}

// memberships renders a page of memberships with their organizations
// and users, each read once for the page; known is a user the caller has
// already (the signed-in one), not read again.
func (a *API) memberships(ctx context.Context, list []*organization.Membership, known *user.User) ([]orgMembershipJSON, error) {
	var orgIDs, userIDs []string
	for _, m := range list {
		orgIDs = append(orgIDs, m.OrganizationID)
		if m.UserID != known.ID {
			userIDs = append(userIDs, m.UserID)
		}
	}
	if len(orgIDs) == 0 {
		return []orgMembershipJSON{}, nil
	}
	orgs, err := a.Organizations.Store.OrganizationsByID(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	users := map[string]*user.User{known.ID: known}
	if len(userIDs) > 0 {
		found, err := a.UserRules.List(ctx, user.Query{Filter: user.Filter{UserIDs: userIDs}, Limit: len(userIDs)})
		if err != nil {
			return nil, err
		}
		for _, u := range found {
			users[u.ID] = u
		}
	}
	out := make([]orgMembershipJSON, 0, len(list))
	for _, m := range list {
		if o := orgs[m.OrganizationID]; o != nil {
			out = append(out, a.orgMembershipOut(m, o, users[m.UserID]))
		}
	}
	return out, nil
}

// userMemberships are the user's memberships as its user object lists
// them (the first 100, as a user rarely has more). Every client response
// renders the user: one query, no count, and the user is not read again.
func (a *API) userMemberships(ctx context.Context, u *user.User) ([]orgMembershipJSON, error) {
	if a.Organizations == nil {
		return []orgMembershipJSON{}, nil
	}
	list, _, err := a.Organizations.Store.ListMemberships(ctx, organization.MembershipQuery{UserIDs: []string{u.ID}, Limit: 100, NoTotal: true})
	if err != nil {
		return nil, err
	}
	return a.memberships(ctx, list, u)
}

// listPage answers a list as clerk-js asks for it: {data, total_count}
// when paginated=true, else the bare array.
func (a *API) listPage(w http.ResponseWriter, r *http.Request, v url.Values, data any, total int64) error {
	if p, _ := strconv.ParseBool(v.Get("paginated")); p {
		return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": data, "total_count": total})
	}
	return a.envelope(w, r, clientOf(r).ID, data)
}

// pageOf reads limit and offset (limit 1–500, default 10).
func pageOf(v url.Values) (int, int, error) {
	limit, offset := 10, 0
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return 0, 0, errs.ParamValue("limit", s)
		}
		limit = n
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, errs.ParamValue("offset", s)
		}
		offset = n
	}
	return limit, offset, nil
}

// commaList reads a list parameter clerk-js may send comma-joined.
func commaList(v url.Values, k string) []string {
	var out []string
	for _, s := range v[k] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (a *API) myMemberships(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	list, total, err := a.Organizations.Store.ListMemberships(r.Context(),
		organization.MembershipQuery{UserIDs: []string{u.ID}, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out, err := a.memberships(r.Context(), list, u)
	if err != nil {
		return err
	}
	return a.listPage(w, r, v, out, total)
}

// leaveOrganization is DELETE /v1/me/organization_memberships/{id}.
func (a *API) leaveOrganization(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, "")
	if err != nil {
		return err
	}
	m, _, err := a.Organizations.RemoveMember(r.Context(), o.ID, u.ID)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "organization_membership", "id": m.ID, "deleted": true})
}

func (a *API) createOrganization(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	if !u.CreateOrganizationEnabled || !live.OrganizationCreate {
		return errs.New(errs.Forbidden, "not_allowed_access", "Not allowed",
			"This user may not create organizations.")
	}
	if u.CreateOrganizationsLimit != nil && *u.CreateOrganizationsLimit > 0 {
		_, made, err := a.Organizations.Store.ListOrganizations(r.Context(), organization.Query{CreatedBy: u.ID, Limit: 1})
		if err != nil {
			return err
		}
		if made >= int64(*u.CreateOrganizationsLimit) {
			return errs.New(errs.Forbidden, "organization_creation_limit_exceeded", "Organization limit reached",
				"You have created as many organizations as you may.")
		}
	}
	o, err := a.Organizations.Create(r.Context(), organization.CreateParams{Name: opt(v, "name"), Slug: opt(v, "slug"), CreatedBy: &u.ID})
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgOut(o))
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, "")
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgOut(o))
}

func (a *API) updateOrganization(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermProfileManage)
	if err != nil {
		return err
	}
	if o, err = a.Organizations.Update(r.Context(), o.ID, organization.UpdateParams{Name: opt(v, "name"), Slug: opt(v, "slug")}); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgOut(o))
}

func (a *API) deleteOrganization(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermProfileDelete)
	if err != nil {
		return err
	}
	if !o.AdminDeleteEnabled {
		return errs.New(errs.Forbidden, "organization_admin_delete_not_enabled", "Deletion not enabled",
			"Deletion by admin is not enabled for this organization.")
	}
	if _, err := a.Organizations.Delete(r.Context(), o.ID); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "organization", "id": o.ID, "slug": o.Slug, "deleted": true})
}

func (a *API) listOrgMembers(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsRead)
	if err != nil {
		return err
	}
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	list, total, err := a.Organizations.Store.ListMemberships(r.Context(), organization.MembershipQuery{
		OrganizationID: o.ID, Roles: commaList(v, "role"), Limit: limit, Offset: offset, OrderBy: "+created_at"})
	if err != nil {
		return err
	}
	out, err := a.memberships(r.Context(), list, u)
	if err != nil {
		return err
	}
	return a.listPage(w, r, v, out, total)
}

// manageMember runs a membership change of a member holding
// org:sys_memberships:manage and answers the changed membership.
func (a *API) manageMember(w http.ResponseWriter, r *http.Request, u *user.User,
	change func(orgID string) (*organization.Membership, *organization.Organization, error)) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsManage)
	if err != nil {
		return err
	}
	m, o, err := change(o.ID)
	if err != nil {
		return err
	}
	member, err := a.UserRules.Get(r.Context(), m.UserID)
	if err != nil {
		member = nil // deleted meanwhile: the membership still answers
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgMembershipOut(m, o, member))
}

func (a *API) addOrgMember(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	return a.manageMember(w, r, u, func(orgID string) (*organization.Membership, *organization.Organization, error) {
		return a.Organizations.AddMember(r.Context(), orgID, organization.MembershipParams{UserID: opt(v, "user_id"), Role: opt(v, "role")})
	})
}

func (a *API) updateOrgMember(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	return a.manageMember(w, r, u, func(orgID string) (*organization.Membership, *organization.Organization, error) {
		return a.Organizations.SetRole(r.Context(), orgID, r.PathValue("user_id"), organization.MembershipParams{Role: opt(v, "role")})
	})
}

func (a *API) removeOrgMember(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	return a.manageMember(w, r, u, func(orgID string) (*organization.Membership, *organization.Organization, error) {
		return a.Organizations.RemoveMember(r.Context(), orgID, r.PathValue("user_id"))
	})
}

// listOrgRoles is GET /v1/organizations/{id}/roles: the roles a member
// may be given, for the members page's role menu.
func (a *API) listOrgRoles(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	if _, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, ""); err != nil {
		return err
	}
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return err
	}
	roles := set.Roles()
	out := make([]backendapi.RoleJSON, len(roles))
	for i := range roles {
		out[i] = backendapi.RoleObject(set, &roles[i])
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": len(out), "has_role_set_migration": false})
}

// organizationSettings is the environment's organization_settings:
// memberships without a bound (0), the creator an admin, admins may
// delete, verified domains with every enrolment mode when on.
func organizationSettings(live instance.Live) map[string]any {
	modes := []string{}
	if live.OrganizationDomains {
		modes = []string{organization.ManualInvitation, organization.AutomaticInvitation, organization.AutomaticSuggestion}
	}
	return map[string]any{"enabled": live.Organizations, "max_allowed_memberships": live.OrganizationMaxMemberships,
		"creator_role": live.OrganizationCreatorRole, "actions": map[string]any{"admin_delete": live.OrganizationAdminDelete},
		"domains": map[string]any{"enabled": live.OrganizationDomains, "enrollment_modes": modes, "default_role": organization.RoleMember},
		"slug":    map[string]any{"disabled": false}, "force_organization_selection": false}
}

// errOrganizationsOff answers the Frontend API's organization routes
// while the instance does not offer organizations.
var errOrganizationsOff = errs.New(errs.Forbidden, "organization_not_enabled_in_instance", "Organizations are not enabled",
	"The organizations feature is not enabled for this instance. Turn on the organizations setting in the dashboard.")

// withOrgs is withMe for the organization routes: they answer only while
// the instance offers organizations.
func (a *API) withOrgs(fn meHandler) handler {
	return a.withMe(noLimit, func(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error {
		live, err := a.Settings.Live(r.Context())
		if err != nil {
			return err
		}
		if !live.Organizations {
			return errOrganizationsOff
		}
		return fn(w, r, s, u, v)
	})
}
