package mfa

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/password"
)

// MaxImportedBackupCodes bounds the backup codes a user may be given.
const MaxImportedBackupCodes = 20

// NormalizeSecret reads a base32 TOTP secret as authenticator apps and
// exports show it (spaces, dashes, lower case, padding) and checks that
// it decodes to at least 80 bits, RFC 4226's minimum.
func NormalizeSecret(s string) (string, error) {
	clean := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s))
	clean = strings.TrimRight(clean, "=")
	raw, err := b32.DecodeString(clean)
	if err != nil || len(raw) < 10 || len(raw) > 128 {
		return "", errs.ParamFormat("totp_secret", "totp_secret must be a base32 secret of at least 16 characters.")
	}
	return clean, nil
}

// BackupDigests keeps backup codes given in plain or as bcrypt digests
// (as Clerk accepts either): plain ones are hashed here.
func BackupDigests(codes []string) ([]string, error) {
	if len(codes) > MaxImportedBackupCodes {
		return nil, errs.ParamFormat("backup_codes", fmt.Sprintf("At most %d backup codes may be given.", MaxImportedBackupCodes))
	}
	var out []string
	for _, c := range codes {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
			continue
		case isBcrypt(c):
			out = append(out, c)
		case len(c) > 64:
			return nil, errs.ParamFormat("backup_codes", "A backup code must be at most 64 characters, or a bcrypt digest.")
		default:
			h, err := password.Hash(c)
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
	}
	return out, nil
}

func isBcrypt(s string) bool {
	return len(s) == 60 && (strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$"))
}
