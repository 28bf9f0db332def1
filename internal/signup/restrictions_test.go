package signup_test

import (
	"context"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/signup"
)

// TestAddressRestrictions: subaddresses and disposable domains are
// refused only while their restriction is on, and never with a ticket.
// In public mode the policy consults no list, so none is given.
func TestAddressRestrictions(t *testing.T) {
	disposable := func(email string) bool { return strings.HasSuffix(email, "@throwaway.example") }
	on := signup.Rules{Mode: instance.ModePublic, Disposable: disposable,
		Restrictions: instance.Restrictions{BlockEmailSubaddresses: true, BlockDisposableEmailDomains: true}}
	off := signup.Rules{Mode: instance.ModePublic, Disposable: disposable}
	for _, c := range []struct {
		email   string
		invited bool
		refused bool
	}{
		{"ada+news@example.com", false, true}, {"ada=x@example.com", false, true}, {"ada#1@example.com", false, true},
		{"ada@throwaway.example", false, true}, {"ada@example.com", false, false}, {"ada.b-c_d@example.com", false, false},
		{"ada+news@example.com", true, false}, {"ada@throwaway.example", true, false}, {"", false, false},
	} {
		a := signup.Applicant{EmailAddress: c.email, Invited: c.invited}
		err := signup.Allowed(context.Background(), on, a, nil, 0)
		if e, ok := errs.As(err); c.refused != (err != nil) || (err != nil && (!ok || e.Kind != errs.Forbidden || e.Code != "not_allowed_access")) {
			t.Errorf("%q (invited %v) with the restrictions on: %v", c.email, c.invited, err)
		}
		if err := signup.Allowed(context.Background(), off, a, nil, 0); err != nil {
			t.Errorf("%q with the restrictions off: %v", c.email, err)
		}
	}
}
