package backendapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/user"
)

// OrganizationJSON is Clerk's organization object.
type OrganizationJSON struct {
	Object                string          `json:"object"`
	ID                    string          `json:"id"`
	Name                  string          `json:"name"`
	Slug                  string          `json:"slug"`
	ImageURL              string          `json:"image_url"`
	HasImage              bool            `json:"has_image"`
	MembersCount          *int64          `json:"members_count,omitempty"`
	MaxAllowedMemberships int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled    bool            `json:"admin_delete_enabled"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	CreatedBy             string          `json:"created_by"`
	CreatedAt             int64           `json:"created_at"`
	UpdatedAt             int64           `json:"updated_at"`
}

// MembershipJSON is Clerk's organization_membership object.
type MembershipJSON struct {
	Object          string            `json:"object"`
	ID              string            `json:"id"`
	Role            string            `json:"role"`
	RoleName        string            `json:"role_name"`
	Permissions     []string          `json:"permissions"`
	PublicMetadata  json.RawMessage   `json:"public_metadata"`
	PrivateMetadata json.RawMessage   `json:"private_metadata"`
	Organization    *OrganizationJSON `json:"organization"`
	PublicUserData  *publicUserJSON   `json:"public_user_data,omitempty"`
	CreatedAt       int64             `json:"created_at"`
	UpdatedAt       int64             `json:"updated_at"`
}

// publicUserJSON is what a membership shows of its user.
type publicUserJSON struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ImageURL        string  `json:"image_url"`
	ProfileImageURL string  `json:"profile_image_url"`
	HasImage        bool    `json:"has_image"`
	Identifier      string  `json:"identifier"`
	Username        *string `json:"username"`
}

func (a *API) orgJSON(o *organization.Organization, withCount bool) *OrganizationJSON {
	return OrganizationObject(a.PublicURL, o, withCount)
}

// OrganizationObject is Clerk's organization object for o; members_count
// shows withCount.
func OrganizationObject(publicURL string, o *organization.Organization, withCount bool) *OrganizationJSON {
	img := user.PlaceholderImage(publicURL, o.ID)
	if o.ImageURL != nil {
		img = *o.ImageURL
	}
	out := &OrganizationJSON{Object: "organization", ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: img,
		HasImage: o.ImageURL != nil, MaxAllowedMemberships: o.MaxAllowedMemberships, AdminDeleteEnabled: o.AdminDeleteEnabled,
		PublicMetadata: orEmpty(o.PublicMetadata), PrivateMetadata: orEmpty(o.PrivateMetadata), CreatedBy: o.CreatedBy,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if withCount {
		n := o.MembersCount
		out.MembersCount = &n
	}
	return out
}

// membershipsJSON renders memberships with their organizations and users,
// read for the whole page at once.
func (a *API) membershipsJSON(r *http.Request, ms []*organization.Membership, orgs map[string]*organization.Organization) ([]MembershipJSON, error) {
	userIDs := make([]string, 0, len(ms))
	var missing []string
	for _, m := range ms {
		userIDs = append(userIDs, m.UserID)
		if orgs[m.OrganizationID] == nil {
			missing = append(missing, m.OrganizationID)
		}
	}
	if len(missing) > 0 {
		more, err := a.Organizations.Store.OrganizationsByID(r.Context(), missing)
		if err != nil {
			return nil, err
		}
		if orgs == nil {
			orgs = map[string]*organization.Organization{}
		}
		for k, v := range more {
			orgs[k] = v
		}
	}
	users := map[string]*user.User{}
	if len(userIDs) > 0 {
		list, err := a.Users.List(r.Context(), user.Query{Filter: user.Filter{UserIDs: userIDs}, Limit: len(userIDs)})
		if err != nil {
			return nil, err
		}
		for _, u := range list {
			users[u.ID] = u
		}
	}
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]MembershipJSON, len(ms))
	for i, m := range ms {
		out[i] = MembershipObject(a.PublicURL, set, m, orgs[m.OrganizationID], users[m.UserID])
	}
	return out, nil
}

func (a *API) membershipOut(r *http.Request, m *organization.Membership, o *organization.Organization, u *user.User) (MembershipJSON, error) {
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return MembershipJSON{}, err
	}
	return MembershipObject(a.PublicURL, set, m, o, u), nil
}

// MembershipObject is Clerk's organization_membership object.
func MembershipObject(publicURL string, set *organization.RoleSet, m *organization.Membership, o *organization.Organization, u *user.User) MembershipJSON {
	out := MembershipJSON{Object: "organization_membership", ID: m.ID, Role: m.Role, RoleName: set.RoleName(m.Role),
		Permissions: set.RolePermissions(m.Role), PublicMetadata: orEmpty(m.PublicMetadata), PrivateMetadata: orEmpty(m.PrivateMetadata),
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if o != nil {
		out.Organization = OrganizationObject(publicURL, o, true)
	}
	if u != nil {
		img := user.PlaceholderImage(publicURL, u.ID)
		out.PublicUserData = &publicUserJSON{UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
			ImageURL: img, ProfileImageURL: img, Identifier: u.DisplayIdentifier(), Username: u.Username}
	}
	return out
}

func boolParam(v url.Values, name string) (bool, error) {
	s := v.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errs.ParamValue(name, s)
	}
	return b, nil
}

// orderParam checks order_by against the fields a list orders by.
func orderParam(v url.Values, fields ...string) (string, error) {
	o := v.Get("order_by")
	if o == "" {
		return "", nil
	}
	name := strings.TrimLeft(o, "+-")
	if len(o)-len(name) > 1 {
		return "", errs.ParamValue("order_by", o)
	}
	for _, f := range fields {
		if f == name {
			return o, nil
		}
	}
	return "", errs.ParamValue("order_by", o)
}

func (a *API) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	limit, offset, err := limitOffset(v)
	if err != nil {
		return err
	}
	withCount, err := boolParam(v, "include_members_count")
	if err != nil {
		return err
	}
	q := organization.Query{Query: v.Get("query"), Limit: limit, Offset: offset}
	if len(q.Query) > maxQueryLen {
		return errs.ParamFormat("query", "query must be at most 256 characters.")
	}
	if q.UserIDs, err = values(v, "user_id"); err != nil {
		return err
	}
	if q.OrderBy, err = orderParam(v, "created_at", "name", "members_count"); err != nil {
		return err
	}
	list, total, err := a.Organizations.Store.ListOrganizations(r.Context(), q)
	if err != nil {
		return err
	}
	out := make([]*OrganizationJSON, len(list))
	for i, o := range list {
		out[i] = a.orgJSON(o, withCount)
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var p organization.CreateParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	o, err := a.Organizations.Create(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request) error {
	withCount, err := boolParam(r.URL.Query(), "include_members_count")
	if err != nil {
		return err
	}
	o, err := a.Organizations.Store.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, withCount))
	return nil
}

func (a *API) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var p organization.UpdateParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	o, err := a.Organizations.Update(r.Context(), r.PathValue("organization_id"), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}

func (a *API) mergeOrganizationMetadata(w http.ResponseWriter, r *http.Request) error {
	var p user.MetadataParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	o, err := a.Organizations.MergeMetadata(r.Context(), r.PathValue("organization_id"), p.PublicMetadata, p.PrivateMetadata)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}

func (a *API) replaceOrganizationMetadata(w http.ResponseWriter, r *http.Request) error {
	var p user.MetadataParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	o, err := a.Organizations.ReplaceMetadata(r.Context(), r.PathValue("organization_id"), p.PublicMetadata, p.PrivateMetadata)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}

func (a *API) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id, err := a.Organizations.Delete(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "organization", ID: id, Deleted: true})
	return nil
}

// membershipQuery reads the filters and paging of the membership lists.
func membershipQuery(v url.Values) (organization.MembershipQuery, error) {
	var q organization.MembershipQuery
	var err error
	if q.Limit, q.Offset, err = limitOffset(v); err != nil {
		return q, err
	}
	if q.UserIDs, err = values(v, "user_id"); err != nil {
		return q, err
	}
	if q.Roles, err = values(v, "role"); err != nil {
		return q, err
	}
	q.OrderBy, err = orderParam(v, "created_at", "role")
	return q, err
}

func (a *API) respondMemberships(w http.ResponseWriter, r *http.Request, q organization.MembershipQuery, orgs map[string]*organization.Organization) error {
	list, total, err := a.Organizations.Store.ListMemberships(r.Context(), q)
	if err != nil {
		return err
	}
	out, err := a.membershipsJSON(r, list, orgs)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

// listOrgMemberships is GET /v1/organizations/{id}/memberships.
func (a *API) listOrgMemberships(w http.ResponseWriter, r *http.Request) error {
	q, err := membershipQuery(r.URL.Query())
	if err != nil {
		return err
	}
	o, err := a.Organizations.Store.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	q.OrganizationID = o.ID
	return a.respondMemberships(w, r, q, map[string]*organization.Organization{o.ID: o})
}

// listAllMemberships is GET /v1/organization_memberships, instance-wide.
func (a *API) listAllMemberships(w http.ResponseWriter, r *http.Request) error {
	q, err := membershipQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return a.respondMemberships(w, r, q, nil)
}

// listUserMemberships is GET /v1/users/{id}/organization_memberships.
func (a *API) listUserMemberships(w http.ResponseWriter, r *http.Request) error {
	q, err := membershipQuery(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := a.Users.Get(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	q.UserIDs = []string{u.ID}
	return a.respondMemberships(w, r, q, nil)
}

func (a *API) respondMembership(w http.ResponseWriter, r *http.Request, m *organization.Membership, o *organization.Organization) error {
	u, err := a.Users.Get(r.Context(), m.UserID)
	if err != nil {
		return err
	}
	out, err := a.membershipOut(r, m, o, u)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createMembership(w http.ResponseWriter, r *http.Request) error {
	var p organization.MembershipParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	m, o, err := a.Organizations.AddMember(r.Context(), r.PathValue("organization_id"), p)
	if err != nil {
		return err
	}
	return a.respondMembership(w, r, m, o)
}

func (a *API) updateMembership(w http.ResponseWriter, r *http.Request) error {
	var p organization.MembershipParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	m, o, err := a.Organizations.SetRole(r.Context(), r.PathValue("organization_id"), r.PathValue("user_id"), p)
	if err != nil {
		return err
	}
	return a.respondMembership(w, r, m, o)
}

func (a *API) mergeMembershipMetadata(w http.ResponseWriter, r *http.Request) error {
	var p user.MetadataParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	m, o, err := a.Organizations.MergeMembershipMetadata(r.Context(), r.PathValue("organization_id"), r.PathValue("user_id"),
		p.PublicMetadata, p.PrivateMetadata)
	if err != nil {
		return err
	}
	return a.respondMembership(w, r, m, o)
}

func (a *API) deleteMembership(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	m, o, err := a.Organizations.RemoveMember(r.Context(), r.PathValue("organization_id"), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	return a.respondMembership(w, r, m, o)
}

// setOrganizationLogo is PUT /v1/organizations/{id}/logo: a multipart
// upload (file, uploader_user_id), decoded and re-encoded before it is
// served.
func (a *API) setOrganizationLogo(w http.ResponseWriter, r *http.Request) error {
	file, fields, err := images.Upload(w, r)
	if err != nil {
		return err
	}
	if uid := fields["uploader_user_id"]; uid != "" {
		if _, err := a.Users.Get(r.Context(), uid); err != nil {
			return errs.ParamValue("uploader_user_id", uid)
		}
	}
	o, err := a.Organizations.SetLogo(r.Context(), r.PathValue("organization_id"), file)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}

func (a *API) deleteOrganizationLogo(w http.ResponseWriter, r *http.Request) error {
	o, err := a.Organizations.RemoveLogo(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.orgJSON(o, false))
	return nil
}
