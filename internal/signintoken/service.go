package signintoken

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/user"
)

// Lifetimes, as Clerk's defaults: a sign-in token lasts 30 days, an
// actor token an hour, and an impersonated session half an hour. The
// upper bounds are ours: a ticket is a bearer credential for an account.
const (
	DefaultSignInSeconds  = 30 * 24 * 3600
	DefaultActorSeconds   = 3600
	DefaultSessionSeconds = 1800
	MaxSeconds            = 365 * 24 * 3600
)

// Users finds the user a token is for.
type Users interface {
	User(ctx context.Context, id string) (*user.User, error)
}

// Service mints, revokes and checks tokens.
type Service struct {
	Store Store
	Users Users
	// Key signs tickets; the instance's ticket secret (invitations use
	// it too, with other kinds).
	Key []byte
	// PublicURL is the Frontend API's, the base of the links.
	PublicURL string
	Now       func() time.Time
}

// CreateParams is POST /v1/sign_in_tokens's and POST /v1/actor_tokens's
// body (the actor fields only for the latter).
type CreateParams struct {
	UserID                      *string         `json:"user_id"`
	ExpiresInSeconds            *int64          `json:"expires_in_seconds"`
	Actor                       json.RawMessage `json:"actor"`
	SessionMaxDurationInSeconds *int64          `json:"session_max_duration_in_seconds"`
}

// Minted is a new token with its ticket and link, shown once.
type Minted struct {
	*Token
	Ticket string
	URL    string
}

// Create mints a token of kind for p.UserID.
func (s *Service) Create(ctx context.Context, kind string, p CreateParams) (*Minted, error) {
	if p.UserID == nil || *p.UserID == "" {
		return nil, errs.ParamMissing("user_id")
	}
	if _, err := s.Users.User(ctx, *p.UserID); err != nil {
		return nil, err
	}
	now := s.Now()
	t := &Token{Kind: kind, UserID: *p.UserID, Status: Pending, CreatedAt: now.UnixMilli(), UpdatedAt: now.UnixMilli()}
	life := int64(DefaultSignInSeconds)
	t.ID = id.NewAt(id.SignInToken, now)
	if kind == KindActor {
		life, t.SessionMaxDuration, t.ID = DefaultActorSeconds, DefaultSessionSeconds, id.NewAt(id.ActorToken, now)
		actor, err := actorClaim(p.Actor)
		if err != nil {
			return nil, err
		}
		t.Actor = actor
		if p.SessionMaxDurationInSeconds != nil {
			if t.SessionMaxDuration = *p.SessionMaxDurationInSeconds; t.SessionMaxDuration < 1 || t.SessionMaxDuration > MaxSeconds {
				return nil, errs.ParamFormat("session_max_duration_in_seconds", "session_max_duration_in_seconds must be between 1 and 31536000.")
			}
		}
	} else if len(p.Actor) > 0 || p.SessionMaxDurationInSeconds != nil {
		return nil, errs.ParamUnknown("actor", "actor is a parameter of actor tokens, not of sign-in tokens.")
	}
	if p.ExpiresInSeconds != nil {
		if life = *p.ExpiresInSeconds; life < 1 || life > MaxSeconds {
			return nil, errs.ParamFormat("expires_in_seconds", "expires_in_seconds must be between 1 and 31536000.")
		}
	}
	t.ExpiresAt = now.Add(time.Duration(life) * time.Second).UnixMilli()
	ticket, err := invitation.SignTicket(s.Key, kind, t.ID, t.CreatedAt, &t.ExpiresAt)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateTicketToken(ctx, t); err != nil {
		return nil, err
	}
	return &Minted{Token: t, Ticket: ticket, URL: s.PublicURL + "/v1/tickets/accept?ticket=" + url.QueryEscape(ticket)}, nil
}

// actorClaim checks an actor: a JSON object naming the impersonator in
// sub, as Clerk requires (it becomes the session token's act claim).
func actorClaim(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, errs.ParamMissing("actor")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errs.ParamFormat("actor", "actor must be an object.")
	}
	if sub, _ := m["sub"].(string); sub == "" {
		return nil, errs.ParamFormat("actor", "actor must name the impersonator in sub.")
	}
	return json.Marshal(m) // compact, keys sorted
}

// Revoke ends a pending token; one already used or revoked is refused.
func (s *Service) Revoke(ctx context.Context, kind, tokenID string) (*Token, error) {
	t, ok, err := s.Store.RevokeTicketToken(ctx, kind, tokenID, s.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.BadRequest, "ticket_not_pending", "cannot be revoked",
			"Only a pending token can be revoked; this one is "+t.Status+".")
	}
	return t, nil
}

// Verify checks a ticket of either kind and returns its token while it
// is pending and unexpired. It does not spend it: the sign-in does, in
// the transaction that creates the session.
func (s *Service) Verify(ctx context.Context, ticket string) (*Token, error) {
	kind := invitation.TicketKind(ticket)
	if kind != KindSignIn && kind != KindActor {
		return nil, TicketInvalid()
	}
	tokenID, err := invitation.ParseTicket(s.Key, kind, ticket, s.Now())
	if e, ok := errs.As(err); ok && e.Code == "ticket_expired_code" {
		return nil, TicketExpired()
	} else if err != nil {
		return nil, TicketInvalid()
	}
	t, err := s.Store.TicketToken(ctx, kind, tokenID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, TicketInvalid()
	} else if err != nil {
		return nil, err
	}
	if t.Status != Pending {
		return nil, TicketInvalid()
	}
	if t.ExpiresAt <= s.Now().UnixMilli() {
		return nil, TicketExpired()
	}
	return t, nil
}

// IsTicket reports whether a ticket is a sign-in or actor token's, to
// route it here rather than to invitations.
func IsTicket(ticket string) bool {
	k := invitation.TicketKind(ticket)
	return k == KindSignIn || k == KindActor
}
