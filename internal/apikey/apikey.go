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
	static []Key
	ttl    time.Duration
	now    func() time.Time

	mu       sync.Mutex
	keys     []Key
	loadedAt time.Time
}

// ConfigKeyID is the ID the audit log gives a key from the configuration
// (CONCIERGE_SECRET_KEY), which has no stored record.
const ConfigKeyID = "config"

// NewKeyring returns a keyring over store that also accepts each of static.
func NewKeyring(store Store, static ...string) *Keyring {
	k := &Keyring{store: store, ttl: 10 * time.Second, now: time.Now}
	for _, s := range static {
		if s != "" {
			k.static = append(k.static, Key{ID: ConfigKeyID, Hash: Hash(s), Hint: Hint(s)})
		}
	}
	return k
}

// Valid reports whether key is one of the instance's active secret keys.
func (k *Keyring) Valid(ctx context.Context, key string) (bool, error) {
	_, ok, err := k.Identify(ctx, key)
	return ok, err
}

// Identify returns the record (ID and hint, for the audit log) of key if
// it is one of the instance's active secret keys.
func (k *Keyring) Identify(ctx context.Context, key string) (Key, bool, error) {
	h := Hash(key)
	// The configured keys need no database: they work while it is away.
	if i := match(h, k.static); i >= 0 {
		return k.static[i], true, nil
	}
	keys, fresh, err := k.snapshot(ctx, false)
	if err != nil {
		return Key{}, false, err
	}
	if i := match(h, keys); i >= 0 {
		return keys[i], true, nil
	}
	if fresh {
		return Key{}, false, nil
	}
	if keys, _, err = k.snapshot(ctx, true); err != nil {
		return Key{}, false, err
	}
	if i := match(h, keys); i >= 0 {
		return keys[i], true, nil
	}
	return Key{}, false, nil
}

// Forget drops the cached hashes, so that a key created or revoked in
// this process is accepted or refused at once (other processes follow
// within the cache's life).
func (k *Keyring) Forget() {
	k.mu.Lock()
	k.keys = nil
	k.mu.Unlock()
}

// match compares h with every candidate's hash, without stopping early,
// in constant time per comparison, and returns the index of the one that
// matches, or -1.
func match(h []byte, candidates []Key) int {
	found := -1
	for i, c := range candidates {
		eq := subtle.ConstantTimeCompare(h, c.Hash)
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	return found
}

// snapshot returns the cached hashes, reloading them when the cache has
// expired, or on a miss when it is older than a second. fresh reports
// whether the returned hashes were just loaded.
func (k *Keyring) snapshot(ctx context.Context, miss bool) (keys []Key, fresh bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	age := k.now().Sub(k.loadedAt)
	if k.keys != nil && age < k.ttl && (!miss || age < time.Second) {
		return k.keys, false, nil
	}
	keys, err = k.store.ActiveSecretKeys(ctx)
	if err != nil {
		return nil, false, err
	}
	if keys == nil {
		keys = []Key{} // loaded, and empty: not nil, which means not loaded
	}
	k.keys, k.loadedAt = keys, k.now()
	return keys, true, nil
}
