package user

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/seal"
)

// Update applies PATCH /v1/users/{id}.
func (s *Service) Update(ctx context.Context, userID string, p UpdateParams) (*User, error) {
	mf, err := s.prepareFactors(p)
	if err != nil {
		return nil, err
	}
	if p.ProfileImageID.Set || p.ProfileImage.Set {
		return nil, errs.ParamUnknown("profile_image_id", "Profile images are not supported: Concierge serves a generated avatar.")
	}
	if p.MetadataRejected && (p.PublicMetadata != nil || p.PrivateMetadata != nil || p.UnsafeMetadata != nil) {
		return nil, errs.ParamUnknown("public_metadata",
			"Metadata cannot be set on this endpoint in this API version; use PATCH or PUT /v1/users/{user_id}/metadata.")
	}
	if p.SkipPasswordChecks.Set && !p.Password.Set {
		return nil, errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
			"`password` is required when `skip_password_checks` is present.").WithParam("password")
	}
	if p.SignOutOfOtherSessions.Set && !p.Password.Set {
		return nil, errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
			"`password` is required when `sign_out_of_other_sessions` is present.").WithParam("password")
	}

	// Everything that needs no stored state is checked and computed here,
	// outside the transaction: bcrypt is slow and must not hold the writer.
	var ch change
	if err := ch.prepare(p); err != nil {
		return nil, err
	}
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		if err := ch.apply(u, p); err != nil {
			return err
		}
		if err := mf.apply(s.MFAKey, u); err != nil {
			return err
		}
		if p.Password.Set || p.PasswordDigest.Set {
			u.PasswordLastUpdatedAt, u.PasswordCompromisedAt = &now, nil
		}
		u.Touch(now)
		return nil
	})
}

// change holds the validated, state-free parts of an update.
type change struct {
	username, externalID *string
	first, last, loc     *string
	pwDigest, pwHasher   string
	public, private      []byte
	unsafe               []byte
	createdAt, legalAt   *int64
}

func (c *change) prepare(p UpdateParams) error {
	var err error
	if p.Username.Set && !p.Username.Null && strings.TrimSpace(p.Username.Value) != "" {
		v, err := identifier.Username("username", p.Username.Value)
		if err != nil {
			return err
		}
		c.username = &v
	}
	if p.ExternalID.Set {
		if c.externalID, err = externalID(p.ExternalID.Ptr()); err != nil {
			return err
		}
	}
	if c.first, err = name("first_name", p.FirstName.Ptr()); err != nil {
		return err
	}
	if c.last, err = name("last_name", p.LastName.Ptr()); err != nil {
		return err
	}
	if c.loc, err = locale(p.Locale.Ptr()); err != nil {
		return err
	}
	switch {
	case p.Password.Set && p.PasswordDigest.Set:
		return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"password and password_digest cannot both be given.").WithParam("password_digest")
	case p.Password.Set:
		if err := password.Check("password", p.Password.Value, p.SkipPasswordChecks.Value); err != nil {
			return err
		}
		if c.pwDigest, err = password.Hash(p.Password.Value); err != nil {
			return err
		}
		c.pwHasher = "bcrypt"
	case p.PasswordDigest.Set:
		if !p.PasswordHasher.Set || p.PasswordHasher.Value == "" {
			return errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
				"`password_hasher` is required when `password_digest` is present.").WithParam("password_hasher")
		}
		if err := password.ValidateDigest(p.PasswordHasher.Value, p.PasswordDigest.Value); err != nil {
			return err
		}
		c.pwDigest, c.pwHasher = p.PasswordDigest.Value, p.PasswordHasher.Value
	}
	// PATCH replaces metadata wholesale (Clerk's deprecated behaviour).
	if p.PublicMetadata != nil {
		if c.public, err = objectOrEmpty("public_metadata", p.PublicMetadata); err != nil {
			return err
		}
	}
	if p.PrivateMetadata != nil {
		if c.private, err = objectOrEmpty("private_metadata", p.PrivateMetadata); err != nil {
			return err
		}
	}
	if p.UnsafeMetadata != nil {
		if c.unsafe, err = objectOrEmpty("unsafe_metadata", p.UnsafeMetadata); err != nil {
			return err
		}
	}
	if p.CreatedAt.Set && !p.CreatedAt.Null {
		t, err := rfc3339("created_at", p.CreatedAt.Value)
		if err != nil {
			return err
		}
		c.createdAt = &t
	}
	if p.LegalAcceptedAt.Set && !p.LegalAcceptedAt.Null {
		t, err := rfc3339("legal_accepted_at", p.LegalAcceptedAt.Value)
		if err != nil {
			return err
		}
		c.legalAt = &t
	}
	if p.CreateOrganizationsLimit.Set && !p.CreateOrganizationsLimit.Null && p.CreateOrganizationsLimit.Value < 0 {
		return errs.ParamFormat("create_organizations_limit", "create_organizations_limit must be 0 (unlimited) or more.")
	}
	return nil
}

func (c *change) apply(u *User, p UpdateParams) error {
	if p.Username.Set {
		u.Username = c.username
	}
	if p.ExternalID.Set {
		u.ExternalID = c.externalID
	}
	if p.FirstName.Set {
		u.FirstName = c.first
	}
	if p.LastName.Set {
		u.LastName = c.last
	}
	if p.Locale.Set {
		u.Locale = c.loc
	}
	for _, pr := range []struct {
		f     Field[string]
		param string
		kind  IdentifierKind
		dst   **string
	}{
		{p.PrimaryEmailAddressID, "primary_email_address_id", EmailAddress, &u.PrimaryEmailAddressID},
		{p.PrimaryPhoneNumberID, "primary_phone_number_id", PhoneNumber, &u.PrimaryPhoneNumberID},
		{p.PrimaryWeb3WalletID, "primary_web3_wallet_id", Web3Wallet, &u.PrimaryWeb3WalletID},
	} {
		if !pr.f.Set || pr.f.Null || pr.f.Value == "" {
			continue
		}
		idn := u.Identifier(pr.f.Value)
		if idn == nil || idn.Kind != pr.kind || !idn.Verified() {
			return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				pr.param+" must be the ID of a verified "+strings.ReplaceAll(string(pr.kind), "_", " ")+" of this user.").WithParam(pr.param)
		}
		v := idn.ID
		*pr.dst = &v
	}
	if c.pwDigest != "" {
		u.PasswordDigest, u.PasswordHasher = c.pwDigest, c.pwHasher
	}
	if c.public != nil {
		u.PublicMetadata = c.public
	}
	if c.private != nil {
		u.PrivateMetadata = c.private
	}
	if c.unsafe != nil {
		u.UnsafeMetadata = c.unsafe
	}
	if c.createdAt != nil {
		u.CreatedAt = *c.createdAt
	}
	if p.LegalAcceptedAt.Set {
		u.LegalAcceptedAt = c.legalAt
	}
	if p.DeleteSelfEnabled.Set && !p.DeleteSelfEnabled.Null {
		u.DeleteSelfEnabled = p.DeleteSelfEnabled.Value
	}
	if p.CreateOrganizationEnabled.Set && !p.CreateOrganizationEnabled.Null {
		u.CreateOrganizationEnabled = p.CreateOrganizationEnabled.Value
	}
	if p.CreateOrganizationsLimit.Set {
		u.CreateOrganizationsLimit = p.CreateOrganizationsLimit.Ptr()
	}
	if p.BypassClientTrust.Set && !p.BypassClientTrust.Null {
		u.BypassClientTrust = p.BypassClientTrust.Value
	}
	if !u.HasIdentifier() {
		return errs.New(errs.Invalid, "form_data_missing",
			"identifier data doesn't match user requirements set for this instance",
			"A user needs at least one email_address, phone_number, web3_wallet or username; this change would remove the last one.").WithParam("username")
	}
	return nil
}

// MergeMetadata applies PATCH /v1/users/{id}/metadata: each given object
// is deep-merged into the stored one; a null field clears it to {}.
func (s *Service) MergeMetadata(ctx context.Context, userID string, p MetadataParams) (*User, error) {
	return s.metadata(ctx, userID, p, false)
}

// ReplaceMetadata applies PUT /v1/users/{id}/metadata: each given field
// replaces the stored one; null stores JSON null.
func (s *Service) ReplaceMetadata(ctx context.Context, userID string, p MetadataParams) (*User, error) {
	return s.metadata(ctx, userID, p, true)
}

func (s *Service) metadata(ctx context.Context, userID string, p MetadataParams, replace bool) (*User, error) {
	fields := []struct {
		param string
		raw   json.RawMessage
	}{{"public_metadata", p.PublicMetadata}, {"private_metadata", p.PrivateMetadata}, {"unsafe_metadata", p.UnsafeMetadata}}
	// Validate before touching storage, so bad input answers 422 whether
	// or not the user exists.
	for _, f := range fields {
		if f.raw != nil && string(f.raw) != "null" {
			if _, err := decodeObject(f.param, f.raw); err != nil {
				return nil, err
			}
		}
	}
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		dsts := []*json.RawMessage{&u.PublicMetadata, &u.PrivateMetadata, &u.UnsafeMetadata}
		for i, f := range fields {
			var v json.RawMessage
			var err error
			switch {
			case f.raw == nil:
				continue
			case replace:
				v, err = replaceMetadata(f.param, f.raw)
			case string(f.raw) == "null":
				v = emptyObject
			default:
				v, err = mergeMetadata(f.param, *dsts[i], f.raw)
			}
			if err != nil {
				return err
			}
			*dsts[i] = v
		}
		u.Touch(now)
		return nil
	})
}

// SetBanned bans or unbans a user.
func (s *Service) SetBanned(ctx context.Context, userID string, banned bool) (*User, error) {
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		u.Banned = banned
		u.Touch(now)
		return nil
	})
}

// SetLocked locks or unlocks a user. An operator's lock has no expiry.
func (s *Service) SetLocked(ctx context.Context, userID string, locked bool) (*User, error) {
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		u.Locked = locked
		u.Touch(now)
		if !locked {
			// Unlocking also lifts a lockout from failed attempts.
			u.FailedAttempts, u.LockoutUntil = 0, nil
		}
		return nil
	})
}

// factorChange is an update's second factors, validated (and the codes
// hashed) before the transaction: bcrypt is slow, the seal is not.
type factorChange struct {
	setSecret, clearSecret bool
	secret                 string
	setCodes               bool
	codes                  []string
}

func (s *Service) prepareFactors(p UpdateParams) (factorChange, error) {
	var fc factorChange
	if p.TOTPSecret.Set {
		if p.TOTPSecret.Null || p.TOTPSecret.Value == "" {
			fc.clearSecret = true
		} else {
			if len(s.MFAKey) == 0 {
				return fc, errs.ParamUnknown("totp_secret", "totp_secret is not supported here.")
			}
			clean, err := mfa.NormalizeSecret(p.TOTPSecret.Value)
			if err != nil {
				return fc, err
			}
			fc.setSecret, fc.secret = true, clean
		}
	}
	if p.BackupCodes.Set {
		fc.setCodes = true
		if !p.BackupCodes.Null {
			digests, err := mfa.BackupDigests(p.BackupCodes.Value)
			if err != nil {
				return fc, err
			}
			fc.codes = digests
		}
	}
	return fc, nil
}

func (fc factorChange) apply(key []byte, u *User) error {
	switch {
	case fc.clearSecret:
		u.TOTPSecret, u.TOTPLastStep = nil, 0
	case fc.setSecret:
		sealed, err := seal.Seal(key, []byte(fc.secret), []byte(u.ID))
		if err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPLastStep = sealed, 0
	}
	if fc.setCodes {
		u.BackupCodes = fc.codes
	}
	return nil
}
