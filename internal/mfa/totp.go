// Package mfa holds second factors: time-based one-time passwords
// (RFC 6238, as authenticator apps make them) and backup codes.
//
// TOTP is the few lines of RFC 4226/6238 over the standard library's
// HMAC-SHA1, tested against the RFC's vectors, rather than a dependency:
// Clerk's parameters are fixed (SHA-1, 6 digits, 30 s), and the one rule
// a library would not keep for us, each code working once, needs the
// step a code matched, which the caller stores.
package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Clerk's TOTP parameters.
const (
	Period = 30 * time.Second
	Digits = 6
	// Window is how many steps before and after now a code may be from,
	// for clocks that drift.
	Window = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret makes a 160-bit secret, base32 as authenticator apps take it.
func NewSecret() string {
	raw := make([]byte, 20)
	rand.Read(raw)
	return b32.EncodeToString(raw)
}

// Step is the RFC 6238 time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// hotp is RFC 4226's HOTP of counter with digits digits.
func hotp(key []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < digits; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Code is the code of a base32 secret at step.
func Code(secret string, step int64) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("mfa: bad secret: %w", err)
	}
	return hotp(key, step, Digits), nil
}

// Verify checks code against secret at now, within Window steps, and
// returns the step it matched. A step at or before lastStep has been used
// and does not match again: each code works once.
func Verify(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != Digits {
		return 0, false
	}
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Window; s <= cur+Window; s++ {
		if s <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, s, Digits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// URI is the otpauth:// URI an authenticator app scans (as a QR code).
func URI(secret, issuer, account string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}
