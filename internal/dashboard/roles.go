package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
)

// The roles page: the instance's organization roles and the custom
// permissions they may hold, next to Clerk's built-in system ones. Every
// organization shares these roles (one role set per instance).

// permOption is a permission as a role's checkboxes offer it.
type permOption struct {
	Key, Name, Description string
	System, Checked        bool
}

type roleRow struct {
	organization.Role
	// Default roles (the creator's and the invited members') cannot be
	// deleted: the page offers no button.
	Default bool
	Perms   []permOption
	Error   string
}

type rolesData struct {
	Roles       []roleRow
	Permissions []organization.Permission
	// The create forms' values, kept when one is refused.
	NewName, NewKey, NewDescription    string
	NewPerms                           []permOption
	PermName, PermKey, PermDescription string
	CreateError, PermissionsError      string
	// Error is a refusal with no form left to show it by (a role
	// deleted meanwhile): the page's own.
	Error string
}

func (d *Dashboard) rolesData(r *http.Request) (rolesData, error) {
	ctx := r.Context()
	set, err := d.Organizations.RoleSet(ctx)
	if err != nil {
		return rolesData{}, err
	}
	perms, err := d.Organizations.Roles.Permissions(ctx)
	if err != nil {
		return rolesData{}, err
	}
	data := rolesData{Permissions: perms, NewPerms: permOptions(perms, nil)}
	for _, role := range set.Roles() {
		data.Roles = append(data.Roles, roleRow{Role: role, Perms: permOptions(perms, role.Permissions),
			Default: role.Key == organization.RoleAdmin || role.Key == organization.RoleMember})
	}
	return data, nil
}

// permOptions lists perms, ticking those held.
func permOptions(perms []organization.Permission, held []string) []permOption {
	out := make([]permOption, len(perms))
	for i, p := range perms {
		out[i] = permOption{Key: p.Key, Name: p.Name, Description: p.Description, System: p.System, Checked: slices.Contains(held, p.Key)}
	}
	return out
}

func (d *Dashboard) roles(w http.ResponseWriter, r *http.Request) error {
	data, err := d.rolesData(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "roles", http.StatusOK, view{Title: "Roles", Nav: "roles", Data: data})
}

// refuseRolesForm shows the roles page again with a form's error and
// what was typed in it (keep); an error not meant for the operator is
// returned.
func (d *Dashboard) refuseRolesForm(w http.ResponseWriter, r *http.Request, err error, keep func(data *rolesData, msg string)) error {
	msg, ok := message(err)
	if !ok {
		return err
	}
	data, err := d.rolesData(r)
	if err != nil {
		return err
	}
	keep(&data, msg)
	return d.render(w, r, "roles", http.StatusUnprocessableEntity, view{Title: "Roles", Nav: "roles", Error: data.Error, Data: data})
}

// row is the role with this ID on the page; a role gone meanwhile gets
// the message at the page's top.
func (data *rolesData) row(id, msg string) *roleRow {
	for i := range data.Roles {
		if data.Roles[i].ID == id {
			data.Roles[i].Error = msg
			return &data.Roles[i]
		}
	}
	data.Error = msg
	return nil
}

// formPerms are the permission boxes ticked. The form always holds
// every box, so none ticked takes every permission away.
func formPerms(r *http.Request) []string { return r.PostForm["permissions"] }

// createRole adds a role with a key (org:…) and the permissions ticked.
func (d *Dashboard) createRole(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name, key, desc, perms := f.Get("name"), strings.TrimSpace(f.Get("key")), f.Get("description"), formPerms(r)
	_, err := d.Organizations.Roles.CreateRole(r.Context(),
		organization.RoleParams{Name: &name, Key: &key, Description: &desc, Permissions: &perms})
	if err == nil {
		return back(w, r, "/dashboard/roles", "created")
	}
	return d.refuseRolesForm(w, r, err, func(data *rolesData, msg string) {
		data.NewName, data.NewKey, data.NewDescription, data.CreateError = name, key, desc, msg
		data.NewPerms = permOptions(data.Permissions, perms)
	})
}

// updateRole changes a role's name, description and permissions; its
// key stays, as members and invitations hold it.
func (d *Dashboard) updateRole(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name, desc, perms := f.Get("name"), f.Get("description"), formPerms(r)
	_, err := d.Organizations.Roles.UpdateRole(r.Context(), r.PathValue("id"),
		organization.RoleParams{Name: &name, Description: &desc, Permissions: &perms})
	if err == nil {
		return back(w, r, "/dashboard/roles", "saved")
	}
	return d.refuseRolesForm(w, r, err, func(data *rolesData, msg string) {
		if row := data.row(r.PathValue("id"), msg); row != nil {
			row.Name, row.Description, row.Perms = name, desc, permOptions(data.Permissions, perms)
		}
	})
}

// deleteRole removes a role nobody holds; the default roles stay.
func (d *Dashboard) deleteRole(w http.ResponseWriter, r *http.Request) error {
	_, err := d.Organizations.Roles.DeleteRole(r.Context(), r.PathValue("id"))
	if err == nil {
		return back(w, r, "/dashboard/roles", "deleted")
	}
	return d.refuseRolesForm(w, r, err, func(data *rolesData, msg string) { data.row(r.PathValue("id"), msg) })
}

// createPermission adds a custom permission, org:<feature>:<action>.
func (d *Dashboard) createPermission(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name, key, desc := f.Get("name"), strings.TrimSpace(f.Get("key")), f.Get("description")
	_, err := d.Organizations.Roles.CreatePermission(r.Context(),
		organization.PermissionParams{Name: &name, Key: &key, Description: &desc})
	if err == nil {
		return back(w, r, "/dashboard/roles", "created")
	}
	return d.refuseRolesForm(w, r, err, func(data *rolesData, msg string) {
		data.PermName, data.PermKey, data.PermDescription, data.PermissionsError = name, key, desc, msg
	})
}

// deletePermission removes a custom permission, from the roles too; the
// system ones are built in.
func (d *Dashboard) deletePermission(w http.ResponseWriter, r *http.Request) error {
	_, err := d.Organizations.Roles.DeletePermission(r.Context(), r.PathValue("id"))
	if err == nil {
		return back(w, r, "/dashboard/roles", "deleted")
	}
	return d.refuseRolesForm(w, r, err, func(data *rolesData, msg string) { data.PermissionsError = msg })
}
