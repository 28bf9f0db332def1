package user

import (
	"context"
	"slices"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/seal"
)

// A user enrols second factors from their own profile: an authenticator
// app (a secret shown once, confirmed by its first code), backup codes,
// and phone numbers that receive codes.

var errTOTPEnabled = errs.New(errs.BadRequest, "totp_already_enabled", "Authenticator app already enabled",
	"This account already has an authenticator app: remove it before adding another.")

var errNoPendingTOTP = errs.New(errs.BadRequest, "verification_missing", "No authenticator app to verify",
	"Add an authenticator app first: there is no secret awaiting a code.")

var errCodeIncorrect = errs.New(errs.Invalid, "form_code_incorrect", "Incorrect code",
	"The code is incorrect. Try again.").WithParam("code")

// StartTOTP makes a new authenticator-app secret for the user, kept
// sealed until its first code confirms it (a new call replaces one not
// yet confirmed), and returns the secret with its otpauth:// URI.
func (s *Service) StartTOTP(ctx context.Context, userID, issuer string) (secret, uri string, err error) {
	if len(s.MFAKey) == 0 {
		return "", "", errs.New(errs.BadRequest, "feature_not_enabled", "Authenticator apps are off",
			"This instance has no key to keep authenticator secrets with.")
	}
	secret = mfa.NewSecret()
	u, err := s.Store.UpdateUser(ctx, userID, func(u *User) error {
		if u.TOTPEnabled() {
			return errTOTPEnabled
		}
		sealed, err := seal.Seal(s.MFAKey, []byte(secret), []byte(u.ID))
		if err != nil {
			return err
		}
		u.TOTPPending = sealed
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return secret, mfa.URI(secret, issuer, accountLabel(u)), nil
}

// accountLabel names the account in an authenticator app.
func accountLabel(u *User) string {
	if u.PrimaryEmailAddressID != nil {
		if i := u.Identifier(*u.PrimaryEmailAddressID); i != nil {
			return i.Value
		}
	}
	if u.Username != nil && *u.Username != "" {
		return *u.Username
	}
	for _, i := range u.Identifiers {
		if i.Kind == EmailAddress || i.Kind == PhoneNumber {
			return i.Value
		}
	}
	return u.ID
}

// ConfirmTOTP checks a code of the secret StartTOTP made and, when it
// matches, makes it the user's authenticator app. With backup true it
// also gives the user a new set of backup codes, returned in plain once.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string, backup bool) (*User, []string, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if u.TOTPEnabled() {
		return nil, nil, errTOTPEnabled
	}
	if len(u.TOTPPending) == 0 {
		return nil, nil, errNoPendingTOTP
	}
	if code == "" {
		return nil, nil, errs.ParamMissing("code")
	}
	// bcrypt of ten codes takes a while: done before the transaction.
	var plain, digests []string
	if backup {
		if plain, digests, err = mfa.NewBackupCodes(); err != nil {
			return nil, nil, err
		}
	}
	u, err = s.Store.UpdateUser(ctx, userID, func(x *User) error {
		if len(x.TOTPPending) == 0 {
			return errNoPendingTOTP
		}
		secret, err := seal.Open(s.MFAKey, x.TOTPPending, []byte(x.ID))
		if err != nil {
			return err
		}
		step, ok := mfa.Verify(string(secret), code, s.Now(), 0)
		if !ok {
			return errCodeIncorrect
		}
		x.TOTPSecret, x.TOTPPending, x.TOTPLastStep = x.TOTPPending, nil, step
		if backup {
			x.BackupCodes = digests
		}
		x.Touch(s.nowMillis())
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, plain, nil
}

// RegenerateBackupCodes replaces the user's backup codes with a new set,
// returned in plain once. They are a way back in when the other second
// factor is lost, so the user must have one.
func (s *Service) RegenerateBackupCodes(ctx context.Context, userID string) (*User, []string, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if !u.TOTPEnabled() && len(u.MFAPhones()) == 0 {
		return nil, nil, errNeedsSecondFactor
	}
	plain, digests, err := mfa.NewBackupCodes()
	if err != nil {
		return nil, nil, err
	}
	u, err = s.Store.UpdateUser(ctx, userID, func(x *User) error {
		if !x.TOTPEnabled() && len(x.MFAPhones()) == 0 {
			return errNeedsSecondFactor
		}
		x.BackupCodes = digests
		x.Touch(s.nowMillis())
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, plain, nil
}

var errNeedsSecondFactor = errs.New(errs.BadRequest, "backup_codes_require_second_factor", "No second factor",
	"Backup codes stand in for another second factor: add an authenticator app or a phone number first.")

// DisableTOTP removes the user's authenticator app (and one awaiting its
// code). With no second factor left, the backup codes go too: they
// would otherwise be the only one.
func (s *Service) DisableTOTP(ctx context.Context, userID string) (*User, error) {
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		u.TOTPSecret, u.TOTPPending, u.TOTPLastStep = nil, nil, 0
		if len(u.MFAPhones()) == 0 {
			u.BackupCodes = nil
		}
		u.Touch(s.nowMillis())
		return nil
	})
}

// SetPhoneSecondFactor makes a verified phone number of the user receive
// second-factor codes (reserved) or stop; makeDefault puts it first. A
// user's first second factor comes with backup codes when backup is
// true, returned in plain once.
func (s *Service) SetPhoneSecondFactor(ctx context.Context, userID, phoneID string, reserved, makeDefault, backup bool) (*User, []string, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	var plain, digests []string
	if backup && reserved && !u.TwoFactorEnabled() {
		if plain, digests, err = mfa.NewBackupCodes(); err != nil {
			return nil, nil, err
		}
	}
	u, err = s.Store.UpdateUser(ctx, userID, func(x *User) error {
		idn := x.Identifier(phoneID)
		if idn == nil || idn.Kind != PhoneNumber {
			return errs.ResourceNotFound("not found", "No phone number was found with id "+phoneID)
		}
		if reserved && !idn.Verified() {
			return errs.New(errs.BadRequest, "phone_number_not_verified", "Phone number not verified",
				"Verify the phone number before using it as a second factor.")
		}
		phones := slices.DeleteFunc(slices.Clone(x.SecondFactorPhones), func(id string) bool { return id == phoneID })
		switch {
		case reserved && makeDefault:
			phones = append([]string{phoneID}, phones...)
		case reserved:
			if slices.Contains(x.SecondFactorPhones, phoneID) {
				phones = x.SecondFactorPhones // unchanged, in place
			} else {
				phones = append(phones, phoneID)
			}
		}
		x.SecondFactorPhones = phones
		if digests != nil && len(x.BackupCodes) == 0 {
			x.BackupCodes = digests
		} else {
			plain = nil
		}
		if !x.TOTPEnabled() && len(x.MFAPhones()) == 0 {
			x.BackupCodes = nil
		}
		x.Touch(s.nowMillis())
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, plain, nil
}

// VerifySecondFactor checks a sign-in's code of strategy "totp" or
// "backup_code" and uses it up; false when it does not match.
func (s *Service) VerifySecondFactor(ctx context.Context, userID, strategy, code string) (bool, *User, error) {
	kind, u, err := s.verifyCode(ctx, userID, code, strategy == "totp", strategy == "backup_code")
	return kind != "", u, err
}
