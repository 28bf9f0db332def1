// Package signintoken holds the one-time tickets the Backend API mints
// for a user: sign-in tokens (a link that signs the user in) and actor
// tokens (one that signs an operator in as the user, impersonating
// them). Both are consumed by the Frontend API's ticket strategy, once.
package signintoken

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/errs"
)

// Kinds of token, which are also the kinds of their tickets.
const (
	KindSignIn = "sign_in_token"
	KindActor  = "actor_token"
)

// Statuses, as Clerk names them.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Revoked  = "revoked"
)

// Token is a sign-in or actor token. Its ticket is not stored: it is
// signed from the ID, so only its state lives here.
type Token struct {
	ID     string
	Kind   string
	UserID string
	// Actor is the impersonator (an actor token's {"sub": …, …}), the
	// session's act claim; nil for a sign-in token.
	Actor json.RawMessage
	// SessionMaxDuration bounds an impersonated session (seconds).
	SessionMaxDuration int64
	Status             string
	ExpiresAt          int64
	CreatedAt          int64
	UpdatedAt          int64
}

// Store persists tokens. Accepting one happens in the sign-in's own
// transaction (session.Completion.TicketTokenID), so that a token is
// spent exactly when its session exists.
type Store interface {
	CreateTicketToken(ctx context.Context, t *Token) error
	TicketToken(ctx context.Context, kind, id string) (*Token, error)
	// RevokeTicketToken revokes a pending token and returns it; a token
	// no longer pending is returned unchanged with ok false.
	RevokeTicketToken(ctx context.Context, kind, id string, now int64) (t *Token, ok bool, err error)
}

// NotFound answers an unknown token ID.
func NotFound(kind, id string) error {
	what := "sign-in token"
	if kind == KindActor {
		what = "actor token"
	}
	return errs.ResourceNotFound("not found", "No "+what+" was found with id "+id+".")
}

// TicketInvalid is the Frontend API's answer to a ticket that is not one
// of ours, was used or revoked, or names a user who is gone.
func TicketInvalid() error {
	return errs.New(errs.BadRequest, "ticket_invalid_code", "is invalid",
		"This sign-in link is invalid or was already used. Ask for a new one.").WithParam("ticket")
}

// TicketExpired answers a ticket past its expiry.
func TicketExpired() error {
	return errs.New(errs.BadRequest, "ticket_expired_code", "is expired",
		"This sign-in link has expired. Ask for a new one.").WithParam("ticket")
}
