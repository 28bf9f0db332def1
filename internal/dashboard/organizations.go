package dashboard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/user"
)

type orgsData struct {
	Query            string
	Rows             []*organization.Organization
	Total            int64
	PrevURL, NextURL string
	// The create form's values, kept when it is refused.
	Name, Slug, CreatedBy string
	CreateError           string
}

// organizations lists organizations: the Backend API's query search
// (ID, name or slug), newest first, in pages.
func (d *Dashboard) organizations(w http.ResponseWriter, r *http.Request) error {
	data, err := d.orgsData(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "organizations", http.StatusOK, view{Title: "Organizations", Nav: "organizations", Data: data})
}

func (d *Dashboard) orgsData(r *http.Request) (orgsData, error) {
	q := r.URL.Query()
	data := orgsData{Query: clip(strings.TrimSpace(q.Get("q")), 256)}
	offset := max(0, atoi(q.Get("offset")))
	var err error
	data.Rows, data.Total, err = d.Organizations.Store.ListOrganizations(r.Context(),
		organization.Query{Query: data.Query, OrderBy: "-created_at", Limit: pageSize, Offset: offset})
	if err != nil {
		return data, err
	}
	v := url.Values{}
	if data.Query != "" {
		v.Set("q", data.Query)
	}
	data.PrevURL, data.NextURL = pageLinks("/dashboard/organizations", v, offset, data.Total)
	return data, nil
}

// createOrganization makes an organization; a creator given becomes its
// first admin, as on the Backend API.
func (d *Dashboard) createOrganization(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name, slug, by := f.Get("name"), strings.TrimSpace(f.Get("slug")), strings.TrimSpace(f.Get("created_by"))
	o, err := d.Organizations.Create(r.Context(), organization.CreateParams{Name: &name, Slug: &slug, CreatedBy: &by})
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+o.ID, "created")
	}
	msg, ok := message(err)
	if !ok {
		return err
	}
	data, err := d.orgsData(r)
	if err != nil {
		return err
	}
	data.Name, data.Slug, data.CreatedBy, data.CreateError = name, slug, by, msg
	return d.render(w, r, "organizations", http.StatusUnprocessableEntity, view{Title: "Organizations", Nav: "organizations", Data: data})
}

type memberRow struct {
	UserID, User, Name, Role string
	CreatedAt                int64
}

type orgData struct {
	Org              *organization.Organization
	Public, Private  string
	Members          []memberRow
	Total            int64
	PrevURL, NextURL string
	Roles            []organization.Role
	// The forms' values, the stored ones or, when a form is refused,
	// what was typed; each form shows its own error.
	Name, Slug, MaxMemberships                             string
	AdminDelete                                            bool
	NewUserID, NewRole                                     string
	DetailsError, MetadataError, MembersError, DeleteError string
	// The invitations and domains sections (orginvitations.go,
	// orgdomains.go).
	Invitations                    []orgInvitationRow
	PendingTotal                   int64
	InviteEmail, InviteRole        string
	Domains                        []*organization.Domain
	DomainsTotal                   int64
	DomainName, DomainMode         string
	Modes                          []modeOption
	InvitationsError, DomainsError string
}

func (d *Dashboard) orgData(r *http.Request, o *organization.Organization) (orgData, error) {
	ctx := r.Context()
	set, err := d.Organizations.RoleSet(ctx)
	if err != nil {
		return orgData{}, err
	}
	data := orgData{Org: o, Public: pretty(o.PublicMetadata), Private: pretty(o.PrivateMetadata), Roles: set.Roles(),
		Name: o.Name, Slug: o.Slug, MaxMemberships: strconv.Itoa(o.MaxAllowedMemberships), AdminDelete: o.AdminDeleteEnabled,
		NewRole: organization.RoleMember, InviteRole: organization.RoleMember, DomainMode: organization.ManualInvitation}
	offset := max(0, atoi(r.URL.Query().Get("offset")))
	// Oldest first: the creator, its first admin, heads the list.
	ms, total, err := d.Organizations.Store.ListMemberships(ctx, organization.MembershipQuery{OrganizationID: o.ID,
		OrderBy: "+created_at", Limit: pageSize, Offset: offset})
	if err != nil {
		return data, err
	}
	data.Total = total
	data.PrevURL, data.NextURL = pageLinks("/dashboard/organizations/"+o.ID, url.Values{}, offset, total)
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	users := map[string]*user.User{}
	if len(ids) > 0 {
		list, err := d.Users.List(ctx, user.Query{Filter: user.Filter{UserIDs: ids}, Limit: len(ids)})
		if err != nil {
			return data, err
		}
		for _, u := range list {
			users[u.ID] = u
		}
	}
	now := d.Now().UnixMilli()
	for _, m := range ms {
		row := memberRow{UserID: m.UserID, User: m.UserID, Role: m.Role, CreatedAt: m.CreatedAt}
		if u := users[m.UserID]; u != nil {
			ur := rowOf(u, now)
			row.User, row.Name = ur.title(), ur.Name
		}
		data.Members = append(data.Members, row)
	}
	if err := d.orgInvitations(r, set, &data); err != nil {
		return data, err
	}
	return data, d.orgDomains(r, &data)
}

func (d *Dashboard) organizationPage(w http.ResponseWriter, r *http.Request) error {
	o, err := d.Organizations.Store.Organization(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data, err := d.orgData(r, o)
	if err != nil {
		return err
	}
	return d.render(w, r, "organization", http.StatusOK, view{Title: o.Name, Nav: "organizations", Data: data})
}

// refuseOrgForm shows the organization page again with a form's error and what
// was typed in it (keep); an error not meant for the operator is returned.
func (d *Dashboard) refuseOrgForm(w http.ResponseWriter, r *http.Request, err error, keep func(data *orgData, msg string)) error {
	msg, ok := message(err)
	if !ok {
		return err
	}
	o, err := d.Organizations.Store.Organization(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data, err := d.orgData(r, o)
	if err != nil {
		return err
	}
	keep(&data, msg)
	return d.render(w, r, "organization", http.StatusUnprocessableEntity, view{Title: o.Name, Nav: "organizations", Data: data})
}

// updateOrganization renames it, changes its slug, its member limit and
// whether its admins may delete it.
func (d *Dashboard) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name, slug, limit := f.Get("name"), strings.TrimSpace(f.Get("slug")), strings.TrimSpace(f.Get("max_allowed_memberships"))
	// An unticked box is not sent: the form always holds it.
	adminDelete := f.Get("admin_delete_enabled") == "true"
	p := organization.UpdateParams{Name: &name, Slug: &slug, AdminDeleteEnabled: &adminDelete}
	var err error
	if n, cerr := strconv.Atoi(limit); cerr == nil || limit == "" {
		p.MaxAllowedMemberships = &n
	} else {
		err = errs.ParamFormat("max_allowed_memberships", "The member limit must be a whole number: 0 for no limit.")
	}
	var o *organization.Organization
	if err == nil {
		if o, err = d.Organizations.Update(r.Context(), r.PathValue("id"), p); err == nil {
			return back(w, r, "/dashboard/organizations/"+o.ID, "saved")
		}
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) {
		data.Name, data.Slug, data.MaxMemberships, data.AdminDelete, data.DetailsError = name, slug, limit, adminDelete, msg
	})
}

// organizationMetadata replaces both metadata objects; invalid JSON is
// refused and shown back as typed.
func (d *Dashboard) organizationMetadata(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	pub, priv := jsonObject(f.Get("public_metadata")), jsonObject(f.Get("private_metadata"))
	var err error
	switch {
	case pub == nil && priv == nil:
		err = errs.ParamFormat("metadata", "The public and private metadata are not valid JSON objects: nothing was saved.")
	case pub == nil:
		err = errs.ParamFormat("public_metadata", "The public metadata is not a valid JSON object: nothing was saved.")
	case priv == nil:
		err = errs.ParamFormat("private_metadata", "The private metadata is not a valid JSON object: nothing was saved.")
	default:
		var o *organization.Organization
		if o, err = d.Organizations.ReplaceMetadata(r.Context(), r.PathValue("id"), pub, priv); err == nil {
			return back(w, r, "/dashboard/organizations/"+o.ID, "saved")
		}
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) {
		data.Public, data.Private, data.MetadataError = f.Get("public_metadata"), f.Get("private_metadata"), msg
	})
}

// jsonObject is a metadata box's object (an emptied box is {}), or nil
// if it holds anything else.
func jsonObject(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage(`{}`)
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil || m == nil {
		return nil
	}
	return json.RawMessage(s)
}

// deleteOrganization removes it and its memberships, once confirmed.
func (d *Dashboard) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	var err error = errs.New(errs.Invalid, "confirmation_missing", "Not confirmed", "Tick the confirmation box to delete the organization.")
	if r.PostForm.Get("confirm") == "delete" {
		if _, err = d.Organizations.Delete(r.Context(), r.PathValue("id")); err == nil {
			return back(w, r, "/dashboard/organizations", "deleted")
		}
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.DeleteError = msg })
}

// addMember makes a user a member with a role.
func (d *Dashboard) addMember(w http.ResponseWriter, r *http.Request) error {
	userID, role := strings.TrimSpace(r.PostForm.Get("user_id")), r.PostForm.Get("role")
	m, _, err := d.Organizations.AddMember(r.Context(), r.PathValue("id"), organization.MembershipParams{UserID: &userID, Role: &role})
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+m.OrganizationID, "added")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) {
		data.NewUserID, data.NewRole, data.MembersError = userID, role, msg
	})
}

// setMemberRole changes a member's role; the last admin stays one.
func (d *Dashboard) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	role := r.PostForm.Get("role")
	m, _, err := d.Organizations.SetRole(r.Context(), r.PathValue("id"), r.PathValue("user_id"), organization.MembershipParams{Role: &role})
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+m.OrganizationID, "saved")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.MembersError = msg })
}

// removeMember ends a membership; the last admin stays while others do.
func (d *Dashboard) removeMember(w http.ResponseWriter, r *http.Request) error {
	m, _, err := d.Organizations.RemoveMember(r.Context(), r.PathValue("id"), r.PathValue("user_id"))
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+m.OrganizationID, "removed")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.MembersError = msg })
}

// pageLinks are the previous and next pages of a list at offset; v holds
// the list's other parameters.
func pageLinks(path string, v url.Values, offset int, total int64) (prev, next string) {
	link := func(offset int) string {
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		} else {
			v.Del("offset")
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if offset > 0 {
		prev = link(max(0, offset-pageSize))
	}
	if int64(offset+pageSize) < total {
		next = link(offset + pageSize)
	}
	return prev, next
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
