package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/conciergehq/concierge/internal/signintoken"
	"github.com/conciergehq/concierge/internal/signup"
	"strings"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/user"
)

// Sign-in statuses.
const (
	NeedsIdentifier  = "needs_identifier"
	NeedsFirstFactor = "needs_first_factor"
	// NeedsSecondFactor follows a first factor for a user with a second.
	NeedsSecondFactor = "needs_second_factor"
	// NeedsClientTrust follows a password proved on a client new to a
	// user without a second factor: a code confirms it.
	NeedsClientTrust = "needs_client_trust"
	NeedsNewPassword = "needs_new_password"
	Complete         = "complete"
)

// The "forgot password" strategies: a code proves the factor, then the
// sign-in needs a new password.
const (
	ResetPasswordEmailCode = "reset_password_email_code"
	ResetPasswordPhoneCode = "reset_password_phone_code"
)

// codeChannel maps a code strategy to the one that sends it.
func codeChannel(strategy string) string {
	switch strategy {
	case ResetPasswordEmailCode:
		return "email_code"
	case ResetPasswordPhoneCode:
		return "phone_code"
	}
	return strategy
}

// SignInParams are the fields of POST /v1/client/sign_ins and of
// attempt_first_factor.
type SignInParams struct {
	Identifier string
	Strategy   string
	Password   string
	Code       string
	// EmailAddressID or PhoneNumberID picks where prepare sends a code.
	EmailAddressID string
	PhoneNumberID  string
	// Ticket is the ticket strategy's proof: an organization invitation.
	Ticket string
	// PublicKeyCredential is a passkey's answer (the browser's JSON).
	PublicKeyCredential string
	// RedirectURL is where an email link sends the browser that opens
	// it (checked by the caller).
	RedirectURL string
}

// Factor is one way to prove a sign-in, as supported_first_factors lists.
type Factor struct {
	Strategy       string
	SafeIdentifier string
	EmailAddressID string
	PhoneNumberID  string
	Primary        bool
	// Default marks the second factor offered first.
	Default bool
}

// errIncorrect is the one answer to a wrong password and an unknown
// account, so that neither the text nor the timing tells them apart.
var errIncorrect = errs.New(errs.Invalid, "form_password_incorrect", "Password is incorrect",
	"Password is incorrect. Try again, or use another method.").WithParam("password")

// A bcrypt hash of a random password, compared against when the account
// does not exist so the attempt costs the same.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash(id.Secret())
	return h
})

// normalizeIdentifier reads a sign-in identifier: an email address, an
// E.164 phone number, or a username.
func normalizeIdentifier(raw string) string {
	s := strings.TrimSpace(raw)
	switch {
	case strings.Contains(s, "@"):
		return strings.ToLower(s)
	case strings.HasPrefix(s, "+"):
		if v, err := identifier.Phone("identifier", s); err == nil {
			return v
		}
	}
	return strings.ToLower(s)
}

// errIdentifierNotFound is Clerk's default answer to a sign-in for an
// identifier that has no account.
var errIdentifierNotFound = errs.New(errs.Invalid, "form_identifier_not_found", "Couldn't find your account.",
	"Couldn't find your account.").WithParam("identifier")

// CreateSignIn starts (or replaces) the client's sign-in. An unknown
// identifier is refused with form_identifier_not_found, as Clerk does by
// default (the per-IP limits bound how fast accounts can be probed); with
// strict enumeration protection on it is answered like a known one:
// needs_first_factor, with the same factors offered, so that a sign-in
// cannot be used to learn which accounts exist. With a strategy and its
// proof it also attempts it. It returns a new client token when the
// sign-in completed.
func (s *Service) CreateSignIn(ctx context.Context, c *Client, p SignInParams) (*SignIn, string, error) {
	now := s.Now()
	ms := now.UnixMilli()
	si := &SignIn{ID: id.NewAt(id.SignIn, now), ClientID: c.ID, Status: NeedsIdentifier,
		AbandonAt: now.Add(attemptTTL).UnixMilli(), CreatedAt: ms, UpdatedAt: ms}
	if p.Strategy == "ticket" {
		return s.ticketSignIn(ctx, c, si, p.Ticket)
	}
	if p.Strategy == passkey.Strategy && strings.TrimSpace(p.Identifier) == "" {
		// "Sign in with passkey": the browser's credential names the user.
		si.Status = NeedsFirstFactor
		if err := s.Store.SaveSignIn(ctx, si); err != nil {
			return nil, "", err
		}
		si, err := s.PrepareFirstFactor(ctx, c, si.ID, p)
		return si, "", err
	}
	if strings.TrimSpace(p.Identifier) != "" {
		if err := s.identify(ctx, si, p.Identifier); err != nil {
			return nil, "", err
		}
	} else if p.Strategy != "" {
		return nil, "", errs.ParamMissing("identifier")
	}
	if err := s.Store.SaveSignIn(ctx, si); err != nil {
		return nil, "", err
	}
	return s.signInStep(ctx, c, si, p)
}

// UpdateSignIn sets the identifier of a sign-in that has none yet (or
// replaces one not yet proved), with the same rule for unknown accounts
// as CreateSignIn, and attempts a strategy given with it.
func (s *Service) UpdateSignIn(ctx context.Context, c *Client, siID string, p SignInParams) (*SignIn, string, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, "", err
	}
	if si.Status != NeedsIdentifier && si.Status != NeedsFirstFactor {
		return nil, "", errClientState
	}
	if strings.TrimSpace(p.Identifier) != "" {
		if err := s.identify(ctx, si, p.Identifier); err != nil {
			return nil, "", err
		}
		si.FirstFactor, si.UpdatedAt = nil, s.Now().UnixMilli()
		if err := s.Store.SaveSignIn(ctx, si); err != nil {
			return nil, "", err
		}
	} else if p.Strategy != "" && si.Identifier == "" {
		return nil, "", errs.ParamMissing("identifier")
	}
	return s.signInStep(ctx, c, si, p)
}

// identify sets the sign-in's identifier and the account it names; an
// unknown one is refused unless strict enumeration protection is on.
func (s *Service) identify(ctx context.Context, si *SignIn, raw string) error {
	value := normalizeIdentifier(raw)
	// A blocked identifier is refused whether or not it has an account.
	if err := s.checkBlocked(ctx, value); err != nil {
		return err
	}
	u, _, err := s.Users.UserByIdentifier(ctx, value)
	switch e, ok := errs.As(err); {
	case err == nil:
		si.UserID = u.ID
	case ok && e.Kind == errs.NotFound:
		live, err := s.Live(ctx)
		if err != nil {
			return err
		}
		if !live.StrictEnumeration {
			return errIdentifierNotFound
		}
		si.UserID = ""
	default:
		return err
	}
	si.Identifier, si.Status = value, NeedsFirstFactor
	return nil
}

// signInStep attempts the strategy that came with a sign-in's identifier.
func (s *Service) signInStep(ctx context.Context, c *Client, si *SignIn, p SignInParams) (*SignIn, string, error) {
	switch p.Strategy {
	case "":
		return si, "", nil
	case "password":
		return s.AttemptFirstFactor(ctx, c, si.ID, p)
	case "email_code", "phone_code", passkey.Strategy, emaillink.Strategy:
		si, err := s.PrepareFirstFactor(ctx, c, si.ID, p)
		return si, "", err
	}
	return nil, "", errs.ParamValue("strategy", p.Strategy)
}

// SignIn returns a sign-in of c.
func (s *Service) SignIn(ctx context.Context, c *Client, id string) (*SignIn, error) {
	si, err := s.Store.SignIn(ctx, id)
	if err != nil {
		return nil, err
	}
	if si.ClientID != c.ID {
		return nil, NotFound("sign in", id)
	}
	return si, nil
}

// Factors lists the first factors of a sign-in and the user behind it
// (nil for an unknown identifier, which is offered the factors a user with
// that identifier would have).
func (s *Service) Factors(ctx context.Context, si *SignIn) ([]Factor, *user.User, error) {
	if si.Identifier == "" {
		return []Factor{}, nil, nil
	}
	if si.UserID == "" {
		f := []Factor{{Strategy: "password"}}
		if strings.Contains(si.Identifier, "@") {
			fake := s.fakeID(si.Identifier)
			f = append(f, Factor{Strategy: "email_code", SafeIdentifier: si.Identifier, EmailAddressID: fake, Primary: true},
				Factor{Strategy: ResetPasswordEmailCode, SafeIdentifier: si.Identifier, EmailAddressID: fake, Primary: true})
		}
		f, err := s.withLinks(ctx, f)
		return f, nil, err
	}
	u, err := s.Users.User(ctx, si.UserID)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.withLinks(ctx, userFactors(u))
	if err != nil {
		return nil, nil, err
	}
	if s.Passkeys != nil && len(passkey.Of(u)) > 0 {
		f = append([]Factor{{Strategy: passkey.Strategy}}, f...)
	}
	return f, u, nil
}

// userFactors are the first factors of a user: the password, and codes
// to (or resets through) verified addresses and numbers.
func userFactors(u *user.User) []Factor {
	var f []Factor
	if u.PasswordEnabled() {
		f = append(f, Factor{Strategy: "password"})
	}
	for _, idn := range u.Identifiers {
		if idn.VerificationStatus != user.StatusVerified {
			continue
		}
		switch idn.Kind {
		case user.EmailAddress:
			primary := u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == idn.ID
			f = append(f, Factor{Strategy: "email_code", SafeIdentifier: idn.Value, EmailAddressID: idn.ID, Primary: primary})
			if u.PasswordEnabled() {
				f = append(f, Factor{Strategy: ResetPasswordEmailCode, SafeIdentifier: idn.Value, EmailAddressID: idn.ID, Primary: primary})
			}
		case user.PhoneNumber:
			primary := u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == idn.ID
			f = append(f, Factor{Strategy: "phone_code", SafeIdentifier: idn.Value, PhoneNumberID: idn.ID, Primary: primary})
			if u.PasswordEnabled() {
				f = append(f, Factor{Strategy: ResetPasswordPhoneCode, SafeIdentifier: idn.Value, PhoneNumberID: idn.ID, Primary: primary})
			}
		}
	}
	return f
}

// fakeID is a stable identifier ID for an address that has no account.
func (s *Service) fakeID(value string) string {
	mac := hmac.New(sha256.New, s.CodeKey)
	mac.Write([]byte("idn:" + value))
	return "idn_" + hex.EncodeToString(mac.Sum(nil))[:27]
}

// PrepareFirstFactor sends a sign-in code by email or SMS.
func (s *Service) PrepareFirstFactor(ctx context.Context, c *Client, siID string, p SignInParams) (*SignIn, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, err
	}
	if si.Status != NeedsFirstFactor {
		return nil, errClientState
	}
	if p.Strategy == passkey.Strategy {
		return s.preparePasskey(ctx, si)
	}
	factors, _, err := s.Factors(ctx, si)
	if err != nil {
		return nil, err
	}
	var target *Factor
	for i := range factors {
		f := &factors[i]
		if f.Strategy != p.Strategy || f.Strategy == "password" {
			continue
		}
		if (p.EmailAddressID == "" && p.PhoneNumberID == "" && (target == nil || f.Primary)) ||
			(p.EmailAddressID != "" && f.EmailAddressID == p.EmailAddressID) || (p.PhoneNumberID != "" && f.PhoneNumberID == p.PhoneNumberID) {
			target = f
		}
	}
	if target == nil {
		return nil, errs.New(errs.BadRequest, "strategy_for_user_invalid", "Invalid strategy",
			"This strategy is not available for this account.").WithParam("strategy")
	}
	to := target.SafeIdentifier
	if si.UserID == "" {
		to = "" // nobody to send to; the answer looks the same
	}
	if p.Strategy == emaillink.Strategy {
		return s.prepareLinkSignIn(ctx, si, to, p.RedirectURL)
	}
	if si.FirstFactor == nil {
		si.FirstFactor = &Verification{}
	}
	if err := s.sendCode(ctx, si.FirstFactor, si.ID, codeChannel(p.Strategy), to, s.Now()); err != nil {
		return nil, err
	}
	si.FirstFactor.Reset = p.Strategy != codeChannel(p.Strategy)
	si.UpdatedAt = s.Now().UnixMilli()
	return si, s.Store.SaveSignIn(ctx, si)
}

var errClientState = errs.New(errs.BadRequest, "client_state_invalid", "Invalid state",
	"This action is not allowed in the current state of the sign-in.")

// AttemptFirstFactor checks a password or a code and, when it is right,
// completes the sign-in with a new session. Failures count towards the
// lockout of a known account.
func (s *Service) AttemptFirstFactor(ctx context.Context, c *Client, siID string, p SignInParams) (*SignIn, string, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, "", err
	}
	if si.Status != NeedsFirstFactor {
		return nil, "", errClientState
	}
	now := s.Now()
	var u *user.User
	if si.UserID != "" {
		if u, err = s.Users.User(ctx, si.UserID); err != nil {
			return nil, "", err
		}
		if err := usable(u, now.UnixMilli()); err != nil {
			return nil, "", err
		}
	}
	switch p.Strategy {
	case passkey.Strategy:
		return s.attemptPasskey(ctx, c, si, p)
	case "password":
		if p.Password == "" {
			return nil, "", errs.ParamMissing("password")
		}
		ok := false
		if u != nil && u.PasswordEnabled() {
			ok = password.Verify(u.PasswordHasher, u.PasswordDigest, p.Password)
		} else {
			password.Verify("bcrypt", dummyHash(), p.Password) // same cost, result ignored
		}
		if !ok {
			return nil, "", s.failed(ctx, u, errIncorrect)
		}
		if u.PasswordCompromisedAt != nil {
			// The right password, but an operator marked it compromised:
			// SignIn offers a reset by code (Clerk's "compromised" step).
			return nil, "", errPasswordCompromised
		}
		u = s.upgradeDigest(ctx, u, p.Password)
	case "email_code", "phone_code", ResetPasswordEmailCode, ResetPasswordPhoneCode:
		if p.Code == "" {
			return nil, "", errs.ParamMissing("code")
		}
		if si.FirstFactor == nil || si.FirstFactor.Strategy != codeChannel(p.Strategy) || si.FirstFactor.Reset != (p.Strategy != codeChannel(p.Strategy)) {
			return nil, "", errs.New(errs.BadRequest, "verification_missing", "Verification missing",
				"No code was sent yet: prepare the first factor first.")
		}
		err := s.checkCode(si.FirstFactor, si.ID, p.Code, now)
		if err == nil && u == nil {
			err = errCodeIncorrect
		}
		si.UpdatedAt = now.UnixMilli()
		if saveErr := s.Store.SaveSignIn(ctx, si); saveErr != nil {
			return nil, "", saveErr
		}
		if err != nil {
			if e, ok := errs.As(err); ok && e.Code == "form_code_incorrect" {
				err = s.failed(ctx, u, err)
			}
			return nil, "", err
		}
	default:
		return nil, "", errs.ParamValue("strategy", p.Strategy)
	}
	if p.Strategy == ResetPasswordEmailCode || p.Strategy == ResetPasswordPhoneCode {
		// The code proved the factor; the sign-in now needs a new password.
		si.Status, si.UpdatedAt = NeedsNewPassword, now.UnixMilli()
		return si, "", s.Store.SaveSignIn(ctx, si)
	}
	return s.completeSignIn(ctx, c, si, u, p.Strategy)
}

// ResetPassword sets a new password on a sign-in that proved a reset code,
// optionally ends the user's other sessions, and completes the sign-in.
func (s *Service) ResetPassword(ctx context.Context, c *Client, siID, pw string, signOutOthers bool) (*SignIn, string, error) {
	si, err := s.SignIn(ctx, c, siID)
	if err != nil {
		return nil, "", err
	}
	if si.Status != NeedsNewPassword || si.UserID == "" {
		return nil, "", errClientState
	}
	if err := password.Check("password", pw, false); err != nil {
		return nil, "", err
	}
	h, err := password.Hash(pw)
	if err != nil {
		return nil, "", err
	}
	ms := s.Now().UnixMilli()
	u, err := s.Users.UpdateUser(ctx, si.UserID, func(x *user.User) error {
		x.SetPassword(h, "bcrypt", ms)
		x.Touch(ms)
		x.FailedAttempts, x.LockoutUntil = 0, nil
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if signOutOthers {
		if err := s.Store.EndUserSessions(ctx, u.ID, Ended, ms); err != nil {
			return nil, "", err
		}
	}
	return s.completeSignIn(ctx, c, si, u, ResetPasswordEmailCode)
}

// upgradeDigest replaces the imported digest of u, which plain has just
// matched, with a bcrypt hash of plain, as Clerk migrates imported digests
// on a first sign-in: the imported hasher is not needed again. The password
// did not change, so password_last_updated_at stays, and so does updated_at
// (nothing visible changed: no user.updated event). It returns the user to
// go on with; any failure (a password over bcrypt's 72 bytes, a store error,
// a digest changed meanwhile) keeps the imported digest and the sign-in
// goes on.
func (s *Service) upgradeDigest(ctx context.Context, u *user.User, plain string) *user.User {
	if u.PasswordHasher == "bcrypt" {
		return u
	}
	h, err := password.Hash(plain)
	if err != nil {
		return u
	}
	errChanged := errors.New("password digest changed meanwhile")
	updated, err := s.Users.UpdateUser(ctx, u.ID, func(x *user.User) error {
		if x.PasswordDigest != u.PasswordDigest || x.PasswordHasher != u.PasswordHasher {
			return errChanged // a newer password: keep it
		}
		x.PasswordDigest, x.PasswordHasher = h, "bcrypt"
		return nil
	})
	if err != nil {
		return u
	}
	return updated
}

// failed counts a failed attempt against a known user, locking them out
// at user.MaxAttempts.
func (s *Service) failed(ctx context.Context, u *user.User, cause error) error {
	if u == nil {
		return cause
	}
	now := s.Now().UnixMilli()
	updated, err := s.Users.CountFailure(ctx, u.ID, now, func(x *user.User) {
		x.FailedAttempts++
		if x.FailedAttempts >= user.MaxAttempts {
			until := now + user.LockoutDuration
			x.LockoutUntil = &until
		}
	})
	if err != nil {
		return err
	}
	if updated.LockedAt(now) {
		return lockedError(updated, now)
	}
	return cause
}

// usable refuses a sign-in of a user who is locked out or banned.
func usable(u *user.User, now int64) error {
	if u.LockedAt(now) {
		return lockedError(u, now)
	}
	if u.Banned {
		return errBanned
	}
	return nil
}

func lockedError(u *user.User, now int64) error {
	long := "Your account is locked. Contact support."
	if left := u.LockoutExpiresIn(now); left != nil {
		long = "Your account is locked after too many failed attempts. Try again in " +
			(time.Duration(*left) * time.Second).Round(time.Minute).String() + "."
	}
	e := errs.New(errs.Forbidden, "user_locked", "Account locked", long)
	e.Meta = map[string]any{"lockout_expires_in_seconds": u.LockoutExpiresIn(now)}
	return e
}

// errInvitationAccountMissing answers a sign-in ticket whose address has
// no account: the invitee signs up with it instead.
var errInvitationAccountMissing = errs.New(errs.BadRequest, "invitation_account_not_exists", "Account does not exist",
	"No account exists for the invited email address. Sign up with the invitation instead.").WithParam("ticket")

// ticketSignIn signs in the user an organization invitation was sent
// to, and accepts it: the ticket, emailed to that address, proves it, as
// Clerk's ticket strategy does.
func (s *Service) ticketSignIn(ctx context.Context, c *Client, si *SignIn, ticket string) (*SignIn, string, error) {
	if ticket == "" {
		return nil, "", errs.ParamMissing("ticket")
	}
	if s.Tickets != nil && signintoken.IsTicket(ticket) {
		return s.tokenSignIn(ctx, c, si, ticket)
	}
	if s.OrgInvitations == nil || invitation.TicketKind(ticket) != invitation.KindOrganizationInvitation {
		return nil, "", invitation.TicketInvalid()
	}
	inv, err := s.OrgInvitations.VerifyTicket(ctx, ticket)
	if err != nil {
		return nil, "", err
	}
	u, _, err := s.Users.UserByIdentifier(ctx, inv.EmailAddress)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, "", errInvitationAccountMissing
	} else if err != nil {
		return nil, "", err
	}
	if err := usable(u, s.Now().UnixMilli()); err != nil {
		return nil, "", err
	}
	si.Identifier, si.UserID = inv.EmailAddress, u.ID
	if u.TwoFactorEnabled() {
		si.OrgInvitationID = inv.ID
		return s.askSecondFactor(ctx, si, "ticket")
	}
	return s.finishSignIn(ctx, c, si, u, "ticket", inv, 0)
}

// blocked refuses a user any of whose email addresses, phone numbers or
// wallets is on the blocklist, whatever the strategy that found them.
func (s *Service) blocked(ctx context.Context, u *user.User) error {
	values := make([]string, 0, len(u.Identifiers))
	for _, i := range u.Identifiers {
		if i.Kind == user.EmailAddress || i.Kind == user.PhoneNumber || i.Kind == user.Web3Wallet {
			values = append(values, i.Value)
		}
	}
	return s.checkBlocked(ctx, values...)
}

// checkBlocked refuses values on the blocklist while the blocklist
// restriction is on.
func (s *Service) checkBlocked(ctx context.Context, values ...string) error {
	live, err := s.Live(ctx)
	if err != nil {
		return err
	}
	if !live.Restrictions.Blocklist {
		return nil
	}
	return signup.CheckBlocked(ctx, s.Lists, values...)
}

// errPasswordCompromised refuses a password an operator marked
// compromised, whoever knows it.
var errPasswordCompromised = errs.New(errs.Invalid, "form_password_compromised", "Password compromised",
	"Your password may be compromised. Sign in another way, then reset your password.").WithParam("password")

// completeSignIn ends a sign-in whose first factor was proved: with a
// new session, or, for a user with a second factor, by asking for it.
func (s *Service) completeSignIn(ctx context.Context, c *Client, si *SignIn, u *user.User, strategy string) (*SignIn, string, error) {
	if u.TwoFactorEnabled() {
		return s.askSecondFactor(ctx, si, strategy)
	}
	if strategy == "password" {
		trust, err := s.needsClientTrust(ctx, c, u)
		if err != nil {
			return nil, "", err
		}
		if trust {
			si.ClientTrust = true
			return s.askSecondFactor(ctx, si, strategy)
		}
	}
	return s.finishSignIn(ctx, c, si, u, strategy, nil, 0)
}

// finishSignIn completes a sign-in with a new session, accepting inv
// (if not nil) in the same transaction. secondAt is when a second factor
// was proved (Unix ms; 0: none was asked).
func (s *Service) finishSignIn(ctx context.Context, c *Client, si *SignIn, u *user.User, strategy string, inv *organization.Invitation, secondAt int64) (*SignIn, string, error) {
	if err := s.blocked(ctx, u); err != nil {
		return nil, "", err
	}
	now := s.Now()
	sess, err := s.newSession(ctx, c.ID, u.ID, now)
	if err != nil {
		return nil, "", err
	}
	if si.FirstFactorAt != 0 {
		sess.FactorOneAt = si.FirstFactorAt
	}
	sess.FactorTwoAt = secondAt
	if si.Actor != nil {
		sess.Actor = si.Actor
		if limit := now.Add(time.Duration(si.ActorSessionSeconds) * time.Second).UnixMilli(); limit < sess.ExpireAt {
			sess.ExpireAt = limit
		}
	}
	hash, tok, err := s.rotation(c.ID)
	if err != nil {
		return nil, "", err
	}
	si.Status, si.CreatedSessionID, si.UpdatedAt = Complete, sess.ID, now.UnixMilli()
	x := Completion{ClientID: c.ID, Session: sess, RotatingHash: hash, Strategy: strategy, SignIn: si, Now: now.UnixMilli(),
		TicketTokenID: si.TicketTokenID}
	if inv != nil {
		x.OrgInvitationID, x.OrgMembership = inv.ID, s.OrgInvitations.MembershipFor(inv, u.ID)
	}
	err = s.Store.Complete(ctx, x)
	if err != nil {
		return nil, "", err
	}
	return si, tok, nil
}
