// Package webhook holds Svix-compatible webhooks: endpoints with their
// secrets and event filters, events written to an outbox in the same
// transaction as the change they tell of, and deliveries signed as Svix
// signs them and retried on Svix's schedule.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
)

// Event types Concierge emits, with Clerk's names.
const (
	UserCreated    = "user.created"
	UserUpdated    = "user.updated"
	UserDeleted    = "user.deleted"
	SessionCreated = "session.created"
	SessionEnded   = "session.ended"
	SessionRemoved = "session.removed"
	SessionRevoked = "session.revoked"
	EmailCreated   = "email.created"
	SMSCreated     = "sms.created"

	InvitationCreated  = "invitation.created"
	InvitationAccepted = "invitation.accepted"
	InvitationRevoked  = "invitation.revoked"

	OrganizationCreated = "organization.created"
	OrganizationUpdated = "organization.updated"
	OrganizationDeleted = "organization.deleted"
	MembershipCreated   = "organizationMembership.created"
	MembershipUpdated   = "organizationMembership.updated"
	MembershipDeleted   = "organizationMembership.deleted"

	OrgInvitationCreated  = "organizationInvitation.created"
	OrgInvitationAccepted = "organizationInvitation.accepted"
	OrgInvitationRevoked  = "organizationInvitation.revoked"

	OrgDomainCreated = "organizationDomain.created"
	OrgDomainUpdated = "organizationDomain.updated"
	OrgDomainDeleted = "organizationDomain.deleted"

	RoleCreated       = "role.created"
	RoleUpdated       = "role.updated"
	RoleDeleted       = "role.deleted"
	PermissionCreated = "permission.created"
	PermissionUpdated = "permission.updated"
	PermissionDeleted = "permission.deleted"
)

// Types lists the event types an endpoint can subscribe to.
var Types = []string{UserCreated, UserUpdated, UserDeleted, SessionCreated, SessionEnded, SessionRemoved, SessionRevoked,
	EmailCreated, SMSCreated, InvitationCreated, InvitationAccepted, InvitationRevoked,
	OrganizationCreated, OrganizationUpdated, OrganizationDeleted, MembershipCreated, MembershipUpdated, MembershipDeleted,
	OrgInvitationCreated, OrgInvitationAccepted, OrgInvitationRevoked, OrgDomainCreated, OrgDomainUpdated, OrgDomainDeleted,
	RoleCreated, RoleUpdated, RoleDeleted, PermissionCreated, PermissionUpdated, PermissionDeleted}

// Endpoint is where events are delivered.
type Endpoint struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"` // empty: every type
	Disabled    bool     `json:"disabled"`
	// DisabledReason says why Concierge disabled it ("failing": every
	// delivery failed for FailingFor).
	DisabledReason string `json:"disabled_reason,omitempty"`
	// Secret signs deliveries; during a rotation OldSecret signs too,
	// until OldSecretUntil.
	Secret         string `json:"-"`
	OldSecret      string `json:"-"`
	OldSecretUntil int64  `json:"-"`
	// FailingSince is the first failed attempt since the last success.
	FailingSince *int64 `json:"failing_since"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

// Wants reports whether the endpoint takes events of type t.
func (e *Endpoint) Wants(t string) bool {
	return !e.Disabled && (len(e.Events) == 0 || slices.Contains(e.Events, t))
}

// NewSecret returns a signing secret as Svix writes them.
func NewSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Sign is the Svix signature of one delivery: "v1," and the base64
// HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed by the secret's decoded
// bytes.
func Sign(secret, msgID string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", msgID, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Schedule is Svix's: the waits before each attempt.
var Schedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// FailingFor is how long an endpoint may fail every delivery before it
// is disabled.
const FailingFor = 5 * 24 * time.Hour

// Envelope is an event as delivered, Clerk's shape.
type Envelope struct {
	Data       any            `json:"data"`
	Object     string         `json:"object"`
	Type       string         `json:"type"`
	Timestamp  int64          `json:"timestamp"`
	InstanceID string         `json:"instance_id"`
	Attributes map[string]any `json:"event_attributes"`
}

// NewPayload renders an event.
func NewPayload(typ, instanceID string, data any, now time.Time) ([]byte, error) {
	return json.Marshal(Envelope{Data: data, Object: "event", Type: typ, Timestamp: now.UnixMilli(), InstanceID: instanceID,
		Attributes: map[string]any{"http_request": map[string]any{"client_ip": "", "user_agent": ""}}})
}

// CheckURL refuses an endpoint URL that is not absolute http(s), or whose
// host is on loopback, link-local or a private range (unless
// allowPrivate, for development): Concierge would be made to call into
// the network it runs in.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return errs.ParamFormat("url", "url must be an absolute http(s) URL without credentials.")
	}
	if allowPrivate {
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return errs.ParamFormat("url", "The host of url does not resolve.")
	}
	for _, a := range addrs {
		if !Public(a) {
			return errs.ParamFormat("url", "url must not point to a loopback, link-local or private address.")
		}
	}
	return nil
}

// Public reports whether an address is on the public internet.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() &&
		!a.IsMulticast() && !a.IsUnspecified() && !a.IsInterfaceLocalMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("fc00::/7").Contains(a)
}
