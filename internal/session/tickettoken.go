package session

import (
	"context"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/signintoken"
)

// tokenSignIn signs in the user a sign-in or actor token names: the
// ticket is the first factor. A user with a second factor is still asked
// for it after a sign-in token (the link may have leaked; the factor is
// what protects the account); an actor token is the operator's own
// authority and completes at once, with the actor on the session. The
// token is spent in the transaction that creates the session.
func (s *Service) tokenSignIn(ctx context.Context, c *Client, si *SignIn, ticket string) (*SignIn, string, error) {
	t, err := s.Tickets.Verify(ctx, ticket)
	if err != nil {
		return nil, "", err
	}
	u, err := s.Users.User(ctx, t.UserID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, "", signintoken.TicketInvalid()
	} else if err != nil {
		return nil, "", err
	}
	if err := usable(u, s.Now().UnixMilli()); err != nil {
		return nil, "", err
	}
	si.Identifier, si.UserID, si.TicketTokenID = u.DisplayIdentifier(), u.ID, t.ID
	if t.Kind == signintoken.KindActor {
		si.Actor, si.ActorSessionSeconds = t.Actor, t.SessionMaxDuration
		return s.finishSignIn(ctx, c, si, u, "ticket", nil, 0)
	}
	if u.TwoFactorEnabled() {
		return s.askSecondFactor(ctx, si, "ticket")
	}
	return s.finishSignIn(ctx, c, si, u, "ticket", nil, 0)
}
