// Package operator holds the dashboard's operator accounts and their
// sign-in sessions, each with its CSRF token.
package operator

import (
	"context"
	"crypto/subtle"
	"strings"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/password"
)

// Operator is a dashboard account.
type Operator struct {
	ID             string
	Email          string
	PasswordDigest string
	CreatedAt      int64
}

// Session is an operator's sign-in.
type Session struct {
	Operator  *Operator
	CSRF      string
	ExpiresAt int64
}

// Store persists operators and their sessions.
type Store interface {
	CountOperators(ctx context.Context) (int64, error)
	// CreateOperator stores o; a taken email is form_identifier_exists.
	CreateOperator(ctx context.Context, o *Operator) error
	OperatorByEmail(ctx context.Context, email string) (*Operator, error)
	CreateOperatorSession(ctx context.Context, tokenHash, operatorID, csrf string, expiresAt, now int64) error
	// OperatorSession returns the unexpired session of a token hash.
	OperatorSession(ctx context.Context, tokenHash string, now int64) (*Session, error)
	DeleteOperatorSession(ctx context.Context, tokenHash string) error
}

// SessionLifetime is how long an operator stays signed in.
const SessionLifetime = 12 * time.Hour

// Service runs operator accounts.
type Service struct {
	Store Store
	Now   func() time.Time
}

// A bcrypt hash compared against when the email is unknown, so that an
// unknown operator costs the same time as a wrong password.
var dummy = sync.OnceValue(func() string { h, _ := password.Hash(id.Secret()); return h })

// Create makes an operator account.
func (s *Service) Create(ctx context.Context, email, pw string) (*Operator, error) {
	e, err := identifier.Email("email", email)
	if err != nil {
		return nil, err
	}
	if err := password.Check("password", pw, false); err != nil {
		return nil, err
	}
	h, err := password.Hash(pw)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	o := &Operator{ID: id.NewAt(id.Operator, now), Email: e, PasswordDigest: h, CreatedAt: now.UnixMilli()}
	return o, s.Store.CreateOperator(ctx, o)
}

// Any reports whether an operator exists (the set-up page is closed then).
func (s *Service) Any(ctx context.Context) (bool, error) {
	n, err := s.Store.CountOperators(ctx)
	return n > 0, err
}

var errBadCredentials = errs.New(errs.Invalid, "form_password_incorrect", "Incorrect email or password",
	"The email address or the password is incorrect.").WithParam("password")

// SignIn checks an operator's password and opens a session; it returns
// the cookie value.
func (s *Service) SignIn(ctx context.Context, email, pw string) (string, *Session, error) {
	o, err := s.Store.OperatorByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
			password.Verify("bcrypt", dummy(), pw)
			return "", nil, errBadCredentials
		}
		return "", nil, err
	}
	if !password.Verify("bcrypt", o.PasswordDigest, pw) {
		return "", nil, errBadCredentials
	}
	return s.Open(ctx, o)
}

// Open starts a session for o. Where the request is audited (the
// sign-in and set-up forms name where it comes from), the sign-in is
// recorded as o's.
func (s *Service) Open(ctx context.Context, o *Operator) (string, *Session, error) {
	if a, ok := audit.ActorFrom(ctx); ok {
		a.Kind, a.ID, a.Name = audit.Operator, o.ID, o.Email
		ctx = audit.WithActor(ctx, a)
	}
	tok, csrf := id.Secret(), id.Secret()
	now := s.Now()
	sess := &Session{Operator: o, CSRF: csrf, ExpiresAt: now.Add(SessionLifetime).UnixMilli()}
	if err := s.Store.CreateOperatorSession(ctx, id.Digest(tok), o.ID, csrf, sess.ExpiresAt, now.UnixMilli()); err != nil {
		return "", nil, err
	}
	return tok, sess, nil
}

// Session returns the session of a cookie value, or nil.
func (s *Service) Session(ctx context.Context, tok string) (*Session, error) {
	if tok == "" {
		return nil, nil
	}
	sess, err := s.Store.OperatorSession(ctx, id.Digest(tok), s.Now().UnixMilli())
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, nil
	}
	return sess, err
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, tok string) error {
	return s.Store.DeleteOperatorSession(ctx, id.Digest(tok))
}

// CSRFValid compares a form's token with the session's in constant time.
func CSRFValid(sess *Session, token string) bool {
	return sess != nil && token != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(token)) == 1
}
