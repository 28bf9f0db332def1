package user

import (
	"context"

	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/seal"
)

// VerifyCode checks a code against the user's authenticator app, then
// their backup codes; a match is used up (the TOTP step is recorded, the
// backup code removed). It returns "totp" or "backup_code", or "" for
// no match.
func (s *Service) VerifyCode(ctx context.Context, userID, code string) (string, *User, error) {
	return s.verifyCode(ctx, userID, code, true, true)
}

// verifyCode is VerifyCode for the kinds allowed.
func (s *Service) verifyCode(ctx context.Context, userID, code string, allowTOTP, allowBackup bool) (string, *User, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	// Backup codes are bcrypt digests: matched outside the transaction,
	// then taken inside it only if still there.
	backup, totp := -1, allowTOTP && s.totpMatches(u, code)
	if !totp && allowBackup && u.BackupCodeEnabled() {
		backup = mfa.MatchBackupCode(u.BackupCodes, code)
	}
	if !totp && backup < 0 {
		return "", u, nil // nothing to use up: no write
	}
	kind := ""
	u, err = s.Store.UpdateUser(ctx, userID, func(x *User) error {
		kind = ""
		if allowTOTP && len(x.TOTPSecret) > 0 {
			plain, err := seal.Open(s.MFAKey, x.TOTPSecret, []byte(x.ID))
			if err != nil {
				return err
			}
			if step, ok := mfa.Verify(string(plain), code, s.Now(), x.TOTPLastStep); ok {
				x.TOTPLastStep, kind = step, "totp"
				return nil
			}
		}
		if backup >= 0 && backup < len(x.BackupCodes) && x.BackupCodes[backup] == u.BackupCodes[backup] {
			x.BackupCodes = append(append([]string(nil), x.BackupCodes[:backup]...), x.BackupCodes[backup+1:]...)
			kind = "backup_code"
		}
		return nil
	})
	return kind, u, err
}

// totpMatches is a read-only check, to skip the backup codes' bcrypt
// when the code is the app's.
func (s *Service) totpMatches(u *User, code string) bool {
	if len(u.TOTPSecret) == 0 || len(s.MFAKey) == 0 {
		return false
	}
	plain, err := seal.Open(s.MFAKey, u.TOTPSecret, []byte(u.ID))
	if err != nil {
		return false
	}
	_, ok := mfa.Verify(string(plain), code, s.Now(), u.TOTPLastStep)
	return ok
}

// RemoveFactors removes the user's authenticator app (totp), backup
// codes, or both; both is every second factor (an operator's reset),
// the phone numbers' use as one too.
func (s *Service) RemoveFactors(ctx context.Context, userID string, totp, backup bool) (*User, error) {
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		if totp {
			u.TOTPSecret, u.TOTPLastStep, u.TOTPPending = nil, 0, nil
		}
		if backup {
			u.BackupCodes = nil
		}
		if totp && backup {
			u.SecondFactorPhones = nil
		}
		u.Touch(s.nowMillis())
		return nil
	})
}
