package session

import (
	"context"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/user"
)

// Second-factor strategies.
const (
	StrategyTOTP       = "totp"
	StrategyBackupCode = "backup_code"
	StrategyPhoneCode  = "phone_code"
)

// askSecondFactor records a proved first factor and moves the sign-in
// to needs_second_factor.
func (s *Service) askSecondFactor(ctx context.Context, si *SignIn, strategy string) (*SignIn, string, error) {
	now := s.Now().UnixMilli()
	if si.FirstFactor == nil || si.FirstFactor.Status != "verified" {
		// A password or a provider: shown as verified, as a code is.
		si.FirstFactor = &Verification{Status: "verified", Strategy: strategy}
	}
	si.Status, si.FirstFactorAt, si.FirstStrategy, si.SecondFactor, si.UpdatedAt = NeedsSecondFactor, now, strategy, nil, now
	if si.ClientTrust {
		si.Status = NeedsClientTrust
	}
	return si, "", s.Store.SaveSignIn(ctx, si)
}

// needsClientTrust reports whether a password sign-in of u (who has no
// second factor) on c must be confirmed with a code: the instance checks
// new clients, u may not bypass it, has an address or number to send a
// code to, and never had a session on c.
func (s *Service) needsClientTrust(ctx context.Context, c *Client, u *user.User) (bool, error) {
	live, err := s.Live(ctx)
	if err != nil || !live.ClientTrust || u.BypassClientTrust || len(TrustFactors(u)) == 0 {
		return false, err
	}
	known, err := s.Store.ClientKnowsUser(ctx, c.ID, u.ID)
	return !known, err
}

// TrustFactors are the codes that confirm a new client: to the user's
// verified email addresses, then phone numbers, the primary ones first.
func TrustFactors(u *user.User) []Factor {
	var emails, phones []Factor
	for _, f := range userFactors(u) {
		switch f.Strategy {
		case "email_code":
			if f.Primary {
				emails = append([]Factor{f}, emails...)
			} else {
				emails = append(emails, f)
			}
		case StrategyPhoneCode:
			if f.Primary {
				phones = append([]Factor{f}, phones...)
			} else {
				phones = append(phones, f)
			}
		}
	}
	return append(emails, phones...)
}

// SignInSecondFactors are the factors a sign-in's second step offers:
// the user's second factors, or the new-device codes.
func SignInSecondFactors(si *SignIn, u *user.User) []Factor {
	if si.ClientTrust {
		return TrustFactors(u)
	}
	return SecondFactors(u)
}

// SecondFactors lists the second factors of u, as
// supported_second_factors: the authenticator app, then the phone
// numbers (the default first), then backup codes. The first is the
// default.
func SecondFactors(u *user.User) []Factor {
	var f []Factor
	if u.TOTPEnabled() {
		f = append(f, Factor{Strategy: StrategyTOTP})
	}
	for i, p := range u.MFAPhones() {
		f = append(f, Factor{Strategy: StrategyPhoneCode, SafeIdentifier: maskPhone(p.Value), PhoneNumberID: p.ID, Primary: i == 0})
	}
	if u.BackupCodeEnabled() {
		f = append(f, Factor{Strategy: StrategyBackupCode})
	}
	if len(f) > 0 {
		f[0].Default = true
	}
	return f
}

// maskPhone shows enough of a number to recognise it, not to learn it:
// whoever reaches the second factor knows only the password.
func maskPhone(e164 string) string {
	if len(e164) < 7 {
		return e164
	}
	return e164[:3] + strings.Repeat("*", len(e164)-5) + e164[len(e164)-2:]
}

// PrepareSecondFactor sends a second-factor code by SMS to one of the
// user's second-factor phone numbers (the default unless phone_number_id
// names another). An authenticator app or a backup code needs nothing
// sent: the sign-in comes back unchanged.
func (s *Service) PrepareSecondFactor(ctx context.Context, c *Client, siID string, p SignInParams) (*SignIn, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, err
	}
	if si.Status != NeedsSecondFactor && si.Status != NeedsClientTrust {
		return nil, errClientState
	}
	u, err := s.Users.User(ctx, si.UserID)
	if err != nil {
		return nil, err
	}
	factors := SignInSecondFactors(si, u)
	if p.Strategy != StrategyPhoneCode && p.Strategy != "email_code" {
		for _, f := range factors {
			if f.Strategy == p.Strategy {
				return si, nil // an app's or a backup code: nothing to send
			}
		}
		return nil, errStrategyForUser
	}
	target := pickCodeFactor(factors, p)
	if target == nil {
		return nil, errStrategyForUser
	}
	to := target.SafeIdentifier
	if target.PhoneNumberID != "" {
		to = u.Identifier(target.PhoneNumberID).Value // shown masked
	}
	if si.SecondFactor == nil || si.SecondFactor.Strategy != p.Strategy {
		si.SecondFactor = &Verification{}
	}
	if err := s.sendCode(ctx, si.SecondFactor, secondFactorAttempt(si), p.Strategy, to, s.Now()); err != nil {
		return nil, err
	}
	si.UpdatedAt = s.Now().UnixMilli()
	return si, s.Store.SaveSignIn(ctx, si)
}

// proveSecondFactor checks an authenticator app's code, a backup code
// (each used up) or an SMS code sent into *slot; failures count towards
// the lockout. The caller stores the attempt.
func (s *Service) proveSecondFactor(ctx context.Context, u *user.User, factors []Factor, slot **Verification, key string, p SignInParams, now time.Time) error {
	if p.Code == "" {
		return errs.ParamMissing("code")
	}
	offered := false
	for _, f := range factors {
		offered = offered || f.Strategy == p.Strategy
	}
	if !offered {
		return errStrategyForUser
	}
	switch p.Strategy {
	case StrategyTOTP, StrategyBackupCode:
		ok, _, err := s.UserRules.VerifySecondFactor(ctx, u.ID, p.Strategy, p.Code)
		if err != nil {
			return err
		}
		*slot = &Verification{Strategy: p.Strategy, Status: "verified"}
		if !ok {
			(*slot).Status = "failed"
			return s.failed(ctx, u, errCodeIncorrect)
		}
		return nil
	case StrategyPhoneCode, "email_code":
		if *slot == nil || (*slot).Strategy != p.Strategy {
			return errs.New(errs.BadRequest, "verification_missing", "Verification missing",
				"No code was sent yet: prepare the second factor first.")
		}
		return s.attemptCode(ctx, u, *slot, key, p.Code, now)
	}
	return errs.ParamValue("strategy", p.Strategy)
}

var errStrategyForUser = errs.New(errs.BadRequest, "strategy_for_user_invalid", "Invalid strategy",
	"This strategy is not available for this account.").WithParam("strategy")

// secondFactorAttempt keys a second factor's code apart from the first's.
func secondFactorAttempt(si *SignIn) string { return si.ID + "/second_factor" }

// AttemptSecondFactor checks an authenticator app's code, a backup code
// or an SMS code and, when it is right, completes the sign-in. Failures
// count towards the lockout, as a first factor's do.
func (s *Service) AttemptSecondFactor(ctx context.Context, c *Client, siID string, p SignInParams) (*SignIn, string, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, "", err
	}
	if si.Status != NeedsSecondFactor && si.Status != NeedsClientTrust {
		return nil, "", errClientState
	}
	now := s.Now()
	u, err := s.Users.User(ctx, si.UserID)
	if err != nil {
		return nil, "", err
	}
	if err := usable(u, now.UnixMilli()); err != nil {
		return nil, "", err
	}
	err = s.proveSecondFactor(ctx, u, SignInSecondFactors(si, u), &si.SecondFactor, secondFactorAttempt(si), p, now)
	si.UpdatedAt = now.UnixMilli()
	if saveErr := s.Store.SaveSignIn(ctx, si); saveErr != nil {
		return nil, "", saveErr
	}
	if err != nil {
		return nil, "", err
	}
	var inv *organization.Invitation
	if si.OrgInvitationID != "" && s.OrgInvitations != nil {
		if inv, err = s.OrgInvitations.PendingInvitation(ctx, si.OrgInvitationID); err != nil {
			return nil, "", err
		}
	}
	secondAt := now.UnixMilli()
	if si.ClientTrust {
		secondAt = 0 // a code confirmed the client, not a second factor
	}
	return s.finishSignIn(ctx, c, si, u, si.FirstStrategy, inv, secondAt)
}
