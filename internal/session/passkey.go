package session

import (
	"context"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/user"
)

// A passkey signs in on its own: it is something the user has, unlocked
// by something they are or know, so no second factor follows.

var errNoPasskeys = errs.New(errs.BadRequest, "strategy_for_user_invalid", "Invalid strategy",
	"Passkeys are not available on this instance.").WithParam("strategy")

// preparePasskey begins a passkey sign-in: for the identified user's
// passkeys, or for any discoverable one when there is no identifier (or
// it names no account, which the answer does not tell).
func (s *Service) preparePasskey(ctx context.Context, si *SignIn) (*SignIn, error) {
	if s.Passkeys == nil {
		return nil, errNoPasskeys
	}
	var u *user.User
	if si.UserID != "" {
		var err error
		if u, err = s.Users.User(ctx, si.UserID); err != nil {
			return nil, err
		}
	}
	c, err := s.Passkeys.BeginLogin(ctx, u)
	if err != nil {
		return nil, err
	}
	si.FirstFactor = &Verification{Status: "unverified", Strategy: passkey.Strategy, Passkey: c,
		ExpireAt: c.Session.Expires.UnixMilli()}
	si.UpdatedAt = s.Now().UnixMilli()
	return si, s.Store.SaveSignIn(ctx, si)
}

// attemptPasskey checks the browser's answer and completes the sign-in
// of the passkey's owner.
func (s *Service) attemptPasskey(ctx context.Context, c *Client, si *SignIn, p SignInParams) (*SignIn, string, error) {
	v := si.FirstFactor
	if s.Passkeys == nil {
		return nil, "", errNoPasskeys
	}
	if v == nil || v.Passkey == nil || v.Status != "unverified" {
		return nil, "", errs.New(errs.BadRequest, "verification_missing", "Verification missing",
			"Prepare the passkey first: its challenge is in first_factor_verification.nonce.")
	}
	owner, err := s.Passkeys.FinishLogin(ctx, v.Passkey, p.PublicKeyCredential)
	if err != nil {
		return nil, "", err
	}
	if si.UserID != "" && owner.ID != si.UserID {
		return nil, "", errs.New(errs.BadRequest, "passkey_not_found", "Passkey not found",
			"This passkey belongs to another account.").WithParam("public_key_credential")
	}
	now := s.Now().UnixMilli()
	if owner.LockedAt(now) {
		return nil, "", lockedError(owner, now)
	}
	if owner.Banned {
		return nil, "", errBanned
	}
	v.Status, v.Passkey = "verified", nil
	if si.Identifier == "" {
		si.Identifier = accountName(owner)
	}
	si.UserID = owner.ID
	return s.finishSignIn(ctx, c, si, owner, passkey.Strategy, nil, 0)
}

// accountName is how a sign-in names the account a passkey found: its
// primary email address, else its username, else its ID.
func accountName(u *user.User) string {
	if u.PrimaryEmailAddressID != nil {
		if i := u.Identifier(*u.PrimaryEmailAddressID); i != nil {
			return i.Value
		}
	}
	if u.Username != nil && *u.Username != "" {
		return *u.Username
	}
	return u.ID
}
