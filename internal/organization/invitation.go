package organization

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
)

// Invitation statuses. Pending, accepted and revoked are stored; a
// pending invitation past its expiry reads as expired.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// Invitation asks an email address to join an organization with a role.
// Times are Unix milliseconds.
type Invitation struct {
	ID              string
	OrganizationID  string
	EmailAddress    string
	Role            string
	InviterUserID   string
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	RedirectURL     *string
	Status          string // as stored
	ExpiresAt       int64
	// UserID is who accepted it.
	UserID    string
	CreatedAt int64
	UpdatedAt int64
}

// StatusAt is the status as a client sees it at now.
func (i *Invitation) StatusAt(now int64) string {
	if i.Status == InvitationPending && i.ExpiresAt <= now {
		return InvitationExpired
	}
	return i.Status
}

// InvitationQuery selects a page of invitations: of one organization, to
// some addresses, or instance-wide.
type InvitationQuery struct {
	OrganizationID string
	EmailAddresses []string
	// Statuses keeps invitations in any of them (expired is a pending
	// one past its expiry); empty is every status.
	Statuses []string
	// Query matches part of the email address.
	Query   string
	OrderBy string // created_at or email_address, with + or -
	Limit   int
	Offset  int
	Now     int64
}

// NewInvitation is an invitation to store with the email announcing it.
type NewInvitation struct {
	Invitation *Invitation
	Email      *delivery.Message // nil: nobody is notified
}

// InvitationEvent is what an organizationInvitation.* webhook event
// renders.
type InvitationEvent struct {
	Invitation   *Invitation
	Organization *Organization
}

// InvitationStore persists invitations. Accepting one and creating its
// membership are one transaction.
type InvitationStore interface {
	// CreateOrgInvitations stores the invitations and their emails, all
	// or none, under the organization's lock: an address that is a
	// member is refused (ErrAlreadyMember), a second pending invitation
	// to an address is Duplicate, and members plus pending invitations
	// stay within max_allowed_memberships.
	CreateOrgInvitations(ctx context.Context, orgID string, items []NewInvitation, now int64) error
	OrgInvitation(ctx context.Context, id string) (*Invitation, error)
	ListOrgInvitations(ctx context.Context, q InvitationQuery) ([]*Invitation, int64, error)
	// RevokeOrgInvitation revokes a pending invitation of an organization.
	RevokeOrgInvitation(ctx context.Context, orgID, id string, now int64) (*Invitation, error)
	// AcceptOrgInvitation marks a pending, unexpired invitation accepted
	// by m's user and creates m, the membership it grants.
	AcceptOrgInvitation(ctx context.Context, id string, m *Membership, now int64) error
}

// InvitationNotFound is the 404 of an unknown invitation.
func InvitationNotFound(id string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No organization invitation was found with id "+id+".")
}

// Duplicate refuses a second pending invitation of an address; Clerk's
// components read the addresses from meta.
func Duplicate(emails ...string) error {
	e := errs.New(errs.BadRequest, "duplicate_record", "duplicate invitation",
		"There are already pending invitations for the following email addresses: "+joinComma(emails)+".").WithParam("email_address")
	e.Meta = map[string]any{"email_addresses": emails}
	return e
}

// AlreadyMember refuses inviting an address of a member; Clerk's
// components read the address from the long message.
func AlreadyMember(email string) error {
	return errs.New(errs.BadRequest, "already_a_member_in_organization", "Already a member",
		email+" is already a member of the organization.")
}

// ErrInvitationNotPending refuses revoking or accepting an invitation
// that was accepted, revoked or has expired.
var ErrInvitationNotPending = errs.New(errs.BadRequest, "organization_invitation_not_pending", "Invitation not pending",
	"Only pending invitations can be revoked or accepted.")

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
