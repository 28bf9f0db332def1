package signup_test

import (
	"context"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/signup"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestAllowed runs the sign-up rule against a real allowlist and real
// invitations in each mode (public, restricted, invitation_only,
// waitlist).
func TestAllowed(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := context.Background()
		now := time.Now()
		ms := now.UnixMilli()
		for _, v := range []string{"ada@example.com", "+14155552671", "0x52908400098527886e0f7030069857d2e4169ee7", "*@corp.example", "*@*.eu.example"} {
			value, typ, err := allowlist.Normalize(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateAllowlistIdentifier(ctx, &allowlist.Identifier{ID: id.NewAt(id.Allowlist, now),
				Identifier: value, Type: typ, CreatedAt: ms, UpdatedAt: ms}, allowlist.Notice{}); err != nil {
				t.Fatal(err)
			}
		}
		live, expired := ms+3_600_000, ms-1
		for addr, exp := range map[string]int64{"invited@example.org": live, "late@example.org": expired} {
			if err := db.CreateInvitations(ctx, []invitation.New{{Invitation: &invitation.Invitation{
				ID: id.NewAt(id.Invitation, now), EmailAddress: addr, PublicMetadata: []byte("{}"),
				Status: invitation.Pending, ExpiresAt: &exp, CreatedAt: ms - 10, UpdatedAt: ms - 10}}}, ms-10); err != nil {
				t.Fatal(err)
			}
		}

		type A = signup.Applicant
		cases := []struct {
			name                   string
			a                      A
			public, restr, invOnly string // "" = allowed, else the error code
		}{
			{"stranger", A{EmailAddress: "eve@example.org"}, "", "not_allowed_access", "sign_up_mode_restricted"},
			{"allowlisted email", A{EmailAddress: "ada@example.com"}, "", "", "sign_up_mode_restricted"},
			{"allowlisted phone", A{PhoneNumber: "+14155552671"}, "", "", "sign_up_mode_restricted"},
			{"allowlisted wallet, any case", A{Web3Wallet: "0x52908400098527886E0F7030069857D2E4169EE7"}, "", "", "sign_up_mode_restricted"},
			{"wildcard domain", A{EmailAddress: "bob@corp.example"}, "", "", "sign_up_mode_restricted"},
			{"wildcard does not cover subdomains", A{EmailAddress: "bob@x.corp.example"}, "", "not_allowed_access", "sign_up_mode_restricted"},
			{"subdomain wildcard", A{EmailAddress: "bob@paris.eu.example"}, "", "", "sign_up_mode_restricted"},
			{"subdomain wildcard, deeper", A{EmailAddress: "bob@a.paris.eu.example"}, "", "", "sign_up_mode_restricted"},
			{"subdomain wildcard skips the apex", A{EmailAddress: "bob@eu.example"}, "", "not_allowed_access", "sign_up_mode_restricted"},
			{"pending invitation", A{EmailAddress: "invited@example.org"}, "", "", ""},
			{"expired invitation", A{EmailAddress: "late@example.org"}, "", "not_allowed_access", "sign_up_mode_restricted"},
			{"valid ticket", A{EmailAddress: "eve@example.org", Invited: true}, "", "", ""},
			{"no identifiers", A{}, "", "not_allowed_access", "sign_up_mode_restricted"},
		}
		for _, c := range cases {
			// Waitlist mode admits whom invitation_only does, refusing the
			// others with its own code.
			waitlist := c.invOnly
			if waitlist != "" {
				waitlist = "sign_up_restricted_waitlist"
			}
			for mode, want := range map[string]string{instance.ModePublic: c.public, instance.ModeRestricted: c.restr,
				instance.ModeInvitationOnly: c.invOnly, instance.ModeWaitlist: waitlist} {
				err := signup.Allowed(ctx, signup.Rules{Mode: mode, Restrictions: instance.Restrictions{Blocklist: true}}, c.a, db, ms)
				got := ""
				if err != nil {
					e, ok := errs.As(err)
					if !ok || e.Kind != errs.Forbidden {
						t.Fatalf("%s in %s: %v is not a 403", c.name, mode, err)
					}
					got = e.Code
				}
				if got != want {
					t.Errorf("%s in %s mode: got %q, want %q", c.name, mode, got, want)
				}
			}
		}
	})
}
