package organization

// Role is a set of permissions a member holds, by key (org:admin).
type Role struct {
	Key         string
	Name        string
	Description string
	Permissions []string
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

// Clerk's default roles: the creator of an organization is its admin,
// invited users are members.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// defaultRoles are the roles every instance starts with, as Clerk's.
var defaultRoles = []Role{
	{Key: RoleAdmin, Name: "Admin", Description: "Role with elevated permissions.", Permissions: []string{
		PermProfileManage, PermProfileDelete, PermMembershipsRead, PermMembershipsManage, PermDomainsRead, PermDomainsManage,
		PermBillingRead, PermBillingManage}},
	{Key: RoleMember, Name: "Member", Description: "Role with non-elevated permissions.", Permissions: []string{
		PermMembershipsRead, PermBillingRead}},
}

// RoleByKey returns a role of the instance, or nil.
func RoleByKey(key string) *Role {
	for i := range defaultRoles {
		if defaultRoles[i].Key == key {
			r := defaultRoles[i]
			return &r
		}
	}
	return nil
}

// Roles lists the instance's roles.
func Roles() []Role { return append([]Role(nil), defaultRoles...) }

// HasPermission reports whether role holds perm.
func HasPermission(role, perm string) bool {
	r := RoleByKey(role)
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
func IsAdmin(role string) bool { return HasPermission(role, PermMembershipsManage) }
