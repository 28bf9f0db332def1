package session

import (
	"context"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
)

// Opening email links, and completing what they verified.

// LinkOutcome is what opening an email link came to.
type LinkOutcome struct {
	// Status is the __clerk_status: verified, expired, failed or
	// client_mismatch.
	Status string
	// RedirectURL is where the link was asked to lead ("" for none).
	RedirectURL string
	// CreatedSessionID is the session the link's sign-in or sign-up
	// created, when it completed at once.
	CreatedSessionID string
	// Token is a new client token for the browser that opened the link,
	// when its client is the one that asked for it and signed in.
	Token string
}

// OpenEmailLink verifies what an email link was sent for, once: opener
// is the client of the browser that opened it (nil for none). An unknown
// token is emaillink.ErrInvalid; a used, expired or superseded one, or
// one refused by the same-client rule, is an outcome, not an error, as
// the browser is sent on to say so. who is the browser (its IP and
// user agent): an added address's verification is audited as its user's,
// as when a code proves it.
func (s *Service) OpenEmailLink(ctx context.Context, p Profile, opener *Client, token string, who audit.Actor) (*LinkOutcome, error) {
	if s.EmailLinks == nil {
		return nil, emaillink.ErrInvalid
	}
	l, status, err := s.EmailLinks.Open(ctx, token)
	if err != nil {
		return nil, err
	}
	out := &LinkOutcome{Status: status, RedirectURL: l.RedirectURL}
	if status == emaillink.Expired {
		return out, s.expireLink(ctx, p, l)
	}
	if status != emaillink.Verified {
		return out, nil
	}
	live, err := s.Live(ctx)
	if err != nil {
		return nil, err
	}
	same := opener != nil && opener.ID == l.ClientID
	if live.EmailLinkSameClient && !same {
		out.Status = emaillink.ClientMismatch // the link stays usable where it belongs
		return out, nil
	}
	if ok, err := s.EmailLinks.Spend(ctx, l); err != nil {
		return nil, err
	} else if !ok {
		out.Status = emaillink.Failed
		return out, nil
	}
	openerID := ""
	if opener != nil {
		openerID = opener.ID
	}
	switch l.Purpose {
	case emaillink.PurposeSignIn:
		err = s.linkSignIn(ctx, l, openerID, same, out)
	case emaillink.PurposeSignUp:
		err = s.linkSignUp(ctx, l, openerID, same, out)
	case emaillink.PurposeVerification:
		who.Kind, who.ID = audit.User, l.UserID
		err = s.linkVerification(audit.WithActor(ctx, who), p, l, openerID, out)
	default:
		out.Status = emaillink.Failed
	}
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal && e.Kind != errs.Unavailable {
		// The attempt cannot go on (the user was banned, the address
		// taken meanwhile…): the browser is told the link failed.
		out.Status, out.Token, out.CreatedSessionID, err = emaillink.Failed, "", "", nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// currentAttempt reports whether the client that asked for l still has
// attempt as its current sign-in (signIn) or sign-up, and returns it.
func (s *Service) currentAttempt(ctx context.Context, l *emaillink.Link, signIn bool) (*Client, bool, error) {
	c, err := s.Store.Client(ctx, l.ClientID)
	if isNotFoundErr(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	cur := c.SignUpID
	if signIn {
		cur = c.SignInID
	}
	return c, cur != nil && *cur == l.AttemptID, nil
}

// linkSignIn verifies a sign-in's first factor, and completes the
// sign-in when the browser that asked for the link opened it.
func (s *Service) linkSignIn(ctx context.Context, l *emaillink.Link, openerID string, same bool, out *LinkOutcome) error {
	c, current, err := s.currentAttempt(ctx, l, true)
	if err != nil || !current {
		out.Status = emaillink.Failed
		return err
	}
	si, err := s.Store.SignIn(ctx, l.AttemptID)
	if err != nil {
		return err
	}
	v := si.FirstFactor
	if si.Status != NeedsFirstFactor || si.UserID == "" || v == nil || v.Strategy != emaillink.Strategy || v.CodeHash != l.TokenHash || v.Status != "unverified" {
		out.Status = emaillink.Failed // a newer link was sent, or the sign-in moved on
		return nil
	}
	v.Status, v.VerifiedAtClient, si.UpdatedAt = "verified", openerID, s.Now().UnixMilli()
	if !same {
		return s.Store.SaveSignIn(ctx, si)
	}
	si, tok, err := s.completeLinkSignIn(ctx, c, si)
	if err != nil {
		return err
	}
	out.Token, out.CreatedSessionID = tok, si.CreatedSessionID
	return nil
}

func (s *Service) completeLinkSignIn(ctx context.Context, c *Client, si *SignIn) (*SignIn, string, error) {
	u, err := s.Users.User(ctx, si.UserID)
	if err != nil {
		return nil, "", err
	}
	if err := usable(u, s.Now().UnixMilli()); err != nil {
		return nil, "", err
	}
	return s.completeSignIn(ctx, c, si, u, emaillink.Strategy)
}

// linkSignUp verifies a sign-up's email address, and completes the
// sign-up when nothing else is missing and the browser that asked for
// the link opened it.
func (s *Service) linkSignUp(ctx context.Context, l *emaillink.Link, openerID string, same bool, out *LinkOutcome) error {
	c, current, err := s.currentAttempt(ctx, l, false)
	if err != nil || !current {
		out.Status = emaillink.Failed
		return err
	}
	su, err := s.Store.SignUp(ctx, l.AttemptID)
	if err != nil {
		return err
	}
	v := su.Email
	if su.Status != MissingRequirements || v == nil || v.Strategy != emaillink.Strategy || v.CodeHash != l.TokenHash || v.Status != "unverified" {
		out.Status = emaillink.Failed
		return nil
	}
	v.Status, v.VerifiedAtClient, su.UpdatedAt = "verified", openerID, s.Now().UnixMilli()
	if !same || len(su.MissingFields()) > 0 || len(su.UnverifiedFields()) > 0 {
		return s.Store.SaveSignUp(ctx, su)
	}
	su, tok, err := s.completeSignUp(ctx, c, su)
	if err != nil {
		return err
	}
	out.Token, out.CreatedSessionID = tok, su.CreatedSessionID
	return nil
}

// linkVerification verifies a signed-in user's added address.
func (s *Service) linkVerification(ctx context.Context, p Profile, l *emaillink.Link, openerID string, out *LinkOutcome) error {
	v, err := p.Verification(ctx, l.AttemptID)
	if isNotFoundErr(err) {
		out.Status = emaillink.Failed
		return nil
	}
	if err != nil {
		return err
	}
	if v.Strategy != emaillink.Strategy || v.CodeHash != l.TokenHash || v.Status != "unverified" {
		out.Status = emaillink.Failed
		return nil
	}
	now := s.Now().UnixMilli()
	v.Status, v.VerifiedAtClient = "verified", openerID
	if err := p.SaveVerification(ctx, l.AttemptID, l.ClientID, v, now); err != nil {
		return err
	}
	return p.VerifyIdentifier(ctx, l.UserID, l.AttemptID, emaillink.Strategy, now)
}

// expireLink marks the verification of an expired link expired, so
// that the tab waiting for it stops and says so.
func (s *Service) expireLink(ctx context.Context, p Profile, l *emaillink.Link) error {
	expire := func(v *Verification) bool {
		if v == nil || v.Strategy != emaillink.Strategy || v.CodeHash != l.TokenHash || v.Status != "unverified" {
			return false
		}
		v.Status = "expired"
		return true
	}
	switch l.Purpose {
	case emaillink.PurposeSignIn:
		si, err := s.Store.SignIn(ctx, l.AttemptID)
		if err != nil {
			return ignoreNotFound(err)
		}
		if _, current, err := s.currentAttempt(ctx, l, true); err != nil || !current || !expire(si.FirstFactor) {
			return err
		}
		return s.Store.SaveSignIn(ctx, si)
	case emaillink.PurposeSignUp:
		su, err := s.Store.SignUp(ctx, l.AttemptID)
		if err != nil {
			return ignoreNotFound(err)
		}
		if _, current, err := s.currentAttempt(ctx, l, false); err != nil || !current || !expire(su.Email) {
			return err
		}
		return s.Store.SaveSignUp(ctx, su)
	case emaillink.PurposeVerification:
		v, err := p.Verification(ctx, l.AttemptID)
		if err != nil {
			return ignoreNotFound(err)
		}
		if !expire(v) {
			return nil
		}
		return p.SaveVerification(ctx, l.AttemptID, l.ClientID, v, s.Now().UnixMilli())
	}
	return nil
}

func ignoreNotFound(err error) error {
	if isNotFoundErr(err) {
		return nil
	}
	return err
}

// SettleSignIn completes a sign-in of c whose email link was opened in
// another browser: the polling of the browser that asked for it lands
// here, and gets the session and the new client token.
func (s *Service) SettleSignIn(ctx context.Context, c *Client, si *SignIn) (*SignIn, string, error) {
	v := si.FirstFactor
	if s.EmailLinks == nil || si.Status != NeedsFirstFactor || si.UserID == "" || v == nil || v.Strategy != emaillink.Strategy || v.Status != "verified" {
		return si, "", nil
	}
	if ok, err := s.EmailLinks.Settle(ctx, v.CodeHash); err != nil || !ok {
		// Another reading completes it: answer the sign-in as stored.
		if err == nil {
			si, err = s.Store.SignIn(ctx, si.ID)
		}
		return si, "", err
	}
	return s.completeLinkSignIn(ctx, c, si)
}

// SettleSignUp completes a sign-up of c whose email link was opened in
// another browser, when nothing else is missing.
func (s *Service) SettleSignUp(ctx context.Context, c *Client, su *SignUp) (*SignUp, string, error) {
	v := su.Email
	if s.EmailLinks == nil || su.Status != MissingRequirements || v == nil || v.Strategy != emaillink.Strategy || v.Status != "verified" ||
		len(su.MissingFields()) > 0 || len(su.UnverifiedFields()) > 0 {
		return su, "", nil
	}
	if ok, err := s.EmailLinks.Settle(ctx, v.CodeHash); err != nil || !ok {
		if err == nil {
			su, err = s.Store.SignUp(ctx, su.ID)
		}
		return su, "", err
	}
	return s.completeSignUp(ctx, c, su)
}

// SettleClient completes the current sign-in or sign-up of c (loaded
// with its attempts) whose email link was opened elsewhere, for a
// browser that reads its client rather than the attempt (it was closed
// while the link was opened, say). It returns the new client token and
// whether anything completed.
func (s *Service) SettleClient(ctx context.Context, c *Client) (string, bool, error) {
	if si := c.SignIn; si != nil && si.Status == NeedsFirstFactor && si.FirstFactor != nil &&
		si.FirstFactor.Strategy == emaillink.Strategy && si.FirstFactor.Status == "verified" {
		si, tok, err := s.SettleSignIn(ctx, c, si)
		return tok, err == nil && si.Status != NeedsFirstFactor, ignoreClientFacing(err)
	}
	if su := c.SignUp; su != nil && su.Status == MissingRequirements && su.Email != nil &&
		su.Email.Strategy == emaillink.Strategy && su.Email.Status == "verified" {
		su, tok, err := s.SettleSignUp(ctx, c, su)
		return tok, err == nil && su.Status == Complete, ignoreClientFacing(err)
	}
	return "", false, nil
}

// ignoreClientFacing drops an error a client could be shown (the user
// was banned meanwhile…): reading the client goes on without the
// completion, whose own reading reports it.
func ignoreClientFacing(err error) error {
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal && e.Kind != errs.Unavailable {
		return nil
	}
	return err
}
