// Package organization holds organizations (Clerk's tenants), their
// memberships and the roles members hold, the rules they obey, and the
// Store interface that persists them.
package organization

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/user"
)

// Organization is a tenant. Times are Unix milliseconds.
type Organization struct {
	ID       string
	Name     string
	Slug     string
	ImageURL *string
	// MaxAllowedMemberships bounds the members; 0 is no bound.
	MaxAllowedMemberships int
	AdminDeleteEnabled    bool
	PublicMetadata        json.RawMessage
	PrivateMetadata       json.RawMessage
	CreatedBy             string
	// MembersCount is read, never written: the store counts.
	MembersCount int64
	CreatedAt    int64
	UpdatedAt    int64
}

// Membership is a user's place in an organization.
type Membership struct {
	ID              string
	OrganizationID  string
	UserID          string
	Role            string
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	CreatedAt       int64
	UpdatedAt       int64
}

// MembershipEvent is what an organizationMembership.* webhook event
// renders: the membership with its organization and its user.
type MembershipEvent struct {
	Membership   *Membership
	Organization *Organization
	User         *user.User
}

// Standing is what the last-admin rule reads of an organization, counted
// under its lock: its members, and the roles of the others than the
// member at hand.
type Standing struct {
	Members int64
	// OtherRoles counts the other members by role.
	OtherRoles map[string]int
}

// otherAdmins counts the other members whose role is an admin's.
func (st Standing) otherAdmins(set *RoleSet) int {
	n := 0
	for role, c := range st.OtherRoles {
		if set.IsAdmin(role) {
			n += c
		}
	}
	return n
}

// Query selects a page of organizations.
type Query struct {
	// Query matches a substring of the ID, name or slug.
	Query string
	// UserIDs keeps organizations any of these users belongs to.
	UserIDs []string
	// CreatedBy keeps the organizations a user created.
	CreatedBy string
	// OrderBy is a column (created_at, name, members_count) with + or -.
	OrderBy string
	Limit   int
	Offset  int
}

// MembershipQuery selects a page of memberships: of one organization, of
// one user, or instance-wide.
type MembershipQuery struct {
	OrganizationID string
	UserIDs        []string
	Roles          []string
	// OrderBy is created_at or role (Clerk's), with + or -.
	OrderBy string
	Limit   int
	Offset  int
	// NoTotal skips counting the matches (the total is returned as -1),
	// for a caller that shows the page only.
	NoTotal bool
}

// Store persists organizations and memberships. Slugs are unique, and so is
// a user's membership of an organization: the store reports a violation as
// the error the rules name (ErrSlugTaken, ErrAlreadyMember).
type Store interface {
	InvitationStore
	DomainStore
	// CreateOrganization stores o and, if creator is not nil, the
	// creator's membership, in one transaction.
	CreateOrganization(ctx context.Context, o *Organization, creator *Membership) error
	// Organization finds one by ID or, failing that, by slug.
	Organization(ctx context.Context, idOrSlug string) (*Organization, error)
	// UpdateOrganization loads, lets fn change, and stores, in one
	// transaction.
	UpdateOrganization(ctx context.Context, id string, fn func(*Organization) error) (*Organization, error)
	DeleteOrganization(ctx context.Context, id string) error
	ListOrganizations(ctx context.Context, q Query) ([]*Organization, int64, error)

	// CreateMembership stores m unless the organization is full (its
	// max_allowed_memberships) or the user is a member already.
	CreateMembership(ctx context.Context, m *Membership) error
	// UpdateMembership changes a membership in one transaction, under the
	// organization's lock; fn sees where the organization stands then.
	UpdateMembership(ctx context.Context, orgID, userID string, fn func(m *Membership, st Standing) error) (*Membership, error)
	// DeleteMembership removes a membership; keep is asked, in the
	// transaction, whether the organization may lose it.
	DeleteMembership(ctx context.Context, orgID, userID string, keep func(m *Membership, st Standing) error) (*Membership, error)
	ListMemberships(ctx context.Context, q MembershipQuery) ([]*Membership, int64, error)
	// MemberOf returns a user's membership of an organization and the
	// organization, in one read (a session token's o claim is minted
	// from it); not a member is MembershipNotFound.
	MemberOf(ctx context.Context, orgID, userID string) (*Membership, *Organization, error)
	// OrganizationsByID reads many organizations at once, for rendering
	// a page of memberships.
	OrganizationsByID(ctx context.Context, ids []string) (map[string]*Organization, error)
}
