package signup

import (
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

var (
	errSubaddress = errs.New(errs.Forbidden, "not_allowed_access", "Access not allowed.",
		"Email addresses with a subaddress (+, = or # before the @) cannot sign up for this application: use the address without it.").WithParam("email_address")
	errDisposable = errs.New(errs.Forbidden, "not_allowed_access", "Access not allowed.",
		"Email addresses from disposable-mail services cannot sign up for this application: use a permanent address.").WithParam("email_address")
)

// checkAddress applies the email restrictions that are on to a
// normalized email address ("" passes).
func checkAddress(rules Rules, email string) error {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return nil
	}
	// Clerk's rule: a subaddress is any of +, = and # in the local part.
	if rules.BlockEmailSubaddresses && strings.ContainsAny(email[:at], "+=#") {
		return errSubaddress
	}
	if rules.BlockDisposableEmailDomains && rules.Disposable != nil && rules.Disposable(email) {
		return errDisposable
	}
	return nil
}
