package mfa

import (
	"crypto/rand"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/password"
)

// BackupCount is how many backup codes a user gets at a time, as Clerk.
const BackupCount = 10

// backupCost is the bcrypt cost of new backup codes: Concierge's
// password cost (a variable so the package's tests can run cheaply).
var backupCost = password.Cost

// backupAlphabet avoids letters read as digits (o, l, i).
const backupAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewBackupCodes makes BackupCount codes of 8 characters (about 40 bits
// each), returned once in plain and kept as bcrypt digests, the form
// imports bring too.
func NewBackupCodes() (plain, digests []string, err error) {
	for i := 0; i < BackupCount; i++ {
		raw := make([]byte, 8)
		rand.Read(raw)
		var b strings.Builder
		for _, c := range raw {
			b.WriteByte(backupAlphabet[int(c)%len(backupAlphabet)])
		}
		d, err := bcrypt.GenerateFromPassword([]byte(b.String()), backupCost)
		if err != nil {
			return nil, nil, err
		}
		plain, digests = append(plain, b.String()), append(digests, string(d))
	}
	return plain, digests, nil
}

// MatchBackupCode finds the digest code matches, or -1. Every digest is
// tried, so the time does not tell which one matched. Codes are compared
// as typed, then lower-cased (Concierge's are lower case; imported ones
// may not be).
func MatchBackupCode(digests []string, code string) int {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return -1
	}
	if i := match(digests, code); i >= 0 || strings.ToLower(code) == code {
		return i
	}
	return match(digests, strings.ToLower(code))
}

func match(digests []string, code string) int {
	found := -1
	for i, d := range digests {
		if password.Verify("bcrypt", d, code) && found < 0 {
			found = i
		}
	}
	return found
}
