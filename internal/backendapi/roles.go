package backendapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/respond"
)

// RoleJSON is Clerk's role object.
type RoleJSON struct {
	Object            string           `json:"object"`
	ID                string           `json:"id"`
	Key               string           `json:"key"`
	Name              string           `json:"name"`
	Description       string           `json:"description"`
	IsCreatorEligible bool             `json:"is_creator_eligible"`
	Permissions       []PermissionJSON `json:"permissions"`
	CreatedAt         int64            `json:"created_at"`
	UpdatedAt         int64            `json:"updated_at"`
}

// PermissionJSON is Clerk's permission object.
type PermissionJSON struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

// PermissionObject renders a permission.
func PermissionObject(p organization.Permission) PermissionJSON {
	typ := "user"
	if p.System {
		typ = "system"
	}
	return PermissionJSON{Object: "permission", ID: p.ID, Key: p.Key, Name: p.Name, Description: p.Description, Type: typ,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// RoleObject renders a role with its permissions as set knows them.
func RoleObject(set *organization.RoleSet, r *organization.Role) RoleJSON {
	out := RoleJSON{Object: "role", ID: r.ID, Key: r.Key, Name: r.Name, Description: r.Description,
		IsCreatorEligible: set.Has(r.Key, organization.PermMembershipsManage), Permissions: []PermissionJSON{},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, k := range r.Permissions {
		if p, ok := set.Permission(k); ok {
			out.Permissions = append(out.Permissions, PermissionObject(p))
		}
	}
	return out
}

// sortPage filters by query (name or key), orders (created_at, name, key;
// created_at by default) and pages a small in-memory list.
func sortPage[T any](v url.Values, items []T, name, key func(T) string, created func(T) int64) ([]T, int64, error) {
	limit, offset, err := limitOffset(v)
	if err != nil {
		return nil, 0, err
	}
	order, err := orderParam(v, "created_at", "name", "key")
	if err != nil {
		return nil, 0, err
	}
	q := strings.ToLower(v.Get("query"))
	kept := items[:0:0]
	for _, it := range items {
		if q == "" || strings.Contains(strings.ToLower(name(it)), q) || strings.Contains(strings.ToLower(key(it)), q) {
			kept = append(kept, it)
		}
	}
	desc := !strings.HasPrefix(order, "+")
	field := strings.TrimLeft(order, "+-")
	less := func(x, y T) bool {
		switch field {
		case "name":
			return name(x) < name(y)
		case "key":
			return key(x) < key(y)
		}
		return created(x) < created(y)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if desc {
			return less(kept[j], kept[i])
		}
		return less(kept[i], kept[j])
	})
	total := int64(len(kept))
	if offset > len(kept) {
		offset = len(kept)
	}
	kept = kept[offset:]
	if len(kept) > limit {
		kept = kept[:limit]
	}
	return kept, total, nil
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return err
	}
	page, total, err := sortPage(r.URL.Query(), set.Roles(), func(x organization.Role) string { return x.Name },
		func(x organization.Role) string { return x.Key }, func(x organization.Role) int64 { return x.CreatedAt })
	if err != nil {
		return err
	}
	out := make([]RoleJSON, len(page))
	for i := range page {
		out[i] = RoleObject(set, &page[i])
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

// respondRole renders a role with the set as it is after a change.
func (a *API) respondRole(w http.ResponseWriter, r *http.Request, role *organization.Role) error {
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, RoleObject(set, role))
	return nil
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request) error {
	set, err := a.Organizations.RoleSet(r.Context())
	if err != nil {
		return err
	}
	for _, role := range set.Roles() {
		if role.ID == r.PathValue("role_id") {
			respond.JSON(w, http.StatusOK, RoleObject(set, &role))
			return nil
		}
	}
	return organization.RoleNotFound(r.PathValue("role_id"))
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request) error {
	var p organization.RoleParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	role, err := a.Organizations.Roles.CreateRole(r.Context(), p)
	if err != nil {
		return err
	}
	return a.respondRole(w, r, role)
}

func (a *API) updateRole(w http.ResponseWriter, r *http.Request) error {
	var p organization.RoleParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	role, err := a.Organizations.Roles.UpdateRole(r.Context(), r.PathValue("role_id"), p)
	if err != nil {
		return err
	}
	return a.respondRole(w, r, role)
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) error {
	role, err := a.Organizations.Roles.DeleteRole(r.Context(), r.PathValue("role_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "role", ID: role.ID, Deleted: true})
	return nil
}

func (a *API) setRolePermission(on bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		role, err := a.Organizations.Roles.SetRolePermission(r.Context(), r.PathValue("role_id"), r.PathValue("permission_id"), on)
		if err != nil {
			return err
		}
		return a.respondRole(w, r, role)
	}
}

func (a *API) listPermissions(w http.ResponseWriter, r *http.Request) error {
	perms, err := a.Organizations.Roles.Permissions(r.Context())
	if err != nil {
		return err
	}
	page, total, err := sortPage(r.URL.Query(), perms, func(x organization.Permission) string { return x.Name },
		func(x organization.Permission) string { return x.Key }, func(x organization.Permission) int64 { return x.CreatedAt })
	if err != nil {
		return err
	}
	out := make([]PermissionJSON, len(page))
	for i, p := range page {
		out[i] = PermissionObject(p)
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) getPermission(w http.ResponseWriter, r *http.Request) error {
	perms, err := a.Organizations.Roles.Permissions(r.Context())
	if err != nil {
		return err
	}
	for _, p := range perms {
		if p.ID == r.PathValue("permission_id") {
			respond.JSON(w, http.StatusOK, PermissionObject(p))
			return nil
		}
	}
	return organization.PermissionNotFound(r.PathValue("permission_id"))
}

func (a *API) createPermission(w http.ResponseWriter, r *http.Request) error {
	var p organization.PermissionParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	perm, err := a.Organizations.Roles.CreatePermission(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, PermissionObject(*perm))
	return nil
}

func (a *API) updatePermission(w http.ResponseWriter, r *http.Request) error {
	var p organization.PermissionParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	perm, err := a.Organizations.Roles.UpdatePermission(r.Context(), r.PathValue("permission_id"), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, PermissionObject(*perm))
	return nil
}

func (a *API) deletePermission(w http.ResponseWriter, r *http.Request) error {
	perm, err := a.Organizations.Roles.DeletePermission(r.Context(), r.PathValue("permission_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "permission", ID: perm.ID, Deleted: true})
	return nil
}
