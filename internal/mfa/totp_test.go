package mfa

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/password"
)

// RFC 6238 Appendix B, SHA-1: the secret "12345678901234567890" and the
// 8-digit codes at the given times.
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"},
		{2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := hotp(key, v.unix/30, 8); got != v.code {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.code)
		}
	}
}

func TestVerifyWindowAndReplay(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1111111111, 0)
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		code, err := Code(secret, cur+d)
		if err != nil {
			t.Fatal(err)
		}
		if step, ok := Verify(secret, code, now, 0); !ok || step != cur+d {
			t.Errorf("step %+d refused", d)
		}
	}
	for _, d := range []int64{-2, 2} {
		code, _ := Code(secret, cur+d)
		if _, ok := Verify(secret, code, now, 0); ok {
			t.Errorf("step %+d accepted outside the window", d)
		}
	}
	code, _ := Code(secret, cur)
	if _, ok := Verify(secret, code, now, cur); ok {
		t.Error("a used code worked twice")
	}
	if _, ok := Verify(secret, "12345", now, 0); ok {
		t.Error("a short code matched")
	}
	if len(NewSecret()) != 32 {
		t.Error("secret is not 160 bits in base32")
	}
}

func TestBackupCodes(t *testing.T) {
	defer func(c int) { password.Cost = c }(password.Cost)
	password.Cost = bcrypt.MinCost // the rules are under test, not the cost
	plain, digests, err := NewBackupCodes()
	if err != nil || len(plain) != BackupCount || len(digests) != BackupCount {
		t.Fatalf("%v %d %d", err, len(plain), len(digests))
	}
	seen := map[string]bool{}
	for i, p := range plain {
		if len(p) != BackupLength || strings.Trim(p, backupAlphabet) != "" || seen[p] {
			t.Fatalf("code %q", p)
		}
		seen[p] = true
		if i == 3 {
			if got := MatchBackupCode(digests, " "+p+" "); got != 3 {
				t.Fatalf("code 3 matched %d", got)
			}
		}
	}
	if MatchBackupCode(digests, "nope1234") != -1 || MatchBackupCode(digests, "") != -1 || MatchBackupCode(digests, "UPPER123") != -1 {
		t.Fatal("a wrong code matched")
	}
}
