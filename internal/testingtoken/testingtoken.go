// Package testingtoken mints and checks Clerk's testing tokens: what
// @clerk/testing fetches from the Backend API before a Playwright or
// Cypress suite and appends to every Frontend API request as
// __clerk_testing_token, so that the suite is not treated as a bot. On
// Concierge the only thing that could stop a suite is the per-IP rate
// limits, so a valid token lifts those. Development instances only.
package testingtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Lifetime is how long a token works.
const Lifetime = time.Hour

// Mint returns a token valid until now+Lifetime, and that expiry: the
// expiry and its HMAC under key, so checking it needs no storage.
func Mint(key []byte, now time.Time) (string, time.Time) {
	exp := now.Add(Lifetime).Truncate(time.Second)
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(exp.Unix()))
	tok := append(raw[:], sum(key, raw[:])...)
	return base64.RawURLEncoding.EncodeToString(tok), exp
}

// Valid reports whether token was minted with key and is unexpired.
func Valid(key []byte, token string, now time.Time) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 8+sha256.Size {
		return false
	}
	if !hmac.Equal(raw[8:], sum(key, raw[:8])) {
		return false
	}
	return now.Unix() < int64(binary.BigEndian.Uint64(raw[:8]))
}

func sum(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("testing_token:"))
	m.Write(msg)
	return m.Sum(nil)
}
