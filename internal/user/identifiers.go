package user

import (
	"context"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
)

// IdentifierStore is what the identifier resources need beyond Store:
// identifiers added, verified, unverified and removed one by one (the
// same writes the profile flows make), and found by ID alone.
type IdentifierStore interface {
	AddIdentifier(ctx context.Context, idn *Identifier) error
	VerifyIdentifier(ctx context.Context, userID, identifierID, strategy string, now int64) error
	UnverifyIdentifier(ctx context.Context, userID, identifierID string, now int64) error
	DeleteIdentifier(ctx context.Context, userID, identifierID string) error
	// IdentifierOwner returns the ID of the user holding an identifier.
	IdentifierOwner(ctx context.Context, identifierID string) (string, error)
}

// IdentifierParams is the body of POST and PATCH /v1/email_addresses
// and /v1/phone_numbers.
type IdentifierParams struct {
	UserID                  *string `json:"user_id"`
	EmailAddress            *string `json:"email_address"`
	PhoneNumber             *string `json:"phone_number"`
	Verified                *bool   `json:"verified"`
	Primary                 *bool   `json:"primary"`
	ReservedForSecondFactor *bool   `json:"reserved_for_second_factor"`
}

// IdentifierNotFound answers an unknown email address or phone number ID.
func IdentifierNotFound(kind IdentifierKind, idnID string) error {
	what := "email address"
	if kind == PhoneNumber {
		what = "phone number"
	}
	return errs.ResourceNotFound("not found", "No "+what+" was found with id "+idnID+".")
}

// AddIdentifier gives p.UserID a new email address or phone number
// (kind), verified (by the operator) when p.Verified, primary when
// p.Primary (which needs it verified), and for a phone number reserved
// for second-factor codes when p.ReservedForSecondFactor.
func (s *Service) AddIdentifier(ctx context.Context, kind IdentifierKind, p IdentifierParams) (*User, *Identifier, error) {
	if p.UserID == nil || *p.UserID == "" {
		return nil, nil, errs.ParamMissing("user_id")
	}
	var value string
	var err error
	if kind == EmailAddress {
		if p.EmailAddress == nil {
			return nil, nil, errs.ParamMissing("email_address")
		}
		value, err = identifier.Email("email_address", *p.EmailAddress)
	} else {
		if p.PhoneNumber == nil {
			return nil, nil, errs.ParamMissing("phone_number")
		}
		value, err = identifier.Phone("phone_number", *p.PhoneNumber)
	}
	if err != nil {
		return nil, nil, err
	}
	if kind == EmailAddress && p.ReservedForSecondFactor != nil {
		return nil, nil, errs.ParamUnknown("reserved_for_second_factor", "Only phone numbers receive second-factor codes.")
	}
	if _, err := s.Get(ctx, *p.UserID); err != nil {
		return nil, nil, err
	}
	now := time.UnixMilli(s.nowMillis())
	ms := now.UnixMilli()
	idn := &Identifier{ID: id.NewAt(id.Identifier, now), UserID: *p.UserID, Kind: kind, Value: value,
		VerificationStatus: StatusUnverified, VerificationStrategy: codeStrategy(kind), CreatedAt: ms, UpdatedAt: ms}
	if p.Verified != nil && *p.Verified {
		idn.VerificationStatus, idn.VerificationStrategy = StatusVerified, StrategyAdmin
	}
	if p.Primary != nil && *p.Primary && !idn.Verified() {
		return nil, nil, errNotVerified(kind)
	}
	if err := s.Identifiers.AddIdentifier(ctx, idn); err != nil {
		return nil, nil, err
	}
	return s.applyFlags(ctx, kind, idn.UserID, idn.ID, IdentifierParams{Primary: p.Primary, ReservedForSecondFactor: p.ReservedForSecondFactor})
}

func codeStrategy(kind IdentifierKind) string {
	if kind == PhoneNumber {
		return "phone_code"
	}
	return "email_code"
}

func errNotVerified(kind IdentifierKind) error {
	return errs.New(errs.BadRequest, string(kind)+"_not_verified", "not verified",
		"Only a verified identifier can be primary: set verified too.").WithParam("primary")
}

// FindIdentifier returns an email address or phone number (kind) by ID
// with its user.
func (s *Service) FindIdentifier(ctx context.Context, kind IdentifierKind, idnID string) (*User, *Identifier, error) {
	userID, err := s.Identifiers.IdentifierOwner(ctx, idnID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, nil, IdentifierNotFound(kind, idnID)
	} else if err != nil {
		return nil, nil, err
	}
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	idn := u.Identifier(idnID)
	if idn == nil || idn.Kind != kind {
		return nil, nil, IdentifierNotFound(kind, idnID)
	}
	return u, idn, nil
}

// UpdateIdentifier changes an identifier's verified, primary and
// reserved-for-second-factor flags. A primary identifier stays verified;
// making another one primary comes first.
func (s *Service) UpdateIdentifier(ctx context.Context, kind IdentifierKind, idnID string, p IdentifierParams) (*User, *Identifier, error) {
	u, idn, err := s.FindIdentifier(ctx, kind, idnID)
	if err != nil {
		return nil, nil, err
	}
	if kind == EmailAddress && p.ReservedForSecondFactor != nil {
		return nil, nil, errs.ParamUnknown("reserved_for_second_factor", "Only phone numbers receive second-factor codes.")
	}
	if p.Verified != nil {
		primary := isPrimary(u, idnID)
		switch {
		case *p.Verified && !idn.Verified():
			err = s.Identifiers.VerifyIdentifier(ctx, u.ID, idnID, StrategyAdmin, s.nowMillis())
		case !*p.Verified && idn.Verified() && primary:
			return nil, nil, errs.New(errs.BadRequest, "primary_identifier_unverify", "Cannot unverify the primary identifier",
				"Make another identifier primary before unverifying this one.").WithParam("verified")
		case !*p.Verified && idn.Verified():
			err = s.Identifiers.UnverifyIdentifier(ctx, u.ID, idnID, s.nowMillis())
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return s.applyFlags(ctx, kind, u.ID, idnID, p)
}

// applyFlags makes an identifier primary and (for a phone number)
// reserved for second-factor codes or not, then returns the user and
// the identifier as stored.
func (s *Service) applyFlags(ctx context.Context, kind IdentifierKind, userID, idnID string, p IdentifierParams) (*User, *Identifier, error) {
	if p.Primary != nil && *p.Primary {
		_, err := s.Store.UpdateUser(ctx, userID, func(u *User) error {
			idn := u.Identifier(idnID)
			if idn == nil {
				return IdentifierNotFound(kind, idnID)
			}
			if !idn.Verified() {
				return errNotVerified(kind)
			}
			if kind == EmailAddress {
				u.PrimaryEmailAddressID = &idn.ID
			} else {
				u.PrimaryPhoneNumberID = &idn.ID
			}
			u.Touch(s.nowMillis())
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if p.ReservedForSecondFactor != nil {
		if _, _, err := s.SetPhoneSecondFactor(ctx, userID, idnID, *p.ReservedForSecondFactor, false, false); err != nil {
			return nil, nil, err
		}
	}
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	idn := u.Identifier(idnID)
	if idn == nil {
		return nil, nil, IdentifierNotFound(kind, idnID)
	}
	return u, idn, nil
}

func isPrimary(u *User, idnID string) bool {
	return (u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == idnID) ||
		(u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == idnID)
}

// DeleteIdentifier removes an email address or phone number; the
// primary one stays until another is made primary, so a user keeps a
// way to sign in.
func (s *Service) DeleteIdentifier(ctx context.Context, kind IdentifierKind, idnID string) error {
	u, _, err := s.FindIdentifier(ctx, kind, idnID)
	if err != nil {
		return err
	}
	if kind == PhoneNumber {
		// A number used for second-factor codes stops being one first.
		if _, _, err := s.SetPhoneSecondFactor(ctx, u.ID, idnID, false, false, false); err != nil {
			return err
		}
	}
	return s.Identifiers.DeleteIdentifier(ctx, u.ID, idnID)
}
