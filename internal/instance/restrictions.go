package instance

import (
	"context"
	"net/mail"
	"strings"
	"unicode"
)

// Sign-up restrictions (Clerk's "Restrictions" page) and the support
// address, set from the dashboard, the environment or the Backend API's
// /v1/instance routes.
const (
	// Blocklist refuses identifiers on the blocklist at sign-up and
	// sign-in ("true", the default: Concierge always checked it).
	Blocklist = "blocklist"
	// BlockEmailSubaddresses refuses sign-ups whose email address has a
	// subaddress: +, = or # in its local part ("false" by default).
	BlockEmailSubaddresses = "block_email_subaddresses"
	// BlockDisposableEmailDomains refuses sign-ups from disposable-mail
	// domains ("false" by default).
	BlockDisposableEmailDomains = "block_disposable_email_domains"
	// SupportEmail is the contact address clerk-js shows users who need
	// help (the environment's display_config.support_email); "" for none.
	SupportEmail = "support_email"
)

// Restrictions are the sign-up restrictions in force besides the sign-up
// mode (whose "restricted" value is Clerk's allowlist restriction).
type Restrictions struct {
	Blocklist                   bool
	BlockEmailSubaddresses      bool
	BlockDisposableEmailDomains bool
}

func validSupportEmail(v string) bool {
	if v == "" {
		return true
	}
	if len(v) > 320 || strings.IndexFunc(v, unicode.IsControl) >= 0 || strings.ContainsAny(v, " <>") {
		return false
	}
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && a.Name == ""
}

// SetAll changes several settings as Set does, after validating every
// value first, so that a request with one bad value changes none.
func (s *Service) SetAll(ctx context.Context, values map[string]string) error {
	for k, v := range values {
		if err := Validate(k, v); err != nil {
			return err
		}
	}
	for _, k := range Keys {
		if v, ok := values[k]; ok {
			if err := s.Set(ctx, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
