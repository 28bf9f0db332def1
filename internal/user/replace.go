package user

import (
	"context"
	"slices"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/identifier"
)

// ReplacePrimaryIdentifier makes value the user's primary email address
// or phone number (kind) and removes the one it replaces, as PUT
// /v1/users/{id}/email_address and phone_number do. The operator vouches
// for the new value, so it is verified; one the user already has is
// promoted rather than added twice. The old identifier goes only after
// the new one is primary, so the user never lacks one to sign in with.
// A replaced phone number's second-factor role passes to the new one.
func (s *Service) ReplacePrimaryIdentifier(ctx context.Context, kind IdentifierKind, userID, value string) (*User, *Identifier, error) {
	field := string(kind)
	if value == "" {
		return nil, nil, errs.ParamMissing(field)
	}
	var err error
	if kind == EmailAddress {
		value, err = identifier.Email(field, value)
	} else {
		value, err = identifier.Phone(field, value)
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	old := u.PrimaryPhoneNumberID
	if kind == EmailAddress {
		old = u.PrimaryEmailAddressID
	}
	yes := true
	var idn *Identifier
	for i := range u.Identifiers {
		if u.Identifiers[i].Kind == kind && u.Identifiers[i].Value == value {
			idn = &u.Identifiers[i]
		}
	}
	if idn == nil {
		u, idn, err = s.AddIdentifier(ctx, kind, IdentifierParams{UserID: &userID, EmailAddress: &value,
			PhoneNumber: &value, Verified: &yes, Primary: &yes})
	} else {
		u, idn, err = s.UpdateIdentifier(ctx, kind, idn.ID, IdentifierParams{Verified: &yes, Primary: &yes})
	}
	if err != nil {
		return nil, nil, err
	}
	if old != nil && *old != idn.ID {
		// A number that received second-factor codes hands that on, so
		// that changing it does not turn the user's second factor off.
		if i := slices.Index(u.SecondFactorPhones, *old); i >= 0 && kind == PhoneNumber {
			if _, _, err := s.SetPhoneSecondFactor(ctx, userID, idn.ID, true, i == 0, false); err != nil {
				return nil, nil, err
			}
		}
		if err := s.DeleteIdentifier(ctx, kind, *old); err != nil {
			return nil, nil, err
		}
		if u, err = s.Get(ctx, userID); err != nil {
			return nil, nil, err
		}
		idn = u.Identifier(idn.ID)
	}
	return u, idn, nil
}
