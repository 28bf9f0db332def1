// Package id makes Concierge's resource IDs: a prefix and a 27-character
// base62 KSUID (4 bytes of seconds since the KSUID epoch, 16 random bytes),
// so IDs sort by creation time as Clerk's do.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"time"
)

// Prefixes of the resources Concierge creates.
const (
	User         = "user_"
	Identifier   = "idn_"
	Session      = "sess_"
	Client       = "client_"
	Invitation   = "inv_"
	Allowlist    = "alid_"
	Blocklist    = "blid_"
	Waitlist     = "wle_"
	Email        = "ema_"
	SMS          = "sms_"
	Instance     = "ins_"
	SecretKey    = "sk_"
	KeyRecord    = "key_"
	Operator     = "op_"
	SignIn       = "sia_"
	SignUp       = "sua_"
	Verification = "ver_"
	JWTTemplate  = "jtmp_"
	SignInToken  = "sit_"
	ActorToken   = "act_"
	RedirectURL  = "ru_"
	Domain       = "dmn_"
	ProxyCheck   = "pxc_"
	// Webhooks: endpoints, events (Svix message IDs) and deliveries.
	WebhookEndpoint = "ep_"
	WebhookEvent    = "msg_"
	WebhookDelivery = "whd_"
)

const (
	epoch      = 1400000000 // KSUID epoch, 2014-05-13
	encodedLen = 27
	alphabet   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// New returns prefix + a KSUID for the current time.
func New(prefix string) string { return NewAt(prefix, time.Now()) }

// NewAt returns prefix + a KSUID whose time part is t.
func NewAt(prefix string, t time.Time) string {
	var raw [20]byte
	secs := t.Unix() - epoch
	if secs < 0 {
		secs = 0
	}
	binary.BigEndian.PutUint32(raw[:4], uint32(secs))
	if _, err := rand.Read(raw[4:]); err != nil {
		panic("id: crypto/rand failed: " + err.Error())
	}
	return prefix + encode(raw[:])
}

var base = big.NewInt(62)

func encode(raw []byte) string {
	n := new(big.Int).SetBytes(raw)
	out := make([]byte, encodedLen)
	mod := new(big.Int)
	for i := encodedLen - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}

// Random returns n random base62 characters, for secrets such as API keys.
func Random(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2)
	i := 0
	for i < n {
		if _, err := rand.Read(buf); err != nil {
			panic("id: crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the distribution uniform.
			if b < 248 && i < n {
				out[i] = alphabet[b%62]
				i++
			}
		}
	}
	return string(out)
}

// Secret returns a random token of 256 bits (43 base62 characters), for
// credentials such as client tokens and operator sessions.
func Secret() string { return Random(43) }

// Digest is how a secret is stored: its SHA-256, in hex. Tokens this long
// need no slow hash; a digest lets the database find them without
// holding them.
func Digest(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Valid reports whether s is prefix followed by a well-formed KSUID.
func Valid(prefix, s string) bool {
	if len(s) != len(prefix)+encodedLen || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Derived returns prefix + a KSUID whose time part is t and whose payload
// is a digest of key: the same key always gives the same ID. Imports use it
// for records whose source IDs are not Clerk's, so that running an import
// again finds the users it made the first time.
func Derived(prefix string, t time.Time, key string) string {
	var raw [20]byte
	secs := t.Unix() - epoch
	if secs < 0 {
		secs = 0
	}
	binary.BigEndian.PutUint32(raw[:4], uint32(secs))
	sum := sha256.Sum256([]byte(prefix + key))
	copy(raw[4:], sum[:16])
	return prefix + encode(raw[:])
}
