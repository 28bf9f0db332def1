// Package waitlist holds the instance's waitlist: addresses that asked to
// join while sign-up is in waitlist mode, and the rules for inviting,
// rejecting and removing them.
package waitlist

import (
	"context"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/invitation"
)

// Statuses. Pending, invited and rejected are stored; an invited entry
// whose invitation was accepted reads as completed.
const (
	Pending   = "pending"
	Invited   = "invited"
	Completed = "completed"
	Rejected  = "rejected"
)

// Statuses lists every status a client may filter on.
var Statuses = []string{Pending, Invited, Completed, Rejected}

// Entry is one waitlist entry. Times are Unix milliseconds.
type Entry struct {
	ID           string
	EmailAddress string
	Status       string // as read: completed is derived
	// Invitation is the entry's latest invitation, nil before any.
	Invitation *invitation.Invitation
	CreatedAt  int64
	UpdatedAt  int64
}

// Order is a sort order for List.
type Order struct {
	Field string // created_at, email_address or invited_at
	Desc  bool
}

// Query selects entries for List.
type Query struct {
	Statuses      []string // empty: all
	Search        string   // part of the email address, or the whole ID
	Order         Order
	Limit, Offset int
}

// Join is an entry to store unless its address is on the list already,
// with the email confirming it (nil: nobody is notified).
type Join struct {
	Entry *Entry
	Email *delivery.Message
}

// Store persists entries; the email address is unique.
type Store interface {
	// JoinWaitlist stores the entries whose address is not on the list
	// yet, with their emails, in one transaction, and returns each
	// address's entry, new or existing, in order. Concurrent joins of one
	// address leave one entry.
	JoinWaitlist(ctx context.Context, items []Join) ([]*Entry, error)
	// WaitlistEntries returns a page and the total count of matches.
	WaitlistEntries(ctx context.Context, q Query) ([]Entry, int64, error)
	// WaitlistEntry returns one entry by ID.
	WaitlistEntry(ctx context.Context, id string) (*Entry, error)
	// InviteWaitlistEntry stores the invitation (and its email) and marks
	// the entry invited, atomically.
	InviteWaitlistEntry(ctx context.Context, id string, inv invitation.New, now int64) (*Entry, error)
	// RejectWaitlistEntry marks the entry rejected and revokes its
	// pending invitation, so the link sent earlier stops working.
	RejectWaitlistEntry(ctx context.Context, id string, now int64) (*Entry, error)
	// DeleteWaitlistEntry removes an entry.
	DeleteWaitlistEntry(ctx context.Context, id string) error
}

// NotFound is the 404 for an unknown entry ID.
func NotFound(id string) error {
	return errs.ResourceNotFound("not found", "No waitlist entry was found with id "+id)
}

// AlreadyCompleted refuses changing an entry whose invitee signed up.
func AlreadyCompleted() error {
	return errs.New(errs.BadRequest, "waitlist_entry_already_completed", "waitlist entry already completed",
		"The invitee of this waitlist entry has already signed up.")
}
