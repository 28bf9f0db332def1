// Package token signs and verifies session tokens: RS256 JWTs with
// Clerk's claims, under RSA-2048 keys kept in the database so that every
// process of an instance signs and verifies with the same ones. The newest
// key signs; older keys keep verifying until they are retired.
package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/conciergehq/concierge/internal/id"
)

// StoredKey is a signing key as the database keeps it.
type StoredKey struct {
	KID        string
	PrivatePEM string
	CreatedAt  int64
	RetiredAt  *int64
}

// Store persists signing keys.
type Store interface {
	// SigningKeys returns the keys that are not retired.
	SigningKeys(ctx context.Context) ([]StoredKey, error)
	AddSigningKey(ctx context.Context, k StoredKey) error
	RetireSigningKey(ctx context.Context, kid string, at int64) error
}

type key struct {
	kid       string
	priv      *rsa.PrivateKey
	createdAt int64
}

// Keyring holds the instance's live signing keys.
type Keyring struct {
	store Store
	now   func() time.Time

	mu     sync.RWMutex
	keys   []key // oldest first; the last one signs
	signer jose.Signer
	jwks   jose.JSONWebKeySet
}

// KIDPrefix starts every key ID, as Clerk's instance IDs do.
const KIDPrefix = id.Instance

// Open loads the keys, making the first one if there is none.
func Open(ctx context.Context, store Store, now func() time.Time) (*Keyring, error) {
	k := &Keyring{store: store, now: now}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	if len(k.keys) == 0 {
		if _, err := k.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Rotate makes a new key, which signs from now on; older keys keep
// verifying until retired. It returns the new key's ID.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	now := k.now()
	sk := StoredKey{KID: id.NewAt(id.Instance, now), CreatedAt: now.UnixMilli(),
		PrivatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	if err := k.store.AddSigningKey(ctx, sk); err != nil {
		return "", err
	}
	return sk.KID, k.Refresh(ctx)
}

// Retire stops a key from verifying. The signing key cannot be retired:
// rotate first.
func (k *Keyring) Retire(ctx context.Context, kid string) error {
	k.mu.RLock()
	signing := len(k.keys) > 0 && k.keys[len(k.keys)-1].kid == kid
	k.mu.RUnlock()
	if signing {
		return errors.New("that key signs current tokens: rotate to a new key before retiring it")
	}
	if err := k.store.RetireSigningKey(ctx, kid, k.now().UnixMilli()); err != nil {
		return err
	}
	return k.Refresh(ctx)
}

// Refresh reloads the keys, to see what other processes rotated or
// retired.
func (k *Keyring) Refresh(ctx context.Context) error {
	stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	sort.Slice(stored, func(i, j int) bool {
		if stored[i].CreatedAt != stored[j].CreatedAt {
			return stored[i].CreatedAt < stored[j].CreatedAt
		}
		return stored[i].KID < stored[j].KID
	})
	keys := make([]key, 0, len(stored))
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, s := range stored {
		block, _ := pem.Decode([]byte(s.PrivatePEM))
		if block == nil {
			return fmt.Errorf("signing key %s: not PEM", s.KID)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", s.KID, err)
		}
		priv, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("signing key %s: not RSA", s.KID)
		}
		keys = append(keys, key{kid: s.KID, priv: priv, createdAt: s.CreatedAt})
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: s.KID, Algorithm: "RS256", Use: "sig"})
	}
	var signer jose.Signer
	if n := len(keys); n > 0 {
		signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
			Key: jose.JSONWebKey{Key: keys[n-1].priv, KeyID: keys[n-1].kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return err
		}
	}
	k.mu.Lock()
	k.keys, k.signer, k.jwks = keys, signer, set
	k.mu.Unlock()
	return nil
}

// JWKS is the public key set: {"keys":[{use, kty, kid, alg, n, e}]}.
func (k *Keyring) JWKS() jose.JSONWebKeySet {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks
}

// SigningKID is the ID of the key that signs.
func (k *Keyring) SigningKID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.keys) == 0 {
		return ""
	}
	return k.keys[len(k.keys)-1].kid
}

func (k *Keyring) publicKey(kid string) *rsa.PublicKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, key := range k.keys {
		if key.kid == kid {
			return &key.priv.PublicKey
		}
	}
	return nil
}

func (k *Keyring) currentSigner() jose.Signer {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signer
}
