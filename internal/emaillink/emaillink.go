// Package emaillink holds email links ("magic links"): a one-time URL,
// emailed to an address, whose opening proves the address — the
// email_link strategy of sign-ins, sign-ups and a signed-in user's added
// address. The link leads to the Frontend API's GET /v1/verify?token=…,
// which spends it and sends the browser on to the redirect_url given
// when it was asked for.
package emaillink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
)

// Strategy is the verification strategy of email links.
const Strategy = "email_link"

// TTL is how long a link stays usable, as Clerk's (10 minutes).
const TTL = 10 * time.Minute

// What a link proves the address for.
const (
	PurposeSignIn = "sign_in"
	PurposeSignUp = "sign_up"
	// PurposeVerification is a signed-in user's added address.
	PurposeVerification = "verification"
)

// Outcomes of opening a link: the __clerk_status the browser is sent on
// with, as clerk-js reads it.
const (
	Verified       = "verified"
	Expired        = "expired"
	Failed         = "failed"
	ClientMismatch = "client_mismatch"
)

// Link is an email link. Its token is not stored, only its digest.
type Link struct {
	TokenHash string
	Purpose   string
	// AttemptID is the sign-in, sign-up or (PurposeVerification) the
	// identifier the link verifies; UserID is the identifier's user.
	AttemptID string
	UserID    string
	// ClientID is the client that asked for the link: the one a sign-in
	// or sign-up completes on, wherever the link is opened.
	ClientID     string
	EmailAddress string
	RedirectURL  string
	ExpireAt     int64
	// UsedAt is when the link was opened (Unix ms); nil while unused.
	UsedAt    *int64
	CreatedAt int64
}

// Store persists links.
type Store interface {
	CreateEmailLink(ctx context.Context, l *Link) error
	// EmailLink returns the link with a token digest, or a not-found
	// error.
	EmailLink(ctx context.Context, tokenHash string) (*Link, error)
	// UseEmailLink marks an unused link used at now; ok is false when it
	// was used already (by a concurrent opening, say).
	UseEmailLink(ctx context.Context, tokenHash string, now int64) (ok bool, err error)
	// SettleEmailLink marks a used link's attempt completed (once: ok is
	// false when it was already).
	SettleEmailLink(ctx context.Context, tokenHash string, now int64) (ok bool, err error)
}

// Digest is how a token is stored and looked up: tokens are 256 random
// bits, so a plain SHA-256 suffices.
func Digest(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ErrInvalid answers a token that is not one of ours: there is no
// redirect_url to send the browser to, so it is an error of its own.
var ErrInvalid = errs.New(errs.BadRequest, "verification_link_invalid", "Invalid link",
	"This email link is invalid. Ask for a new one.").WithParam("token")
