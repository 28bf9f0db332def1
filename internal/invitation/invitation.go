// Package invitation holds invitations to sign up: who is invited, the
// signed single-use ticket in the invitation link, and the rules for
// creating, listing and revoking them.
package invitation

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
)

// Statuses. Pending, accepted and revoked are stored; an invitation whose
// expiry passed while pending reads as expired (and is stored so when a
// new invitation for the address replaces it).
const (
	Pending  = "pending"
	Accepted = "accepted"
	Revoked  = "revoked"
	Expired  = "expired"
)

// Invitation is one invitation. Times are Unix milliseconds.
type Invitation struct {
	ID             string
	EmailAddress   string
	PublicMetadata json.RawMessage // a JSON object, copied onto the user on sign-up
	RedirectURL    *string
	Status         string // as stored
	ExpiresAt      *int64
	AcceptedUserID *string
	CreatedAt      int64
	UpdatedAt      int64
}

// StatusAt is the status as a client sees it at now (Unix ms).
func (i *Invitation) StatusAt(now int64) string {
	if i.Status == Pending && i.ExpiresAt != nil && *i.ExpiresAt <= now {
		return Expired
	}
	return i.Status
}

// Order is a sort order for List.
type Order struct {
	Field string // created_at, email_address or expires_at
	Desc  bool
}

// Query selects invitations for List.
type Query struct {
	// Statuses keeps invitations in any of them; empty means every
	// status but revoked.
	Statuses []string
	// Search matches part of the email address, or the whole ID.
	Search        string
	Order         Order
	Limit, Offset int
	Now           int64
}

// New is an invitation to store, with the email that announces it.
type New struct {
	Invitation *Invitation
	Email      *delivery.Message // nil: nobody is notified
	// ReplacePending revokes a pending invitation to the same address
	// instead of refusing with Duplicate.
	ReplacePending bool
	// IgnoreUsers invites an address that belongs to a user instead of
	// refusing with AccountExists.
	IgnoreUsers bool
}

// Store persists invitations.
type Store interface {
	// CreateInvitations stores the invitations and their emails in one
	// transaction, all or none. Pending invitations past their expiry
	// are marked expired first, so they do not block a new one.
	CreateInvitations(ctx context.Context, items []New, now int64) error
	// Invitations returns a page and the total count of matches.
	Invitations(ctx context.Context, q Query) ([]Invitation, int64, error)
	// Invitation returns one invitation by ID.
	Invitation(ctx context.Context, id string) (*Invitation, error)
	// RevokeInvitation revokes a pending or expired invitation.
	RevokeInvitation(ctx context.Context, id string, now int64) (*Invitation, error)
	// DeleteInvitation erases an invitation of any status and the
	// invitation emails stored for its address.
	DeleteInvitation(ctx context.Context, id string) error
}

// NotFound is the 404 for an unknown invitation ID.
func NotFound(id string) error {
	return errs.ResourceNotFound("not found", "No invitation was found with id "+id)
}

// Duplicate is the error for a second pending invitation to an address.
func Duplicate(email string) error {
	return errs.New(errs.BadRequest, "duplicate_record", "duplicate invitation",
		"There is already a pending invitation for "+email+". Revoke it first, or pass ignore_existing to replace it.").WithParam("email_address")
}

// AccountExists is the error for inviting an address that belongs to a
// user already.
func AccountExists(email string) error {
	return errs.New(errs.Invalid, "form_identifier_exists", "That email address is taken.",
		"A user with the email address "+email+" already exists. Pass ignore_existing to invite it anyway.").WithParam("email_address")
}

// AlreadyRevoked and AlreadyAccepted refuse revoking twice or after use.
func AlreadyRevoked() error {
	return errs.New(errs.BadRequest, "invitation_already_revoked", "invitation already revoked",
		"Only active (i.e. non-revoked) invitations can be revoked. This invitation is already revoked.")
}

// AlreadyAccepted refuses revoking an invitation that was used.
func AlreadyAccepted() error {
	return errs.New(errs.BadRequest, "invitation_already_accepted", "invitation already accepted",
		"This invitation was already accepted, so it cannot be revoked.")
}
