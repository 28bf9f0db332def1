// Package password hashes new passwords with bcrypt, enforces the password
// policy, and checks passwords against digests imported from other systems
// (password_digest + password_hasher on user create and update).
package password

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/errs"
)

// DefaultCost is the bcrypt cost of every hash Concierge makes.
const DefaultCost = 10

// Cost is the cost Hash uses: DefaultCost, except in the test harness
// (internal/apptest), which lowers it to bcrypt's minimum before any
// server starts. Under the race detector one cost-10 hash takes about
// 0.7 s of CPU, and the HTTP suites sign up and sign in thousands of
// times; the rules are under test there, not the cost. Set it only
// before anything hashes.
var Cost = DefaultCost

// Length bounds in bytes; bcrypt ignores anything past 72 bytes, so a
// longer password would be silently truncated: refuse it instead.
const (
	MinLength = 8
	MaxLength = 72
)

// common.txt lists the 11,611 passwords of at least 8 characters from the
// 30,000 most frequent leaked passwords in zxcvbn's frequency list (MIT,
// Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.), one per line.
//
//go:embed common.txt
var commonList []byte

var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 12000)
	sc := bufio.NewScanner(bytes.NewReader(commonList))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			m[line] = struct{}{}
		}
	}
	return m
})

// CommonCount is the number of entries in the embedded common-password list.
func CommonCount() int { return len(common()) }

// IsCommon reports whether p, compared case-insensitively, is on the list.
func IsCommon(p string) bool {
	_, ok := common()[strings.ToLower(p)]
	return ok
}

// Check validates p against the policy. skipChecks (Clerk's
// skip_password_checks) skips the strength checks but never the length
// bounds, which bcrypt itself needs.
func Check(param, p string, skipChecks bool) error {
	if len(p) > MaxLength {
		return errs.New(errs.Invalid, "form_password_length_too_long",
			"Passwords must be 72 bytes or fewer.", "Passwords must be 72 bytes or fewer.").WithParam(param)
	}
	if skipChecks {
		if p == "" {
			return errs.ParamMissing(param)
		}
		return nil
	}
	if len(p) < MinLength {
		return errs.New(errs.Invalid, "form_password_length_too_short",
			"Passwords must be 8 characters or more.", "Passwords must be 8 characters or more.").WithParam(param)
	}
	if IsCommon(p) {
		msg := "Password has been found in an online data breach. For account safety, please use a different password."
		return errs.New(errs.Invalid, "form_password_pwned", msg, msg).WithParam(param)
	}
	return nil
}

// Hash returns the bcrypt hash of p.
func Hash(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), Cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}
