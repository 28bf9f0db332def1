// Package passkey holds passkeys: WebAuthn credentials a user registers
// from their profile and signs in with. The ceremonies (options,
// attestation and assertion checks) are go-webauthn's; this package
// decides the relying party an instance is, and keeps each credential as
// one of the user's identifiers, of kind "passkey", whose value is the
// credential ID: unique like any identifier, loaded with the user.
package passkey

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// Kind is the identifier kind passkeys are kept as.
const Kind user.IdentifierKind = "passkey"

// Strategy is the verification strategy of passkeys.
const Strategy = "passkey"

// ceremonyTTL bounds how long a ceremony's challenge is good for.
const ceremonyTTL = 5 * time.Minute

// Data is what a passkey identifier carries.
type Data struct {
	Name       string              `json:"name"`
	Credential webauthn.Credential `json:"credential"`
	LastUsedAt *int64              `json:"last_used_at,omitempty"`
}

// Passkey is one of a user's passkeys, as its identifier holds it.
type Passkey struct {
	ID, Name             string
	LastUsedAt           *int64
	CreatedAt, UpdatedAt int64
	Credential           webauthn.Credential
}

// Of lists the user's passkeys.
func Of(u *user.User) []Passkey {
	var out []Passkey
	for _, i := range u.Identifiers {
		if i.Kind != Kind {
			continue
		}
		var d Data
		if json.Unmarshal([]byte(i.Data), &d) != nil {
			continue
		}
		out = append(out, Passkey{ID: i.ID, Name: d.Name, LastUsedAt: d.LastUsedAt, CreatedAt: i.CreatedAt,
			UpdatedAt: i.UpdatedAt, Credential: d.Credential})
	}
	return out
}

// RP is the relying party an instance is: the applications' registrable
// domain (a passkey works on it and its subdomains) and the origins
// ceremonies may come from.
type RP struct {
	ID, Name string
	Origins  []string
}

// Usable reports whether browsers accept the relying party: WebAuthn
// takes a domain, never an IP address.
func (rp RP) Usable() bool { return rp.ID != "" && net.ParseIP(rp.ID) == nil && len(rp.Origins) > 0 }

// Store is what passkeys need of the user store.
type Store interface {
	AddIdentifier(ctx context.Context, idn *user.Identifier) error
	SetIdentifierData(ctx context.Context, userID, identifierID, data string, now int64) error
	// UserByExternalAccount finds the holder of an identifier of kind
	// strategy and value.
	UserByExternalAccount(ctx context.Context, strategy, value string) (*user.User, error)
}

// Service runs passkey ceremonies.
type Service struct {
	Store Store
	// RP returns the relying party in force (it follows the settings).
	RP  func(ctx context.Context) (RP, error)
	Now func() time.Time
}

// Ceremony is a begun registration or sign-in: the options the browser
// gets (the verification's nonce) and what the check needs back.
type Ceremony struct {
	Options string               `json:"options"`
	Session webauthn.SessionData `json:"session"`
	// UserID is whose registration it is.
	UserID string `json:"user_id,omitempty"`
}

var errUnavailable = errs.New(errs.BadRequest, "passkeys_not_available", "Passkeys unavailable",
	"Passkeys need the application on a domain name (not an IP address) in the allowed origins.")

func (s *Service) relyingParty(ctx context.Context) (*webauthn.WebAuthn, error) {
	rp, err := s.RP(ctx)
	if err != nil {
		return nil, err
	}
	if !rp.Usable() {
		return nil, errUnavailable
	}
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: rp.Name, RPOrigins: rp.Origins,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
		}})
}

// Available reports whether passkeys can be used on this instance.
func (s *Service) Available(ctx context.Context) bool {
	rp, err := s.RP(ctx)
	return err == nil && rp.Usable()
}

// account adapts a user to go-webauthn: the user handle is the user ID.
type account struct {
	u     *user.User
	creds []webauthn.Credential
}

func (a account) WebAuthnID() []byte { return []byte(a.u.ID) }

func (a account) WebAuthnName() string {
	if a.u.PrimaryEmailAddressID != nil {
		if i := a.u.Identifier(*a.u.PrimaryEmailAddressID); i != nil {
			return i.Value
		}
	}
	if a.u.Username != nil && *a.u.Username != "" {
		return *a.u.Username
	}
	return a.u.ID
}

func (a account) WebAuthnDisplayName() string {
	if a.u.FirstName != nil && *a.u.FirstName != "" {
		name := *a.u.FirstName
		if a.u.LastName != nil && *a.u.LastName != "" {
			name += " " + *a.u.LastName
		}
		return name
	}
	return a.WebAuthnName()
}

func (a account) WebAuthnCredentials() []webauthn.Credential { return a.creds }

func accountOf(u *user.User) account {
	a := account{u: u}
	for _, p := range Of(u) {
		a.creds = append(a.creds, p.Credential)
	}
	return a
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// credentialValue is a credential ID as the identifier's value.
func credentialValue(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// failed is the answer to a credential that does not check out; the
// library's reason stays in the logs' cause.
func failed(code, long string, cause error) *errs.Error {
	e := errs.New(errs.BadRequest, code, "Passkey verification failed", long)
	e.Cause = cause
	var perr *protocol.Error
	if errors.As(cause, &perr) && perr.Type == "invalid_request" {
		e.Kind = errs.Invalid
	}
	return e
}
