package user

import (
	"context"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/password"
)

// errNoPassword answers a password operation on a user without one.
func errNoPassword() error {
	return errs.New(errs.BadRequest, "password_not_set", "no password", "The user has no password.")
}

// VerifyPassword reports whether pw is the user's password (the Backend
// API's check for an application's own re-authentication).
func (s *Service) VerifyPassword(ctx context.Context, userID, pw string) error {
	if pw == "" {
		return errs.ParamMissing("password")
	}
	u, err := s.Get(ctx, userID)
	if err != nil {
		return err
	}
	if !u.PasswordEnabled() {
		return errNoPassword()
	}
	if !password.Verify(u.PasswordHasher, u.PasswordDigest, pw) {
		return errs.New(errs.Invalid, "incorrect_password", "Incorrect password", "The password is incorrect.").WithParam("password")
	}
	return nil
}

// RemovePassword removes the user's password. A user left with no way
// to sign in (no verified email address or phone number, passkey or
// connected account) keeps it.
func (s *Service) RemovePassword(ctx context.Context, userID string) (*User, error) {
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		if !u.PasswordEnabled() {
			return errNoPassword()
		}
		if !u.signsInWithoutPassword() {
			return errs.New(errs.BadRequest, "password_required", "password required",
				"The password is the user's only way to sign in: add a verified email address or phone number first.")
		}
		u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt, u.PasswordCompromisedAt = "", "", nil, nil
		u.Touch(now)
		return nil
	})
}

// signsInWithoutPassword reports whether u has a verified identifier
// that signs in by itself: an email address or phone number (a code), a
// passkey or a connected account.
func (u *User) signsInWithoutPassword() bool {
	for _, i := range u.Identifiers {
		if i.Verified() {
			return true
		}
	}
	return false
}

// SetPasswordCompromised marks the user's password compromised (or no
// longer): while marked, a sign-in with it is refused and the user
// resets it.
func (s *Service) SetPasswordCompromised(ctx context.Context, userID string, compromised bool) (*User, error) {
	now := s.nowMillis()
	return s.Store.UpdateUser(ctx, userID, func(u *User) error {
		if !u.PasswordEnabled() {
			return errNoPassword()
		}
		if compromised && u.PasswordCompromisedAt == nil {
			u.PasswordCompromisedAt = &now
		} else if !compromised {
			u.PasswordCompromisedAt = nil
		}
		u.Touch(now)
		return nil
	})
}
