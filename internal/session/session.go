// Package session holds clients (devices or browsers), their sessions,
// and the sign-in and sign-up attempts that create sessions: the rules of
// Clerk's Frontend API flows and of the Backend API's sessions and
// clients, over a Store.
package session

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/user"
)

// Session statuses. Active, ended, revoked and removed are stored;
// expired and abandoned are read from expire_at and abandon_at.
const (
	Active    = "active"
	Ended     = "ended"   // signed out
	Revoked   = "revoked" // by the Backend API, or the user was banned or deleted
	Removed   = "removed" // dropped from its client
	Expired   = "expired"
	Abandoned = "abandoned"
)

// Session is one signed-in session on a client. Times are Unix ms.
type Session struct {
	ID           string
	ClientID     string
	UserID       string
	Status       string
	LastActiveAt int64
	ExpireAt     int64
	AbandonAt    int64
	// LastActiveOrganizationID is the organization the session works
	// in; its token's o claim names it while the user is a member.
	LastActiveOrganizationID *string
	// FactorOneAt and FactorTwoAt are when the user last proved a first
	// and a second factor on this session (Unix ms): at sign-in, then at
	// each reverification. FactorTwoAt is 0 when none was asked.
	FactorOneAt int64
	FactorTwoAt int64
	// Actor is who signed in as the user with an actor token
	// (impersonation): the token's act claim; nil for the user's own.
	Actor     json.RawMessage
	CreatedAt int64
	UpdatedAt int64
}

// FactorAge is the fva claim at now: whole minutes since each factor was
// proved, -1 for a second factor never proved.
func (s *Session) FactorAge(now int64) [2]int {
	one := s.FactorOneAt
	if one == 0 {
		one = s.CreatedAt
	}
	age := [2]int{minutesSince(one, now), -1}
	if s.FactorTwoAt > 0 {
		age[1] = minutesSince(s.FactorTwoAt, now)
	}
	return age
}

func minutesSince(at, now int64) int { return int(max(0, now-at) / 60000) }

// StatusAt is the status a caller sees at now.
func (s *Session) StatusAt(now int64) string {
	if s.Status == Active {
		switch {
		case now >= s.ExpireAt:
			return Expired
		case now >= s.AbandonAt:
			return Abandoned
		}
	}
	return s.Status
}

// Client is a device or browser. Its sessions, sign-in and sign-up are
// loaded with it.
type Client struct {
	ID                  string
	RotatingHash        string
	SignInID            *string
	SignUpID            *string
	LastActiveSessionID *string
	LastAuthStrategy    *string
	CreatedAt           int64
	UpdatedAt           int64

	Sessions []*Session
	SignIn   *SignIn
	SignUp   *SignUp
}

// SignedInChangedAt is when the client's signed-in sessions last changed
// (Unix ms) — the latest sign-in of an active session or end of another
// — or 0 when none is active at now: the __client_uat that server SDKs
// compare session tokens' iat with. Touching a session does not change
// it, so the tokens it mints stay current.
func (c *Client) SignedInChangedAt(now int64) int64 {
	var at int64
	active := false
	for _, s := range c.Sessions {
		if s.StatusAt(now) == Active {
			active = true
			at = max(at, s.CreatedAt)
		} else if s.Status != Active {
			at = max(at, s.UpdatedAt)
		}
	}
	if !active {
		return 0
	}
	return at
}

// Verification is the state of proving one factor: a password, or a code
// sent to an email address or phone number.
type Verification struct {
	Status   string `json:"status"` // unverified, verified, failed, expired
	Strategy string `json:"strategy,omitempty"`
	Attempts int    `json:"attempts"`
	ExpireAt int64  `json:"expire_at,omitempty"`
	// CodeHash is the SHA-256 of the code sent; never shown.
	CodeHash string `json:"code_hash,omitempty"`
	// SentAt throttles re-sends.
	SentAt int64 `json:"sent_at,omitempty"`
	// Reset marks a code sent to reset a password.
	Reset bool `json:"reset,omitempty"`
	// ExternalURL is where a provider's verification sends the browser.
	ExternalURL string `json:"external_url,omitempty"`
	// Error is a failed or transferable external verification's error
	// code (external_account_not_found, oauth_access_denied, …).
	Error string `json:"error,omitempty"`
	// Passkey is a passkey sign-in's ceremony: the options the browser
	// gets as the nonce, and the challenge to check its answer against.
	Passkey *passkey.Ceremony `json:"passkey,omitempty"`
	// VerifiedAtClient is the client whose browser opened an email link
	// ("" for one without a client): clerk-js compares it with its own
	// to tell a link opened in another tab from one opened elsewhere.
	VerifiedAtClient string `json:"verified_at_client,omitempty"`
}

// SignIn is a sign-in attempt.
type SignIn struct {
	ID          string        `json:"id"`
	ClientID    string        `json:"client_id"`
	Status      string        `json:"status"`
	Identifier  string        `json:"identifier,omitempty"`
	UserID      string        `json:"user_id,omitempty"`
	FirstFactor *Verification `json:"first_factor,omitempty"`
	// FirstFactorAt and FirstStrategy record the first factor of a
	// sign-in that then needs a second (SecondFactor).
	FirstFactorAt int64         `json:"first_factor_at,omitempty"`
	FirstStrategy string        `json:"first_strategy,omitempty"`
	SecondFactor  *Verification `json:"second_factor,omitempty"`
	// ClientTrust marks a sign-in asked for a code because the client
	// is new to the user (needs_client_trust).
	ClientTrust bool `json:"client_trust,omitempty"`
	// OrgInvitationID is the organization invitation a ticket sign-in
	// accepts once its second factor is proved.
	OrgInvitationID string `json:"organization_invitation_id,omitempty"`
	// TicketTokenID is the sign-in token a ticket sign-in spends once
	// its second factor is proved.
	TicketTokenID string `json:"ticket_token_id,omitempty"`
	// Actor and ActorSessionSeconds come from an actor token: who the
	// session impersonates the user for, and for how long at most.
	Actor               json.RawMessage `json:"actor,omitempty"`
	ActorSessionSeconds int64           `json:"actor_session_seconds,omitempty"`
	CreatedSessionID    string          `json:"created_session_id,omitempty"`
	// Transfer is the provider's identity of a sign-in that found no
	// account (tokens sealed), for the sign-up it may turn into.
	Transfer  *oauth.Identity `json:"transfer,omitempty"`
	AbandonAt int64           `json:"abandon_at"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

// SignUp is a sign-up attempt.
type SignUp struct {
	ID             string          `json:"id"`
	ClientID       string          `json:"client_id"`
	Status         string          `json:"status"`
	Required       []string        `json:"required,omitempty"`
	EmailAddress   string          `json:"email_address,omitempty"`
	PhoneNumber    string          `json:"phone_number,omitempty"`
	Username       string          `json:"username,omitempty"`
	FirstName      string          `json:"first_name,omitempty"`
	LastName       string          `json:"last_name,omitempty"`
	PasswordDigest string          `json:"password_digest,omitempty"`
	UnsafeMetadata json.RawMessage `json:"unsafe_metadata,omitempty"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	InvitationID   string          `json:"invitation_id,omitempty"`
	// OrgInvitationID is an organization invitation whose ticket vouched
	// for the email address; completing accepts it.
	OrgInvitationID string        `json:"organization_invitation_id,omitempty"`
	Email           *Verification `json:"email,omitempty"`
	Phone           *Verification `json:"phone,omitempty"`
	// External is the provider's identity the account is made with
	// (tokens sealed); ExternalVerification its verification.
	External             *oauth.Identity `json:"external,omitempty"`
	ExternalVerification *Verification   `json:"external_verification,omitempty"`
	CreatedUserID        string          `json:"created_user_id,omitempty"`
	CreatedSessionID     string          `json:"created_session_id,omitempty"`
	// ExternalID and CustomAction are the application's, set through the
	// Backend API: its own ID for the person signing up, and whether its
	// custom step has run.
	ExternalID   string `json:"external_id,omitempty"`
	CustomAction bool   `json:"custom_action,omitempty"`
	AbandonAt    int64  `json:"abandon_at"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

// Attempt kinds, as stored.
const (
	KindSignIn       = "sign_in"
	KindSignUp       = "sign_up"
	KindVerification = "verification"
	// KindReverification is a session's step-up, keyed by the session.
	KindReverification = "session_verification"
)

// Filter selects sessions for the Backend API's list.
type Filter struct {
	ClientID, UserID string
	Status           string // "" = any
	Limit, Offset    int
	Now              int64
}

// Completion is what finishing a sign-in or sign-up writes at once.
type Completion struct {
	ClientID     string
	Session      *Session
	RotatingHash string
	Strategy     string
	// NewUser is created first (sign-up); nil for a sign-in.
	NewUser *user.User
	// InvitationID is marked accepted by NewUser, if still pending.
	InvitationID string
	// OrgInvitationID is accepted with OrgMembership, the membership it
	// grants the session's user.
	OrgInvitationID string
	OrgMembership   *organization.Membership
	// TicketTokenID is the sign-in or actor token spent by this sign-in.
	TicketTokenID string
	// SignIn or SignUp is stored in its final state.
	SignIn *SignIn
	SignUp *SignUp
	Now    int64
}

// Store persists clients, sessions and attempts.
type Store interface {
	CreateClient(ctx context.Context, c *Client) error
	// Client returns a client with its sessions and current attempts.
	Client(ctx context.Context, id string) (*Client, error)
	// ClientRow returns a client alone, to authenticate a request.
	ClientRow(ctx context.Context, id string) (*Client, error)
	Clients(ctx context.Context, limit, offset int) ([]*Client, int64, error)
	// SaveSignIn and SaveSignUp store an attempt and make it the
	// client's current one.
	SaveSignIn(ctx context.Context, si *SignIn) error
	SaveSignUp(ctx context.Context, su *SignUp) error
	SignIn(ctx context.Context, id string) (*SignIn, error)
	SignUp(ctx context.Context, id string) (*SignUp, error)
	// UpdateSignUp changes a stored sign-up in one transaction, leaving
	// which attempt is its client's current one as it is.
	UpdateSignUp(ctx context.Context, id string, fn func(*SignUp) error) (*SignUp, error)
	// Complete creates the user (for a sign-up) and the session, stores
	// the attempt, accepts the invitation and updates the client and
	// the user's last_sign_in_at, all in one transaction.
	Complete(ctx context.Context, c Completion) error
	// CreateSession adds a session to a new client (the Backend API's
	// testing endpoint).
	CreateSession(ctx context.Context, c *Client, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	Sessions(ctx context.Context, f Filter) ([]*Session, int64, error)
	// SetSessionStatus moves an active session to status.
	SetSessionStatus(ctx context.Context, id, status string, now int64) (*Session, error)
	// EndClientSessions moves every active session of a client to status.
	EndClientSessions(ctx context.Context, clientID, status string, now int64) error
	// EndUserSessions moves every active session of a user to status.
	EndUserSessions(ctx context.Context, userID, status string, now int64) error
	// TouchSession records activity on the session, its client and
	// user, and moves its abandon_at.
	// org, if not nil, sets the active organization ("" clears it).
	TouchSession(ctx context.Context, id string, now, abandonAt int64, org *string) (*Session, error)
	// Queue stores a message (a verification code) for the outbox.
	Queue(ctx context.Context, m *delivery.Message) error
	// SaveReverification stores a session's step-up; Reverification
	// reads it back by session ID.
	SaveReverification(ctx context.Context, v *Reverification) error
	Reverification(ctx context.Context, sessionID string) (*Reverification, error)
	// CompleteReverification stores a completed step-up and the times it
	// gives the session's factors, together.
	CompleteReverification(ctx context.Context, v *Reverification, factorOneAt, factorTwoAt int64) error
	// ClientKnowsUser reports whether a client ever had a session of a
	// user.
	ClientKnowsUser(ctx context.Context, clientID, userID string) (bool, error)
}

// Errors.

// NotFound is the 404 for an unknown object of kind ("session", "client",
// "sign in", "sign up").
func NotFound(kind, id string) error {
	return errs.ResourceNotFound("not found", "No "+kind+" was found with id "+id)
}

var errSignedOut = errs.New(errs.Unauthenticated, "signed_out", "Signed out",
	"The session is no longer active: sign in again.")

var errNoSession = errs.New(errs.Unauthenticated, "authentication_invalid", "Unauthenticated",
	"There is no active session on this client.")
