// Package audit is the audit log: who (an operator, a Backend API key, a
// user, or Concierge itself) changed what, when and from where. An event
// is written by the store in the transaction of the change it describes,
// so that a change and its event commit together or not at all; the
// actor travels in the request's context, set once by each surface's
// authentication, so that handlers and services need not pass it along.
package audit

import (
	"context"
	"encoding/json"
	"time"
)

// ActorKind says what kind of actor made a change.
type ActorKind string

// The kinds of actor.
const (
	// Operator is a dashboard operator (ID: the operator's op_ ID).
	Operator ActorKind = "operator"
	// APIKey is a Backend API secret key (ID: its key_ record ID, or
	// "config" for CONCIERGE_SECRET_KEY); never the key itself.
	APIKey ActorKind = "api_key"
	// User is a user changing their own account through the Frontend API.
	User ActorKind = "user"
	// System is Concierge itself or its command line (imports, say).
	System ActorKind = "system"
)

// Kinds lists the actor kinds, for filters.
var Kinds = []ActorKind{Operator, APIKey, User, System}

// Actor is who acts in a request, and from where.
//
// An actor with a kind but no ID is someone not yet known to be anyone:
// a signed-out client signing up, in or out (kind User), a person
// signing in to the dashboard (kind Operator). Each event of theirs is
// recorded as the user's or operator's it concerns (its target, or a
// session's user), since on those requests only the one signing in, up
// or out changes that account; an event that concerns no one of their
// kind (a waitlist entry, a setting) is not recorded. A lockout is the
// exception: failed attempts prove nobody is the user, so user.locked
// keeps the ID empty and tells only where the attempts came from.
type Actor struct {
	Kind ActorKind
	ID   string
	// Name is a readable name where there is one (an operator's email,
	// a key's hint), shown beside the ID.
	Name      string
	IP        string
	UserAgent string
}

// Actions: <target type>.<verb>. Stored as text, so new ones need no
// migration; these are the ones Concierge writes.
const (
	UserCreated  = "user.created"
	UserUpdated  = "user.updated"
	UserDeleted  = "user.deleted"
	UserBanned   = "user.banned"
	UserUnbanned = "user.unbanned"
	UserLocked   = "user.locked"
	UserUnlocked = "user.unlocked"
	UserImported = "user.imported"
	// Identifier events target the user who holds the identifier.
	IdentifierAdd        = "identifier.created"
	IdentifierDel        = "identifier.deleted"
	IdentifierVerified   = "identifier.verified"
	IdentifierUnverified = "identifier.unverified"

	SessionCreated = "session.created"
	SessionRevoked = "session.revoked"
	// SessionEnded and SessionRemoved are a user's own sign-out (the
	// statuses clerk-js's end and remove leave); SessionRevoked is
	// another's doing, or the user's from another session.
	SessionEnded   = "session.ended"
	SessionRemoved = "session.removed"

	InvitationCreated = "invitation.created"
	InvitationRevoked = "invitation.revoked"
	InvitationDeleted = "invitation.deleted"

	AllowlistCreated = "allowlist_identifier.created"
	AllowlistDeleted = "allowlist_identifier.deleted"
	BlocklistCreated = "blocklist_identifier.created"
	BlocklistDeleted = "blocklist_identifier.deleted"

	OrganizationCreated = "organization.created"
	OrganizationUpdated = "organization.updated"
	OrganizationDeleted = "organization.deleted"
	MembershipCreated   = "organization_membership.created"
	MembershipUpdated   = "organization_membership.updated"
	MembershipDeleted   = "organization_membership.deleted"
	OrgInvitationCreate = "organization_invitation.created"
	OrgInvitationRevoke = "organization_invitation.revoked"
	OrgInvitationAccept = "organization_invitation.accepted"
	OrgDomainCreated    = "organization_domain.created"
	OrgDomainUpdated    = "organization_domain.updated"
	OrgDomainDeleted    = "organization_domain.deleted"
	RoleCreated         = "role.created"
	RoleUpdated         = "role.updated"
	RoleDeleted         = "role.deleted"
	PermissionCreated   = "permission.created"
	PermissionUpdated   = "permission.updated"
	PermissionDeleted   = "permission.deleted"

	APIKeyCreated      = "api_key.created"
	APIKeyRevoked      = "api_key.revoked"
	JWTTemplateCreated = "jwt_template.created"
	JWTTemplateUpdated = "jwt_template.updated"
	JWTTemplateDeleted = "jwt_template.deleted"
	WebhookCreated     = "webhook_endpoint.created"
	WebhookUpdated     = "webhook_endpoint.updated"
	WebhookDeleted     = "webhook_endpoint.deleted"
	RedirectURLCreated = "redirect_url.created"
	RedirectURLDeleted = "redirect_url.deleted"
	SettingsUpdated    = "settings.updated"
	OAuthUpdated       = "oauth_provider.updated"
	SignInTokenCreated = "sign_in_token.created"
	TicketRevoked      = "ticket_token.revoked"
	WaitlistCreated    = "waitlist_entry.created"
	WaitlistInvited    = "waitlist_entry.invited"
	WaitlistRejected   = "waitlist_entry.rejected"
	WaitlistDeleted    = "waitlist_entry.deleted"
	OperatorCreated    = "operator.created"
	OperatorSignedIn   = "operator.signed_in"
	// WebhookTested is a test event queued for an endpoint;
	// WebhookReplayed is a message (an event, msg_…) queued again.
	WebhookTested   = "webhook_endpoint.tested"
	WebhookReplayed = "webhook_message.replayed"

	// ImpersonationStarted is an actor token minted: the dashboard's
	// "Sign in as this user" or POST /v1/actor_tokens. Its target is the
	// user to be impersonated.
	ImpersonationStarted = "impersonation.started"
)

// Event is one entry of the audit log.
type Event struct {
	// Seq orders events: it grows with every event written, and is the
	// listing's cursor.
	Seq        int64
	ActorKind  ActorKind
	ActorID    string
	ActorName  string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	UserAgent  string
	// Detail is a small JSON object (changed field names, a setting's
	// key): never a secret, a password or a token.
	Detail    json.RawMessage
	CreatedAt int64 // Unix ms
}

// Time is when the event happened.
func (e *Event) Time() time.Time { return time.UnixMilli(e.CreatedAt).UTC() }

// Filter selects events; zero fields select all.
type Filter struct {
	ActorKind  ActorKind
	ActorID    string
	Action     string
	TargetType string
	TargetID   string
	// Before is the cursor: only events with a smaller Seq (0: from the
	// newest).
	Before int64
	// Limit bounds the page (0 or over MaxPage: MaxPage).
	Limit int
}

// MaxPage is the largest page a listing returns.
const MaxPage = 200

// PageSize is Limit as a listing applies it.
func (f Filter) PageSize() int {
	if f.Limit <= 0 || f.Limit > MaxPage {
		return MaxPage
	}
	return f.Limit
}

// Store reads the audit log; writing is the stores' own, inside the
// transactions of the changes.
type Store interface {
	// AuditEvents lists the events f selects, newest first.
	AuditEvents(ctx context.Context, f Filter) ([]*Event, error)
	// ExportAuditEvents returns up to limit events with Seq after after,
	// oldest first (an export reads them all, page by page).
	ExportAuditEvents(ctx context.Context, after int64, limit int) ([]*Event, error)
}

type ctxKey struct{}

// WithActor returns ctx carrying a: the changes made under it are
// recorded as a's.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// ActorFrom returns the actor ctx carries; ok is false for changes no one
// is to answer for (the janitor, start-up, sign-in bookkeeping), which
// are not recorded.
func ActorFrom(ctx context.Context) (a Actor, ok bool) {
	a, ok = ctx.Value(ctxKey{}).(Actor)
	return a, ok
}

// Clip bounds what a client sent (a user agent) before it is stored.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Do not cut a UTF-8 sequence in two.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
