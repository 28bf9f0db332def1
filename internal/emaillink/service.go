package emaillink

import (
	"context"
	"net/url"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
)

// Service issues and opens links.
type Service struct {
	Store Store
	// BaseURL is the Frontend API's public URL, where links lead.
	BaseURL string
	Now     func() time.Time
}

// Issue makes a link for l (whose TokenHash, ExpireAt and CreatedAt it
// sets) and returns its URL, to be emailed.
func (s *Service) Issue(ctx context.Context, l *Link) (string, error) {
	now := s.Now()
	tok := id.Secret()
	l.TokenHash, l.CreatedAt, l.ExpireAt, l.UsedAt = Digest(tok), now.UnixMilli(), now.Add(TTL).UnixMilli(), nil
	if err := s.Store.CreateEmailLink(ctx, l); err != nil {
		return "", err
	}
	return s.BaseURL + "/v1/verify?token=" + url.QueryEscape(tok), nil
}

// Open finds the link of a token and says what opening it now comes
// to: Verified for a usable link (not yet spent: see Spend), Expired or
// Failed (used already) otherwise. An unknown token is ErrInvalid.
func (s *Service) Open(ctx context.Context, token string) (*Link, string, error) {
	if token == "" || len(token) > 200 {
		return nil, "", ErrInvalid
	}
	l, err := s.Store.EmailLink(ctx, Digest(token))
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, "", ErrInvalid
	} else if err != nil {
		return nil, "", err
	}
	switch {
	case l.UsedAt != nil:
		return l, Failed, nil
	case s.Now().UnixMilli() >= l.ExpireAt:
		return l, Expired, nil
	}
	return l, Verified, nil
}

// Spend uses a link once: false when another opening spent it first.
func (s *Service) Spend(ctx context.Context, l *Link) (bool, error) {
	return s.Store.UseEmailLink(ctx, l.TokenHash, s.Now().UnixMilli())
}

// Settle claims the completion of the attempt a used link verified, for
// the browser that asked for it: false when another reading claimed it.
func (s *Service) Settle(ctx context.Context, tokenHash string) (bool, error) {
	return s.Store.SettleEmailLink(ctx, tokenHash, s.Now().UnixMilli())
}
