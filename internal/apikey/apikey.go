// Package apikey makes and checks the instance's secret keys. Only a
// SHA-256 hash of each key is stored; keys are high-entropy random strings,
// so a fast hash is enough and lets every request be checked cheaply.
package apikey

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/id"
)

// Key is a stored secret key: its hash and a display hint, never the key.
type Key struct {
	ID        string
	Hash      []byte
	Hint      string // e.g. "sk_test_AbCd…wxyz", safe to show and log
	CreatedAt int64
	RevokedAt *int64
}

// Store persists secret-key hashes.
type Store interface {
	// CreateSecretKey stores a new key's hash.
	CreateSecretKey(ctx context.Context, k Key) error
	// ActiveSecretKeys returns every key that has not been revoked.
	ActiveSecretKeys(ctx context.Context) ([]Key, error)
}

// RandomLen is the number of random base62 characters after the prefix.
const RandomLen = 40

// Generate returns a new secret key "sk_test_" + 40 base62 characters.
func Generate() string { return "sk_test_" + id.Random(RandomLen) }

// GenerateFor returns a new secret key for an instance: "sk_live_" for a
// production one, as Clerk's, else "sk_test_".
func GenerateFor(production bool) string {
	if production {
		return "sk_live_" + id.Random(RandomLen)
	}
	return Generate()
}

// Hash returns the SHA-256 of key.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// Hint is a short, non-secret description of key for display.
func Hint(key string) string {
	if len(key) < 16 {
		return "sk_…"
	}
	return key[:12] + "…" + key[len(key)-4:]
}

// WellFormed reports whether s looks like a secret key at all.
func WellFormed(s string) bool {
	return (strings.HasPrefix(s, "sk_test_") || strings.HasPrefix(s, "sk_live_")) && len(s) >= 16 && len(s) <= 200
}

// NewKey makes a Key record for plaintext key.
func NewKey(key string, now time.Time) Key {
	return Key{ID: id.NewAt(id.KeyRecord, now), Hash: Hash(key), Hint: Hint(key), CreatedAt: now.UnixMilli()}
}

// Keyring answers whether a presented key is valid. It caches the stored
// hashes and reloads them periodically, and at most once a second on a
// miss, so a key created by another process is accepted quickly while a
// stream of wrong keys cannot hammer the database.
type Keyring struct {
	store  Store
	static [][]byte
	ttl    time.Duration
	now    func() time.Time

	mu       sync.Mutex
	hashes   [][]byte
	loadedAt time.Time
}

// NewKeyring returns a keyring over store that also accepts each of static.
func NewKeyring(store Store, static ...string) *Keyring {
	k := &Keyring{store: store, ttl: 10 * time.Second, now: time.Now}
	for _, s := range static {
		if s != "" {
			k.static = append(k.static, Hash(s))
		}
	}
	return k
}

// Valid reports whether key is one of the instance's active secret keys.
func (k *Keyring) Valid(ctx context.Context, key string) (bool, error) {
	h := Hash(key)
	// The configured keys need no database: they work while it is away.
	if match(h, k.static) {
		return true, nil
	}
	hashes, fresh, err := k.snapshot(ctx, false)
	if err != nil {
		return false, err
	}
	if match(h, hashes) {
		return true, nil
	}
	if fresh {
		return false, nil
	}
	if hashes, _, err = k.snapshot(ctx, true); err != nil {
		return false, err
	}
	return match(h, hashes), nil
}

// Forget drops the cached hashes, so that a key created or revoked in
// this process is accepted or refused at once (other processes follow
// within the cache's life).
func (k *Keyring) Forget() {
	k.mu.Lock()
	k.hashes = nil
	k.mu.Unlock()
}

// match compares h with every candidate, without stopping early, in
// constant time per comparison.
func match(h []byte, candidates [][]byte) bool {
	found := 0
	for _, c := range candidates {
		found |= subtle.ConstantTimeCompare(h, c)
	}
	return found == 1
}

// snapshot returns the cached hashes, reloading them when the cache has
// expired, or on a miss when it is older than a second. fresh reports
// whether the returned hashes were just loaded.
func (k *Keyring) snapshot(ctx context.Context, miss bool) (hashes [][]byte, fresh bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	age := k.now().Sub(k.loadedAt)
	if k.hashes != nil && age < k.ttl && (!miss || age < time.Second) {
		return k.hashes, false, nil
	}
	keys, err := k.store.ActiveSecretKeys(ctx)
	if err != nil {
		return nil, false, err
	}
	hs := make([][]byte, 0, len(keys))
	for _, key := range keys {
		hs = append(hs, key.Hash)
	}
	k.hashes, k.loadedAt = hs, k.now()
	return hs, true, nil
}
