package organization

import (
	"math/big"
	"sort"
	"strings"
)

// Role is a set of permissions a member holds, by key (org:admin).
type Role struct {
	ID          string
	Key         string
	Name        string
	Description string
	// Permissions are permission keys, system and custom.
	Permissions []string
	CreatedAt   int64
	UpdatedAt   int64
}

// Permission is a custom permission, org:<feature>:<action>, or one of
// Clerk's system permissions (org:sys_…), which are built in.
type Permission struct {
	ID          string
	Key         string
	Name        string
	Description string
	System      bool
	CreatedAt   int64
	UpdatedAt   int64
}

// Clerk's system permissions.
const (
	PermProfileManage     = "org:sys_profile:manage"
	PermProfileDelete     = "org:sys_profile:delete"
	PermMembershipsRead   = "org:sys_memberships:read"
	PermMembershipsManage = "org:sys_memberships:manage"
	PermDomainsRead       = "org:sys_domains:read"
	PermDomainsManage     = "org:sys_domains:manage"
	PermBillingRead       = "org:sys_billing:read"
	PermBillingManage     = "org:sys_billing:manage"
)

// SystemPermissions are built in, with stable IDs.
var SystemPermissions = []Permission{
	sysPerm(PermProfileManage, "Manage organization", "Permission to manage an organization."),
	sysPerm(PermProfileDelete, "Delete organization", "Permission to delete an organization."),
	sysPerm(PermMembershipsRead, "Read members", "Permission to read the members of an organization."),
	sysPerm(PermMembershipsManage, "Manage members", "Permission to manage the members of an organization."),
	sysPerm(PermDomainsRead, "Read domains", "Permission to read the domains of an organization."),
	sysPerm(PermDomainsManage, "Manage domains", "Permission to manage the domains of an organization."),
	sysPerm(PermBillingRead, "Read billing", "Permission to read the billing of an organization."),
	sysPerm(PermBillingManage, "Manage billing", "Permission to manage the billing of an organization."),
}

func sysPerm(key, name, desc string) Permission {
	return Permission{ID: "perm_" + strings.ReplaceAll(strings.TrimPrefix(key, "org:"), ":", "_"), Key: key, Name: name,
		Description: desc, System: true}
}

// Clerk's default roles: the creator of an organization is its admin,
// invited users are members.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// DefaultRoles are the roles every instance starts with, as Clerk's;
// they are stored at start and may be edited like any other.
func DefaultRoles() []Role {
	return []Role{
		{ID: "role_admin", Key: RoleAdmin, Name: "Admin", Description: "Role with elevated permissions.", Permissions: []string{
			PermProfileManage, PermProfileDelete, PermMembershipsRead, PermMembershipsManage, PermDomainsRead, PermDomainsManage,
			PermBillingRead, PermBillingManage}},
		{ID: "role_member", Key: RoleMember, Name: "Member", Description: "Role with non-elevated permissions.", Permissions: []string{
			PermMembershipsRead, PermBillingRead}},
	}
}

// RoleSet is the instance's roles and permissions at one moment, read
// once and shared: authorisation and rendering look roles up in it.
type RoleSet struct {
	roles []Role
	byKey map[string]int
	// custom permissions, by key.
	perms map[string]Permission
	// claims are each role's packed token claims, computed once.
	claims map[string][3]string
}

// NewRoleSet builds a set from stored roles and custom permissions.
func NewRoleSet(roles []Role, perms []Permission) *RoleSet {
	rs := &RoleSet{roles: roles, byKey: map[string]int{}, perms: map[string]Permission{}}
	for i, r := range roles {
		rs.byKey[r.Key] = i
	}
	for _, p := range perms {
		rs.perms[p.Key] = p
	}
	rs.claims = map[string][3]string{}
	for _, r := range roles {
		fea, per, fpm := packClaims(r.Permissions)
		rs.claims[r.Key] = [3]string{fea, per, fpm}
	}
	return rs
}

// defaultSet serves a Service without a catalog (tests, tools).
var defaultSet = NewRoleSet(DefaultRoles(), nil)

// Role returns a role by key, or nil.
func (rs *RoleSet) Role(key string) *Role {
	if i, ok := rs.byKey[key]; ok {
		return &rs.roles[i]
	}
	return nil
}

// Roles lists the roles, in their stored order.
func (rs *RoleSet) Roles() []Role { return rs.roles }

// Has reports whether role holds perm.
func (rs *RoleSet) Has(role, perm string) bool {
	r := rs.Role(role)
	if r == nil {
		return false
	}
	for _, p := range r.Permissions {
		if p == perm {
			return true
		}
	}
	return false
}

// IsAdmin reports whether role may manage memberships: the admins an
// organization must keep one of.
func (rs *RoleSet) IsAdmin(role string) bool { return rs.Has(role, PermMembershipsManage) }

// Permission returns a permission, system or custom, by key.
func (rs *RoleSet) Permission(key string) (Permission, bool) {
	for _, p := range SystemPermissions {
		if p.Key == key {
			return p, true
		}
	}
	p, ok := rs.perms[key]
	return p, ok
}

// RoleName is a role's name, or "" for an unknown role.
func (rs *RoleSet) RoleName(key string) string {
	if r := rs.Role(key); r != nil {
		return r.Name
	}
	return ""
}

// RolePermissions are a role's permission keys (empty for an unknown
// role), never nil.
func (rs *RoleSet) RolePermissions(key string) []string {
	if r := rs.Role(key); r != nil && r.Permissions != nil {
		return r.Permissions
	}
	return []string{}
}

// TokenClaims packs a role's custom permissions as Clerk's v2 session
// token carries them: fea lists the features ("o:<feature>"), per the
// actions, and fpm, one decimal per feature, the bitmask of its actions
// (bit i, least significant first, for the i-th action). System
// permissions stay out of tokens, as Clerk's. All three are empty when
// the role holds no custom permission.
func (rs *RoleSet) TokenClaims(role string) (fea, per, fpm string) {
	c := rs.claims[role]
	return c[0], c[1], c[2]
}

func packClaims(perms []string) (fea, per, fpm string) {
	byFeature := map[string]map[string]bool{}
	actionSet := map[string]bool{}
	for _, p := range perms {
		feature, action, ok := splitPermission(p)
		if !ok || strings.HasPrefix(feature, "sys_") {
			continue
		}
		if byFeature[feature] == nil {
			byFeature[feature] = map[string]bool{}
		}
		byFeature[feature][action], actionSet[action] = true, true
	}
	if len(byFeature) == 0 {
		return "", "", ""
	}
	features, actions := sortedKeys(byFeature), sortedKeys(actionSet)
	feas, masks := make([]string, len(features)), make([]string, len(features))
	for i, f := range features {
		mask := new(big.Int) // any number of actions
		for j, a := range actions {
			if byFeature[f][a] {
				mask.SetBit(mask, j, 1)
			}
		}
		feas[i], masks[i] = "o:"+f, mask.String()
	}
	return strings.Join(feas, ","), strings.Join(actions, ","), strings.Join(masks, ",")
}

// splitPermission reads org:<feature>:<action>.
func splitPermission(key string) (feature, action string, ok bool) {
	parts := strings.Split(key, ":")
	if len(parts) != 3 || parts[0] != "org" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
