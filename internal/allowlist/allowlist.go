// Package allowlist holds the instance's allowlist: identifiers (email
// addresses, phone numbers, web3 wallets and wildcard email domains) that
// may sign up when the instance is restricted.
package allowlist

import (
	"context"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/invitation"
)

// Identifier types, as Clerk's identifier_type. A wildcard domain
// ("*@example.com") is of type email_address: Clerk's enum has no other.
const (
	TypeEmailAddress = "email_address"
	TypePhoneNumber  = "phone_number"
	TypeWeb3Wallet   = "web3_wallet"
)

// Identifier is one allowlist entry. Times are Unix milliseconds.
type Identifier struct {
	ID           string
	Identifier   string
	Type         string
	InvitationID *string
	CreatedAt    int64
	UpdatedAt    int64
}

// Wildcard reports whether the entry is a wildcard email domain.
func (i *Identifier) Wildcard() bool { return strings.HasPrefix(i.Identifier, "*@") }

// Notice is what a new entry with notify sends, stored with the entry.
type Notice struct {
	// Invitation invites an email address. If the address belongs to a
	// user already, the entry is stored without it: that person has
	// nothing to sign up for.
	Invitation *invitation.New
	// SMS invites a phone number.
	SMS *delivery.Message
}

// Store persists allowlist entries; the identifier text is unique, and a
// duplicate is reported as 400 duplicate_record.
type Store interface {
	// CreateAllowlistIdentifier stores i and its notice in one
	// transaction, setting i.InvitationID when an invitation was made.
	CreateAllowlistIdentifier(ctx context.Context, i *Identifier, n Notice) error
	// AllowlistIdentifiers returns a page, newest first, and the total.
	AllowlistIdentifiers(ctx context.Context, limit, offset int) ([]Identifier, int64, error)
	DeleteAllowlistIdentifier(ctx context.Context, id string) error
}

// Service applies the allowlist rules on a Store.
type Service struct {
	Store Store
	// Invitations builds the invitations notify sends.
	Invitations *invitation.Service
	// Wake is called after messages were queued.
	Wake func()
	Now  func() time.Time
}

// NewService returns a Service on store using the wall clock.
func NewService(store Store, invitations *invitation.Service) *Service {
	return &Service{Store: store, Invitations: invitations, Now: time.Now}
}

// Normalize validates an allowlist identifier and returns its canonical
// form and type.
func Normalize(raw string) (value, typ string, err error) {
	s := strings.TrimSpace(raw)
	bad := errs.ParamFormat("identifier", "identifier must be either a valid email address, a valid phone number according to E.164 international standard or a valid web3 wallet.")
	switch {
	case s == "":
		return "", "", errs.ParamMissing("identifier")
	case strings.HasPrefix(s, "*@"):
		domain := strings.ToLower(s[2:])
		// "*@*.example.com" allows every subdomain of example.com.
		if !identifier.Domain(strings.TrimPrefix(domain, "*.")) {
			return "", "", bad
		}
		return "*@" + domain, TypeEmailAddress, nil
	case strings.Contains(s, "@"):
		v, err := identifier.Email("identifier", s)
		if err != nil {
			return "", "", bad
		}
		return v, TypeEmailAddress, nil
	case strings.HasPrefix(s, "+"):
		v, err := identifier.Phone("identifier", s)
		if err != nil {
			return "", "", bad
		}
		return v, TypePhoneNumber, nil
	case identifier.IsWeb3Wallet(s):
		return strings.ToLower(s), TypeWeb3Wallet, nil
	}
	return "", "", bad
}

// Create adds an entry. With notify, an email address is sent an
// invitation (replacing a pending one, so the newest link works) and a
// phone number an SMS linking to sign-up; a wildcard domain or a wallet
// has nobody to notify.
func (s *Service) Create(ctx context.Context, raw string, notify bool) (*Identifier, error) {
	value, typ, err := Normalize(raw)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var n Notice
	if notify {
		switch {
		case strings.HasPrefix(value, "*@"):
			return nil, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"notify cannot be used with a wildcard domain: there is nobody to notify.").WithParam("notify")
		case typ == TypeWeb3Wallet:
			return nil, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"notify cannot be used with a web3 wallet: it cannot receive messages.").WithParam("notify")
		case typ == TypeEmailAddress:
			inv, err := s.Invitations.Prepare(ctx, invitation.CreateParams{EmailAddress: &value}, now)
			if err != nil {
				return nil, err
			}
			inv.ReplacePending = true
			n.Invitation = &inv
		case typ == TypePhoneNumber:
			if n.SMS, err = s.Invitations.SignUpSMS(ctx, value, now); err != nil {
				return nil, err
			}
		}
	}
	ms := now.UnixMilli()
	i := &Identifier{ID: id.NewAt(id.Allowlist, now), Identifier: value, Type: typ, CreatedAt: ms, UpdatedAt: ms}
	if err := s.Store.CreateAllowlistIdentifier(ctx, i, n); err != nil {
		return nil, err
	}
	if (i.InvitationID != nil || n.SMS != nil) && s.Wake != nil {
		s.Wake()
	}
	return i, nil
}

// List returns a page of entries, newest first, and the total count.
func (s *Service) List(ctx context.Context, limit, offset int) ([]Identifier, int64, error) {
	return s.Store.AllowlistIdentifiers(ctx, limit, offset)
}

// Delete removes an entry.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.Store.DeleteAllowlistIdentifier(ctx, id)
}

// Duplicate is the error for an identifier already on the list.
func Duplicate(value string) error {
	return errs.New(errs.BadRequest, "duplicate_record", "duplicate allowlist identifier",
		"the identifier "+value+" already exists")
}

// NotFound is the error for an unknown entry ID.
func NotFound(id string) error {
	return errs.ResourceNotFound("Identifier not found", "No identifier was found with id "+id)
}
