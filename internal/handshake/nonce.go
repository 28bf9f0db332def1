package handshake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/seal"
)

// Store keeps sealed handshake payloads by the digest of their nonce.
type Store interface {
	// SaveHandshake stores a sealed payload until expiresAt and drops
	// the ones that expired before now.
	SaveHandshake(ctx context.Context, digest string, sealed []byte, expiresAt, now int64) error
	// Handshake returns the sealed payload of digest, unless expired at
	// now (errs NotFound).
	Handshake(ctx context.Context, digest string, now int64) ([]byte, error)
}

// NonceTTL is how long a nonce can be redeemed: the redirect back and the
// application's Backend API call, with room for retries and for a page
// whose parallel requests all carry the nonce cookie.
const NonceTTL = 2 * time.Minute

// Nonces hands out nonces for payloads. Only the nonce's digest is
// stored, and the payload (session tokens) is sealed with a key derived
// from the nonce, so the database alone gives neither back.
type Nonces struct {
	Store Store
	Now   func() time.Time
}

func keys(nonce string) (digest string, key []byte) {
	d := sha256.Sum256([]byte("handshake-nonce-id:" + nonce))
	k := sha256.Sum256([]byte("handshake-nonce-key:" + nonce))
	return hex.EncodeToString(d[:]), k[:]
}

// New seals directives under a new nonce and returns the nonce.
func (n *Nonces) New(ctx context.Context, directives []string) (string, error) {
	nonce := id.Secret()
	digest, key := keys(nonce)
	plain, err := json.Marshal(directives)
	if err != nil {
		return "", err
	}
	sealed, err := seal.Seal(key, plain, []byte(digest))
	if err != nil {
		return "", err
	}
	now := n.Now()
	if err := n.Store.SaveHandshake(ctx, digest, sealed, now.Add(NonceTTL).UnixMilli(), now.UnixMilli()); err != nil {
		return "", err
	}
	return nonce, nil
}

var errInvalidNonce = errs.New(errs.BadRequest, "invalid_nonce", "Invalid nonce",
	"The handshake nonce is unknown or expired.").WithParam("nonce")

// Directives returns the payload of a nonce.
func (n *Nonces) Directives(ctx context.Context, nonce string) ([]string, error) {
	if nonce == "" {
		return nil, errs.New(errs.BadRequest, "missing_parameter", "Missing parameter", "nonce is required.").WithParam("nonce")
	}
	if len(nonce) > 200 {
		return nil, errInvalidNonce
	}
	digest, key := keys(nonce)
	sealed, err := n.Store.Handshake(ctx, digest, n.Now().UnixMilli())
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, errInvalidNonce
	}
	if err != nil {
		return nil, err
	}
	plain, err := seal.Open(key, sealed, []byte(digest))
	if err != nil {
		return nil, err
	}
	var out []string
	return out, json.Unmarshal(plain, &out)
}
