// Package identifier normalises and validates the identifiers a user can
// sign in with: email addresses, phone numbers, usernames and web3 wallets.
// Each function returns the canonical form that is stored and compared.
package identifier

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/conciergehq/concierge/internal/errs"
)

// Email trims and lower-cases an address and checks that it is a plain
// addr-spec with a dotted domain (no display name, no comments).
func Email(param, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := errs.ParamFormat(param, param+" must be a valid email address.")
	if s == "" || len(s) > 320 || strings.ContainsAny(s, " \t\r\n<>()\"") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || !validDomain(domain) {
		return "", bad
	}
	return s, nil
}

// validDomain accepts LDH labels separated by dots, with at least two labels.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c >= utf8.RuneSelf) {
				return false
			}
		}
	}
	return true
}

// Domain validates a bare email domain such as "example.com".
func Domain(d string) bool { return validDomain(strings.ToLower(d)) }

// Phone checks that s is a possible, valid phone number written in E.164
// ("+" then country code and number) and returns its E.164 form.
func Phone(param, s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := errs.ParamFormat(param, param+" must be a valid phone number according to E.164 international standard.")
	if len(s) < 3 || len(s) > 20 || s[0] != '+' {
		return "", bad
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return "", bad
		}
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", bad
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Username bounds, as Clerk's defaults.
const (
	UsernameMin = 4
	UsernameMax = 64
)

// Username lower-cases and validates a username: 4 to 64 characters of
// letters, digits, "_", "-" and ".", and not only digits (so it cannot be
// mistaken for a phone number).
func Username(param, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	n := utf8.RuneCountInString(s)
	if n < UsernameMin || n > UsernameMax {
		return "", errs.New(errs.Invalid, "form_username_invalid_length",
			"Username must be between 4 and 64 characters long.",
			"Username must be between 4 and 64 characters long.").WithParam(param)
	}
	digits := true
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c == '_', c == '-', c == '.':
			digits = false
		case c >= '0' && c <= '9':
		default:
			return "", errs.New(errs.Invalid, "form_username_invalid_character",
				"Username can only contain letters, numbers and '_', '-' or '.'.",
				"Username can only contain letters, numbers and '_', '-' or '.'.").WithParam(param)
		}
	}
	if digits {
		return "", errs.New(errs.Invalid, "form_username_needs_non_number_char",
			"Username must contain at least one non-number character.",
			"Username must contain at least one non-number character.").WithParam(param)
	}
	return s, nil
}

// Web3Wallet validates an Ethereum-style address ("0x" and 40 hex digits)
// and returns it lower-cased, since the hex form is case-insensitive.
func Web3Wallet(param, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !IsWeb3Wallet(s) {
		return "", errs.ParamFormat(param, param+" must be a valid web3 wallet address.")
	}
	return strings.ToLower(s), nil
}

// IsWeb3Wallet reports whether s is "0x" followed by 40 hex digits.
func IsWeb3Wallet(s string) bool {
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
