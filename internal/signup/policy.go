// Package signup holds the rules of signing up. Policy decides who may
// sign up under the instance's sign-up mode.
package signup

import (
	"context"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
)

// Applicant is who asks to sign up: the identifiers of the new account
// (normalized; empty when not given) and whether the request carries a
// valid invitation ticket. The sign-up flow must have verified, or must
// verify before the account is created, each identifier it passes.
type Applicant struct {
	EmailAddress string
	PhoneNumber  string
	Web3Wallet   string
	// Invited is true when a ticket was verified for this sign-up.
	Invited bool
}

// Lists answers the policy's questions about the allowlist and the
// invitations.
type Lists interface {
	// AllowlistContains reports whether any of values is on the allowlist.
	AllowlistContains(ctx context.Context, values []string) (bool, error)
	// BlocklistContains reports whether any of values is on the blocklist.
	BlocklistContains(ctx context.Context, values []string) (bool, error)
	// HasPendingInvitation reports whether email has a pending,
	// unexpired invitation at now (Unix ms).
	HasPendingInvitation(ctx context.Context, email string, now int64) (bool, error)
}

// Rules are the instance's sign-up rules: its mode and restrictions.
type Rules struct {
	Mode string
	instance.Restrictions
	// Disposable reports whether an email address's domain is a
	// disposable-mail one; consulted when BlockDisposableEmailDomains.
	Disposable func(email string) bool
}

// Allowed decides whether a may sign up under the rules' mode:
//
//   - public: anyone;
//   - restricted: an invited applicant, or one with an identifier on the
//     allowlist (an exact email address, phone number or wallet, or a
//     wildcard domain covering the email address);
//   - invitation_only: an invited applicant only;
//   - waitlist: an invited applicant only (the others join the
//     waitlist, and an operator invites them from it).
//
// "Invited" means a valid ticket, or a pending invitation to the
// applicant's email address. Before the mode, the restrictions: the
// blocklist (when on) refuses everyone, invited or not; subaddresses and
// disposable domains (when on) refuse applicants without a ticket (an
// administrator who invited an address chose it). A refusal is a 403
// with FAPI's code.
func Allowed(ctx context.Context, rules Rules, a Applicant, l Lists, now int64) error {
	mode := rules.Mode
	if rules.Blocklist {
		if err := CheckBlocked(ctx, l, a.EmailAddress, a.PhoneNumber, a.Web3Wallet); err != nil {
			return err
		}
	}
	if a.Invited {
		return nil
	}
	if err := checkAddress(rules, a.EmailAddress); err != nil {
		return err
	}
	if mode == instance.ModePublic {
		return nil
	}
	if a.EmailAddress != "" {
		ok, err := l.HasPendingInvitation(ctx, a.EmailAddress, now)
		if err != nil || ok {
			return err
		}
	}
	if mode == instance.ModeRestricted {
		if vals := allowlistKeys(a); len(vals) > 0 {
			ok, err := l.AllowlistContains(ctx, vals)
			if err != nil || ok {
				return err
			}
		}
		return errs.New(errs.Forbidden, "not_allowed_access", "Access not allowed.",
			"You are not allowed to sign up for this application: ask its administrator for an invitation.")
	}
	if mode == instance.ModeWaitlist {
		return errs.New(errs.Forbidden, "sign_up_restricted_waitlist", "Sign-ups are restricted.",
			"This application accepts new accounts from its waitlist: join the waitlist to be invited.")
	}
	return errs.New(errs.Forbidden, "sign_up_mode_restricted", "Sign-ups are restricted.",
		"This application accepts new accounts by invitation only.")
}

// allowlistKeys lists the allowlist entries that would admit a: its
// identifiers, and for an email address the wildcard of its domain and of
// each parent domain ("*@*.example.com" covers a@eu.example.com and
// a@x.eu.example.com).
func allowlistKeys(a Applicant) []string {
	return listKeys(a.EmailAddress, a.PhoneNumber, a.Web3Wallet)
}

// errBlocked refuses an identifier on the blocklist.
var errBlocked = errs.New(errs.Forbidden, "not_allowed_access", "Access not allowed.",
	"This identifier is blocked from this application.")

// CheckBlocked refuses identifiers (normalized email addresses, phone
// numbers, wallets; empty ones are skipped) on the blocklist, exactly or
// by a wildcard of an email address's domain: at sign-up and sign-in.
func CheckBlocked(ctx context.Context, l Lists, values ...string) error {
	keys := listKeys(values...)
	if len(keys) == 0 {
		return nil
	}
	blocked, err := l.BlocklistContains(ctx, keys)
	if err != nil {
		return err
	}
	if blocked {
		return errBlocked
	}
	return nil
}

// listKeys are the list entries naming any of values: each value, and
// for an email address the wildcards of its domain and parent domains.
func listKeys(values ...string) []string {
	var vals []string
	for _, v := range values {
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "0x") {
			v = strings.ToLower(v)
		}
		vals = append(vals, v)
		if at := strings.LastIndexByte(v, '@'); at >= 0 {
			vals = append(vals, domainKeys(v[at+1:])...)
		}
	}
	return vals
}

// domainKeys are "*@domain" and "*@*.parent" for each parent domain.
func domainKeys(domain string) []string {
	vals := []string{"*@" + domain}
	for d := domain; ; {
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return vals
		}
		d = d[dot+1:]
		if strings.Contains(d, ".") {
			vals = append(vals, "*@*."+d)
		}
	}
}
