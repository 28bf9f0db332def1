package mfa

import (
	"crypto/rand"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/password"
)

// BackupCount is how many backup codes a user gets at a time, as Clerk.
const BackupCount = 10

// BackupLength is a backup code's length: about 49 bits from the
// alphabet below.
const BackupLength = 10

// codeCost is the bcrypt cost of new backup codes, two below the
// passwords' (and not under bcrypt's minimum): stretching is for
// guessable secrets, and a random 49-bit code at cost 8 still takes an
// offline attacker with a GPU centuries; every sign-in with a code tries
// all ten digests, so each step of cost doubles that wait.
func codeCost() int { return max(password.Cost-2, bcrypt.MinCost) }

// backupAlphabet avoids letters read as digits (o, l, i).
const backupAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewBackupCodes makes BackupCount codes of BackupLength characters,
// returned once in plain and kept as bcrypt digests (the form imports
// bring too), hashed on all cores at once.
func NewBackupCodes() (plain, digests []string, err error) {
	plain, digests = make([]string, BackupCount), make([]string, BackupCount)
	failures := make([]error, BackupCount)
	var wg sync.WaitGroup
	for i := range plain {
		plain[i] = newBackupCode()
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := bcrypt.GenerateFromPassword([]byte(plain[i]), codeCost())
			digests[i], failures[i] = string(d), err
		}()
	}
	wg.Wait()
	for _, err := range failures {
		if err != nil {
			return nil, nil, err
		}
	}
	return plain, digests, nil
}

// newBackupCode draws a code uniformly from the alphabet (rejecting the
// bytes past its last whole multiple).
func newBackupCode() string {
	var b strings.Builder
	limit := byte(256 - 256%len(backupAlphabet))
	buf := make([]byte, 1)
	for b.Len() < BackupLength {
		rand.Read(buf)
		if buf[0] < limit {
			b.WriteByte(backupAlphabet[int(buf[0])%len(backupAlphabet)])
		}
	}
	return b.String()
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
