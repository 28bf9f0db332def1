package session

import (
	"context"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
)

// Email links: the email_link strategy of sign-ins, sign-ups and added
// addresses. Preparing one emails a link (emaillink.Service) and leaves
// the verification unverified; opening it (OpenEmailLink) verifies it.
// A sign-in or sign-up completes on the client that asked for the link:
// at once when that client's own browser opened it (it gets the new
// client token then), else at that client's next reading of the attempt
// (Settle…), which is what clerk-js's polling does — so that the
// client token rotates, as at every sign-in, for the browser that holds
// it, never for the one that opened the link.

// withLinks adds an email_link factor beside each email_code one, when
// the instance offers email links.
func (s *Service) withLinks(ctx context.Context, f []Factor) ([]Factor, error) {
	if s.EmailLinks == nil {
		return f, nil
	}
	live, err := s.Live(ctx)
	if err != nil {
		return nil, err
	}
	if !live.EmailLink {
		return f, nil
	}
	out := make([]Factor, 0, len(f)+1)
	for _, x := range f {
		if x.Strategy == "email_code" {
			l := x
			l.Strategy = emaillink.Strategy
			out = append(out, l)
		}
		out = append(out, x)
	}
	return out, nil
}

var errLinksOff = errs.New(errs.BadRequest, "strategy_for_user_invalid", "Invalid strategy",
	"Email links are not enabled for this application.").WithParam("strategy")

// linksOn refuses the strategy when the instance does not offer it.
func (s *Service) linksOn(ctx context.Context) error {
	if s.EmailLinks == nil {
		return errLinksOff
	}
	live, err := s.Live(ctx)
	if err != nil {
		return err
	}
	if !live.EmailLink {
		return errLinksOff
	}
	return nil
}

// sendLink issues the link l to the address to (none is sent when it is
// empty: an unknown account's sign-in looks the same) and makes v its
// verification, with the resend throttle of codes.
func (s *Service) sendLink(ctx context.Context, v *Verification, l emaillink.Link, to string, now time.Time) error {
	if v.SentAt != 0 && now.Sub(time.UnixMilli(v.SentAt)) < codeResendAfter && v.Status == "unverified" && v.Strategy == emaillink.Strategy {
		e := errs.New(errs.TooManyRequests, "verification_code_too_many_requests", "Too many requests",
			"A link was sent moments ago. Wait before asking for another one.")
		e.RetryAfter = int((codeResendAfter - now.Sub(time.UnixMilli(v.SentAt))).Seconds()) + 1
		return e
	}
	hash := ""
	if to != "" {
		l.EmailAddress = to
		link, err := s.EmailLinks.Issue(ctx, &l)
		if err != nil {
			return err
		}
		live, err := s.Live(ctx)
		if err != nil {
			return err
		}
		subject, html, text, err := delivery.RenderEmail("email_link", delivery.Link{AppName: live.AppName, URL: link})
		if err != nil {
			return err
		}
		m := delivery.NewEmail(now, "noreply", s.Config.EmailDomain, to, subject, html, text)
		m.Slug = "magic_link"
		if err := s.Store.Queue(ctx, m); err != nil {
			return err
		}
		if s.Wake != nil {
			s.Wake()
		}
		hash = l.TokenHash
	}
	*v = Verification{Status: "unverified", Strategy: emaillink.Strategy, ExpireAt: now.Add(emaillink.TTL).UnixMilli(),
		CodeHash: hash, SentAt: now.UnixMilli()}
	return nil
}

// prepareLinkSignIn emails a sign-in link to the factor's address.
func (s *Service) prepareLinkSignIn(ctx context.Context, si *SignIn, to, redirectURL string) (*SignIn, error) {
	if err := s.linksOn(ctx); err != nil {
		return nil, err
	}
	if si.FirstFactor == nil {
		si.FirstFactor = &Verification{}
	}
	now := s.Now()
	l := emaillink.Link{Purpose: emaillink.PurposeSignIn, AttemptID: si.ID, UserID: si.UserID, ClientID: si.ClientID, RedirectURL: redirectURL}
	if err := s.sendLink(ctx, si.FirstFactor, l, to, now); err != nil {
		return nil, err
	}
	si.UpdatedAt = now.UnixMilli()
	return si, s.Store.SaveSignIn(ctx, si)
}

// prepareLinkSignUp emails a link verifying the sign-up's address.
func (s *Service) prepareLinkSignUp(ctx context.Context, su *SignUp, redirectURL string) (*SignUp, error) {
	if err := s.linksOn(ctx); err != nil {
		return nil, err
	}
	if su.Email == nil {
		su.Email = &Verification{}
	}
	now := s.Now()
	l := emaillink.Link{Purpose: emaillink.PurposeSignUp, AttemptID: su.ID, ClientID: su.ClientID, RedirectURL: redirectURL}
	if err := s.sendLink(ctx, su.Email, l, su.EmailAddress, now); err != nil {
		return nil, err
	}
	su.UpdatedAt = now.UnixMilli()
	return su, s.Store.SaveSignUp(ctx, su)
}

// PrepareEmailLink emails a link verifying one of a signed-in user's
// email addresses.
func (s *Service) PrepareEmailLink(ctx context.Context, p Profile, c *Client, userID, idnID, address, redirectURL string) error {
	if err := s.linksOn(ctx); err != nil {
		return err
	}
	v, err := p.Verification(ctx, idnID)
	if err != nil && !isNotFoundErr(err) {
		return err
	}
	if v == nil || err != nil {
		v = &Verification{}
	}
	now := s.Now()
	l := emaillink.Link{Purpose: emaillink.PurposeVerification, AttemptID: idnID, UserID: userID, ClientID: c.ID, RedirectURL: redirectURL}
	if err := s.sendLink(ctx, v, l, address, now); err != nil {
		return err
	}
	return p.SaveVerification(ctx, idnID, c.ID, v, now.UnixMilli())
}
