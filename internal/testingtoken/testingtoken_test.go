package testingtoken

import (
	"testing"
	"time"
)

// TestTokens: a minted token is valid until it expires, under its key
// only, and no edit of it verifies.
func TestTokens(t *testing.T) {
	key, now := []byte("k1"), time.Now()
	tok, exp := Mint(key, now)
	if !Valid(key, tok, now) || !Valid(key, tok, exp.Add(-time.Second)) {
		t.Fatal("a fresh token is refused")
	}
	if Valid(key, tok, exp) || Valid([]byte("k2"), tok, now) {
		t.Fatal("an expired token or another key's is accepted")
	}
	for i := range tok {
		b := []byte(tok)
		b[i] ^= 1
		if Valid(key, string(b), now) {
			t.Fatalf("an edited token (byte %d) is accepted", i)
		}
	}
	for _, bad := range []string{"", "x", "%%%", tok + "A"} {
		if Valid(key, bad, now) {
			t.Fatalf("%q is accepted", bad)
		}
	}
}
