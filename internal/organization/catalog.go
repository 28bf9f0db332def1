package organization

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
)

// RoleStore persists roles and custom permissions. Keys are unique; the
// store reports a taken one as ErrKeyTaken.
type RoleStore interface {
	// EnsureRoles stores the default roles unless their keys exist.
	EnsureRoles(ctx context.Context, defaults []Role, now int64) error
	ListRoles(ctx context.Context) ([]Role, error)
	ListPermissions(ctx context.Context) ([]Permission, error)
	CreateRole(ctx context.Context, r *Role) error
	// UpdateRole changes a role; a changed key is carried over to the
	// memberships and invitations holding the old one, in the same
	// transaction.
	UpdateRole(ctx context.Context, id string, fn func(*Role) error) (*Role, string, error)
	// DeleteRole removes a role nobody holds (ErrRoleInUse otherwise).
	DeleteRole(ctx context.Context, id string) (*Role, error)
	CreatePermission(ctx context.Context, p *Permission) error
	// UpdatePermission changes a permission; a changed key is carried
	// over to the roles holding it.
	UpdatePermission(ctx context.Context, id string, fn func(*Permission) error) (*Permission, error)
	// DeletePermission removes a permission and takes it from the roles.
	DeletePermission(ctx context.Context, id string) (*Permission, error)
}

// Errors of the role rules.
var (
	ErrKeyTaken = errs.New(errs.Invalid, "form_identifier_exists", "This key is taken.",
		"Another role or permission already has this key.").WithParam("key")
	ErrRoleInUse = errs.New(errs.BadRequest, "organization_role_assigned_to_members", "Role in use",
		"Members or pending invitations hold this role: give them another first.")
	ErrDefaultRole = errs.New(errs.BadRequest, "organization_role_is_default", "Default role",
		"The creator's role (org:admin) and the default member role (org:member) cannot be deleted.")
	ErrSystemPermission = errs.New(errs.BadRequest, "system_permission_immutable", "System permission",
		"System permissions (org:sys_…) are built in: they cannot be created, changed or deleted.")
)

// RoleNotFound and PermissionNotFound are the 404s of unknown IDs.
func RoleNotFound(id string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No role was found with id "+id+".")
}

// PermissionNotFound is the 404 of an unknown permission.
func PermissionNotFound(id string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No permission was found with id "+id+".")
}

// Catalog serves the instance's role set, read from the store and kept
// for a short while: authorisation reads it on every organization
// request. Changes made here take effect at once in this process, and
// within TTL in others.
type Catalog struct {
	Store RoleStore
	TTL   time.Duration
	Now   func() time.Time

	mu     sync.Mutex
	set    *RoleSet
	last   *RoleSet // before the latest change, for Cached
	loaded time.Time
	seeded bool
}

// Set returns the current role set.
func (c *Catalog) Set(ctx context.Context) (*RoleSet, error) {
	if c == nil {
		return defaultSet, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if c.set != nil && now.Sub(c.loaded) < c.TTL {
		return c.set, nil
	}
	if !c.seeded {
		if err := c.Store.EnsureRoles(ctx, DefaultRoles(), now.UnixMilli()); err != nil {
			return nil, err
		}
		c.seeded = true
	}
	roles, err := c.Store.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	perms, err := c.Store.ListPermissions(ctx)
	if err != nil {
		return nil, err
	}
	c.set, c.last, c.loaded = NewRoleSet(roles, perms), nil, now
	return c.set, nil
}

// Cached returns the set as last read, or the default roles before the
// first read; it never reads the store.
func (c *Catalog) Cached() *RoleSet {
	if c == nil {
		return defaultSet
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil {
		if c.last != nil {
			return c.last
		}
		return defaultSet
	}
	return c.set
}

// forget drops the cached set after a change.
func (c *Catalog) forget() {
	c.mu.Lock()
	c.last, c.set = c.set, nil
	c.mu.Unlock()
}

// RoleParams are Clerk's create/update-role fields; Permissions are
// permission IDs or keys.
type RoleParams struct {
	Name        *string   `json:"name"`
	Key         *string   `json:"key"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
	// IncludeInInitialRoleSet is accepted for Clerk's clients; every
	// role belongs to the instance's one role set.
	IncludeInInitialRoleSet *bool `json:"include_in_initial_role_set"`
}

// CreateRole adds a role.
func (c *Catalog) CreateRole(ctx context.Context, p RoleParams) (*Role, error) {
	set, err := c.Set(ctx)
	if err != nil {
		return nil, err
	}
	if p.Key == nil {
		return nil, errs.ParamMissing("key")
	}
	now := c.Now().UnixMilli()
	r := &Role{ID: id.New("role_"), Permissions: []string{}, CreatedAt: now, UpdatedAt: now}
	if err := applyRole(set, r, p, true); err != nil {
		return nil, err
	}
	if err := c.Store.CreateRole(ctx, r); err != nil {
		return nil, err
	}
	c.forget()
	return r, nil
}

// UpdateRole changes a role.
func (c *Catalog) UpdateRole(ctx context.Context, roleID string, p RoleParams) (*Role, error) {
	set, err := c.Set(ctx)
	if err != nil {
		return nil, err
	}
	r, _, err := c.Store.UpdateRole(ctx, roleID, func(r *Role) error {
		if p.Key != nil && *p.Key != r.Key && (r.Key == RoleAdmin || r.Key == RoleMember) {
			return errs.ParamFormat("key", "The keys of the default roles cannot change.")
		}
		r.UpdatedAt = c.Now().UnixMilli()
		if err := applyRole(set, r, p, false); err != nil {
			return err
		}
		return creatorKeepsManage(r)
	})
	if err == nil {
		c.forget()
	}
	return r, err
}

// SetRolePermission gives a role a permission (on) or takes it (off).
func (c *Catalog) SetRolePermission(ctx context.Context, roleID, permID string, on bool) (*Role, error) {
	set, err := c.Set(ctx)
	if err != nil {
		return nil, err
	}
	key, ok := permissionKey(set, permID)
	if !ok {
		return nil, PermissionNotFound(permID)
	}
	r, _, err := c.Store.UpdateRole(ctx, roleID, func(r *Role) error {
		kept := r.Permissions[:0:0]
		for _, k := range r.Permissions {
			if k != key {
				kept = append(kept, k)
			}
		}
		if on {
			kept = append(kept, key)
		}
		r.Permissions, r.UpdatedAt = kept, c.Now().UnixMilli()
		return creatorKeepsManage(r)
	})
	if err == nil {
		c.forget()
	}
	return r, err
}

// DeleteRole removes a role no member or pending invitation holds; the
// default roles stay.
func (c *Catalog) DeleteRole(ctx context.Context, roleID string) (*Role, error) {
	set, err := c.Set(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range set.Roles() {
		if r.ID == roleID && (r.Key == RoleAdmin || r.Key == RoleMember) {
			return nil, ErrDefaultRole
		}
	}
	r, err := c.Store.DeleteRole(ctx, roleID)
	if err == nil {
		c.forget()
	}
	return r, err
}

// PermissionParams are Clerk's create/update-permission fields.
type PermissionParams struct {
	Name        *string `json:"name"`
	Key         *string `json:"key"`
	Description *string `json:"description"`
}

// CreatePermission adds a custom permission, org:<feature>:<action>.
func (c *Catalog) CreatePermission(ctx context.Context, p PermissionParams) (*Permission, error) {
	if p.Name == nil {
		return nil, errs.ParamMissing("name")
	}
	if p.Key == nil {
		return nil, errs.ParamMissing("key")
	}
	now := c.Now().UnixMilli()
	perm := &Permission{ID: id.New("perm_"), CreatedAt: now, UpdatedAt: now}
	if err := applyPermission(perm, p); err != nil {
		return nil, err
	}
	if err := c.Store.CreatePermission(ctx, perm); err != nil {
		return nil, err
	}
	c.forget()
	return perm, nil
}

// UpdatePermission changes a custom permission.
func (c *Catalog) UpdatePermission(ctx context.Context, permID string, p PermissionParams) (*Permission, error) {
	if isSystemID(permID) {
		return nil, ErrSystemPermission
	}
	perm, err := c.Store.UpdatePermission(ctx, permID, func(perm *Permission) error {
		perm.UpdatedAt = c.Now().UnixMilli()
		return applyPermission(perm, p)
	})
	if err == nil {
		c.forget()
	}
	return perm, err
}

// DeletePermission removes a custom permission from the instance and
// from every role.
func (c *Catalog) DeletePermission(ctx context.Context, permID string) (*Permission, error) {
	if isSystemID(permID) {
		return nil, ErrSystemPermission
	}
	perm, err := c.Store.DeletePermission(ctx, permID)
	if err == nil {
		c.forget()
	}
	return perm, err
}

// Permissions lists the system permissions, then the custom ones.
func (c *Catalog) Permissions(ctx context.Context) ([]Permission, error) {
	custom, err := c.Store.ListPermissions(ctx)
	if err != nil {
		return nil, err
	}
	return append(append([]Permission{}, SystemPermissions...), custom...), nil
}

// creatorKeepsManage refuses taking the permission to manage members from
// the creator's role: creators would make organizations nobody can
// manage, and the last-admin rule would protect nothing.
func creatorKeepsManage(r *Role) error {
	if r.Key != RoleAdmin {
		return nil
	}
	for _, p := range r.Permissions {
		if p == PermMembershipsManage {
			return nil
		}
	}
	return errs.New(errs.BadRequest, "organization_minimum_permissions_needed",
		"There has to be at least one role with the minimum required permissions",
		"The creator's role (org:admin) must keep org:sys_memberships:manage.")
}

func isSystemID(permID string) bool {
	for _, p := range SystemPermissions {
		if p.ID == permID {
			return true
		}
	}
	return false
}

// permissionKey resolves a permission given by ID or key.
func permissionKey(set *RoleSet, idOrKey string) (string, bool) {
	if p, ok := set.Permission(idOrKey); ok {
		return p.Key, true
	}
	for _, p := range SystemPermissions {
		if p.ID == idOrKey {
			return p.Key, true
		}
	}
	for _, p := range set.perms {
		if p.ID == idOrKey {
			return p.Key, true
		}
	}
	return "", false
}

func applyRole(set *RoleSet, r *Role, p RoleParams, creating bool) error {
	if p.Name != nil || creating {
		name, err := validLabel("name", p.Name)
		if err != nil {
			return err
		}
		r.Name = name
	}
	if p.Key != nil {
		if !validKey(*p.Key, 1) {
			return errs.ParamFormat("key", "A role's key is org:<name>: lowercase letters, digits and underscores.")
		}
		r.Key = *p.Key
	}
	if p.Description != nil {
		if utf8.RuneCountInString(*p.Description) > 1000 {
			return errs.ParamFormat("description", "description must be at most 1000 characters.")
		}
		r.Description = *p.Description
	}
	if p.Permissions != nil {
		keys := []string{}
		seen := map[string]bool{}
		for _, v := range *p.Permissions {
			k, ok := permissionKey(set, v)
			if !ok {
				return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
					"No permission "+v+" exists: create it first.").WithParam("permissions")
			}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		r.Permissions = keys
	}
	return nil
}

func applyPermission(perm *Permission, p PermissionParams) error {
	if p.Name != nil {
		name, err := validLabel("name", p.Name)
		if err != nil {
			return err
		}
		perm.Name = name
	}
	if p.Key != nil {
		if !validKey(*p.Key, 2) || strings.HasPrefix(*p.Key, "org:sys_") {
			return errs.ParamFormat("key", "A permission's key is org:<feature>:<action> (lowercase letters, digits and underscores; org:sys_ is reserved).")
		}
		perm.Key = *p.Key
	}
	if p.Description != nil {
		if utf8.RuneCountInString(*p.Description) > 1000 {
			return errs.ParamFormat("description", "description must be at most 1000 characters.")
		}
		perm.Description = *p.Description
	}
	return nil
}

// validKey checks org: followed by parts (1 for a role, 2 for a
// permission) of lowercase letters, digits and underscores.
func validKey(key string, parts int) bool {
	ps := strings.Split(key, ":")
	if len(ps) != parts+1 || ps[0] != "org" || len(key) > 64 {
		return false
	}
	for _, p := range ps[1:] {
		if p == "" {
			return false
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

func validLabel(param string, p *string) (string, error) {
	if p == nil || strings.TrimSpace(*p) == "" {
		return "", errs.ParamMissing(param)
	}
	v := strings.TrimSpace(*p)
	if utf8.RuneCountInString(v) > 256 || strings.ContainsAny(v, "\x00\r\n") {
		return "", errs.ParamFormat(param, param+" must be at most 256 characters, on one line.")
	}
	return v, nil
}
