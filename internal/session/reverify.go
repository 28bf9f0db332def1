package session

import (
	"context"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/user"
)

// Reverification is Clerk's step-up: a signed-in user proves a factor
// again before a sensitive change, and the session records when.

// Reverification levels, as clerk-js asks for them.
const (
	LevelFirstFactor  = "first_factor"
	LevelSecondFactor = "second_factor"
	LevelMultiFactor  = "multi_factor"
)

// FreshFor is how recent a factor must be for a sensitive change: Clerk's
// "strict" preset (second factor, 10 minutes), which its profile
// components use.
const FreshFor = 10 * time.Minute

// Reverification is a session's step-up in progress (one per session).
type Reverification struct {
	ID           string        `json:"id"`
	SessionID    string        `json:"session_id"`
	ClientID     string        `json:"client_id"`
	Level        string        `json:"level"`
	Status       string        `json:"status"`
	FirstFactor  *Verification `json:"first_factor,omitempty"`
	SecondFactor *Verification `json:"second_factor,omitempty"`
	// FirstFactorAt is when the first factor of a multi-factor step-up
	// was proved.
	FirstFactorAt int64 `json:"first_factor_at,omitempty"`
	CreatedAt     int64 `json:"created_at"`
	UpdatedAt     int64 `json:"updated_at"`
}

// ErrReverificationRequired is the answer to a sensitive change on a
// session whose factors are older than FreshFor: clerk-js then opens its
// verification modal and retries the call.
func ErrReverificationRequired() error {
	e := errs.New(errs.Forbidden, "session_reverification_required", "Additional verification required",
		"This action needs you to verify your identity again.")
	e.Meta = map[string]any{"reverification": map[string]any{"level": LevelSecondFactor, "after_minutes": int(FreshFor / time.Minute)}}
	return e
}

// RequireFresh refuses a sensitive change unless the session proved a
// factor within FreshFor, as clerk-js's second_factor rule reads
// factor_verification_age: the second factor's age when the session has
// one, else the first's.
func (s *Service) RequireFresh(sess *Session) error {
	age := sess.FactorAge(s.Now().UnixMilli())
	limit := int(FreshFor / time.Minute)
	fresh := age[0] != -1 && age[0] < limit
	if age[1] != -1 {
		fresh = age[1] < limit
	}
	if !fresh {
		return ErrReverificationRequired()
	}
	return nil
}

// StartReverification begins (or restarts) a step-up of the session at
// level. A user without a second factor proves the first whatever the
// level; second_factor asks a user with one for that alone.
func (s *Service) StartReverification(ctx context.Context, c *Client, sessionID, level string) (*Reverification, *user.User, error) {
	switch level {
	case "":
		level = LevelSecondFactor
	case LevelFirstFactor, LevelSecondFactor, LevelMultiFactor:
	default:
		return nil, nil, errs.ParamValue("level", level)
	}
	sess, err := s.activeSession(ctx, c, sessionID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Users.User(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now().UnixMilli()
	v := &Reverification{ID: sess.ID, SessionID: sess.ID, ClientID: c.ID, Level: level, Status: NeedsFirstFactor,
		CreatedAt: now, UpdatedAt: now}
	if level == LevelSecondFactor && u.TwoFactorEnabled() {
		v.Status = NeedsSecondFactor
	}
	return v, u, s.Store.SaveReverification(ctx, v)
}

// Reverification returns the session's step-up in progress.
func (s *Service) Reverification(ctx context.Context, c *Client, sessionID string) (*Reverification, *Session, *user.User, error) {
	sess, err := s.activeSession(ctx, c, sessionID)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := s.Store.Reverification(ctx, sess.ID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, nil, nil, errs.New(errs.BadRequest, "verification_missing", "No verification",
			"Start the verification first: POST /v1/client/sessions/{id}/verify.")
	} else if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.Users.User(ctx, sess.UserID)
	return v, sess, u, err
}

// ReverifyFirstFactors are the first factors a user can prove again:
// the password, and codes to verified addresses and numbers.
func ReverifyFirstFactors(u *user.User) []Factor {
	var out []Factor
	if len(passkey.Of(u)) > 0 {
		out = append(out, Factor{Strategy: passkey.Strategy})
	}
	for _, f := range userFactors(u) {
		if f.Strategy != ResetPasswordEmailCode && f.Strategy != ResetPasswordPhoneCode {
			out = append(out, f)
		}
	}
	return out
}

// reverifyKey keys a step-up's codes apart from sign-ins'.
func reverifyKey(v *Reverification, second bool) string {
	if second {
		return v.ID + "/reverify/second_factor"
	}
	return v.ID + "/reverify/first_factor"
}

// PrepareReverification sends a code for the step-up's current factor.
func (s *Service) PrepareReverification(ctx context.Context, c *Client, sessionID string, second bool, p SignInParams) (*Reverification, error) {
	v, _, u, err := s.Reverification(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	if want := map[bool]string{false: NeedsFirstFactor, true: NeedsSecondFactor}[second]; v.Status != want {
		return nil, errClientState
	}
	if !second && p.Strategy == passkey.Strategy {
		return s.prepareReverifyPasskey(ctx, v, u)
	}
	factors := ReverifyFirstFactors(u)
	if second {
		factors = SecondFactors(u)
	}
	target := pickCodeFactor(factors, p)
	if target == nil {
		if !second || p.Strategy == StrategyPhoneCode {
			return nil, errStrategyForUser
		}
		return v, nil // an app's or a backup code: nothing to send
	}
	slot := &v.FirstFactor
	if second {
		slot = &v.SecondFactor
	}
	if *slot == nil || (*slot).Strategy != target.Strategy {
		*slot = &Verification{}
	}
	to := target.SafeIdentifier
	if target.PhoneNumberID != "" {
		to = u.Identifier(target.PhoneNumberID).Value // second factors show it masked
	}
	if err := s.sendCode(ctx, *slot, reverifyKey(v, second), target.Strategy, to, s.Now()); err != nil {
		return nil, err
	}
	v.UpdatedAt = s.Now().UnixMilli()
	return v, s.Store.SaveReverification(ctx, v)
}

// pickCodeFactor finds the code factor p asks for: the one its
// email_address_id or phone_number_id names, else the first (the
// primary or default one when marked).
func pickCodeFactor(factors []Factor, p SignInParams) *Factor {
	var target *Factor
	for i := range factors {
		f := &factors[i]
		if f.Strategy != p.Strategy || (f.Strategy != "email_code" && f.Strategy != StrategyPhoneCode) {
			continue
		}
		if (p.EmailAddressID == "" && p.PhoneNumberID == "" && (target == nil || f.Primary)) ||
			(p.EmailAddressID != "" && f.EmailAddressID == p.EmailAddressID) || (p.PhoneNumberID != "" && f.PhoneNumberID == p.PhoneNumberID) {
			target = f
		}
	}
	return target
}

// AttemptReverification checks the step-up's current factor. A first
// factor completes it unless the level asks a user with a second factor
// for both; completing records the factors' times on the session.
func (s *Service) AttemptReverification(ctx context.Context, c *Client, sessionID string, second bool, p SignInParams) (*Reverification, *Session, error) {
	v, sess, u, err := s.Reverification(ctx, c, sessionID)
	if err != nil {
		return nil, nil, err
	}
	if want := map[bool]string{false: NeedsFirstFactor, true: NeedsSecondFactor}[second]; v.Status != want {
		return nil, nil, errClientState
	}
	now := s.Now()
	if u.LockedAt(now.UnixMilli()) {
		return nil, nil, lockedError(u, now.UnixMilli())
	}
	if second {
		err = s.proveSecondFactor(ctx, u, SecondFactors(u), &v.SecondFactor, reverifyKey(v, true), p, now)
	} else {
		err = s.proveFirstFactor(ctx, u, &v.FirstFactor, reverifyKey(v, false), p, now)
	}
	v.UpdatedAt = now.UnixMilli()
	if err != nil {
		if saveErr := s.Store.SaveReverification(ctx, v); saveErr != nil {
			return nil, nil, saveErr
		}
		return nil, nil, err
	}
	one, two := sess.FactorOneAt, sess.FactorTwoAt
	if second {
		two = now.UnixMilli()
		if v.FirstFactorAt != 0 {
			one = v.FirstFactorAt
		}
	} else {
		one = now.UnixMilli()
		if v.Level == LevelMultiFactor && u.TwoFactorEnabled() {
			v.Status, v.FirstFactorAt = NeedsSecondFactor, one
			return v, sess, s.Store.SaveReverification(ctx, v)
		}
	}
	v.Status = Complete
	if err := s.Store.CompleteReverification(ctx, v, one, two); err != nil {
		return nil, nil, err
	}
	sess.FactorOneAt, sess.FactorTwoAt = one, two
	return v, sess, nil
}

// proveFirstFactor checks a password or a code sent to the user;
// failures count towards the lockout.
func (s *Service) proveFirstFactor(ctx context.Context, u *user.User, slot **Verification, key string, p SignInParams, now time.Time) error {
	switch p.Strategy {
	case "password":
		if p.Password == "" {
			return errs.ParamMissing("password")
		}
		if !u.PasswordEnabled() || !password.Verify(u.PasswordHasher, u.PasswordDigest, p.Password) {
			return s.failed(ctx, u, errIncorrect)
		}
		*slot = &Verification{Status: "verified", Strategy: "password"}
		return nil
	case "email_code", StrategyPhoneCode:
		if *slot == nil || (*slot).Strategy != p.Strategy {
			return errs.New(errs.BadRequest, "verification_missing", "Verification missing",
				"No code was sent yet: prepare the first factor first.")
		}
		return s.attemptCode(ctx, u, *slot, key, p.Code, now)
	case passkey.Strategy:
		v := *slot
		if s.Passkeys == nil || v == nil || v.Passkey == nil || v.Status != "unverified" {
			return errs.New(errs.BadRequest, "verification_missing", "Verification missing",
				"Prepare the passkey first: its challenge is in first_factor_verification.nonce.")
		}
		owner, err := s.Passkeys.FinishLogin(ctx, v.Passkey, p.PublicKeyCredential)
		if err != nil {
			return err
		}
		if owner.ID != u.ID {
			return errs.New(errs.BadRequest, "passkey_not_found", "Passkey not found",
				"This passkey belongs to another account.").WithParam("public_key_credential")
		}
		v.Status, v.Passkey = "verified", nil
		return nil
	}
	return errs.ParamValue("strategy", p.Strategy)
}

// prepareReverifyPasskey begins a step-up with one of the user's
// passkeys.
func (s *Service) prepareReverifyPasskey(ctx context.Context, v *Reverification, u *user.User) (*Reverification, error) {
	if s.Passkeys == nil || len(passkey.Of(u)) == 0 {
		return nil, errStrategyForUser
	}
	c, err := s.Passkeys.BeginLogin(ctx, u)
	if err != nil {
		return nil, err
	}
	v.FirstFactor = &Verification{Status: "unverified", Strategy: passkey.Strategy, Passkey: c, ExpireAt: c.Session.Expires.UnixMilli()}
	v.UpdatedAt = s.Now().UnixMilli()
	return v, s.Store.SaveReverification(ctx, v)
}

// attemptCode applies one attempt of a sent code, counting a wrong one
// towards the lockout of u.
func (s *Service) attemptCode(ctx context.Context, u *user.User, v *Verification, key, code string, now time.Time) error {
	if code == "" {
		return errs.ParamMissing("code")
	}
	err := s.checkCode(v, key, code, now)
	if e, ok := errs.As(err); ok && e.Code == "form_code_incorrect" {
		return s.failed(ctx, u, err)
	}
	return err
}
