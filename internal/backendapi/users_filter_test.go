package backendapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestIdentifierFiltersUnion drives GET /v1/users and /v1/users/count
// through clerk-sdk-go: the identifier lists (email_address, phone_number,
// username, web3_wallet) combine as "any of", as Clerk documents
// getUserList, and every other filter narrows that union.
func TestIdentifierFiltersUnion(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		create := func(p clerkuser.CreateParams) string {
			t.Helper()
			p.SkipPasswordRequirement = ptr(true)
			u, err := e.users.Create(ctx, &p)
			if err != nil {
				t.Fatalf("create %+v: %v", p, err)
			}
			return u.ID
		}
		// Created oldest first; lists default to newest first.
		a := create(clerkuser.CreateParams{EmailAddresses: &[]string{"alice@example.com"}, CreatedAt: ptr("2020-01-01T00:00:00Z")})
		b := create(clerkuser.CreateParams{PhoneNumbers: &[]string{"+14155552671"}})
		c := create(clerkuser.CreateParams{Username: ptr("carol_c")})
		d := create(clerkuser.CreateParams{Web3Wallets: &[]string{"0x52908400098527886E0F7030069857D2E4169EE7"}})
		// both owns an email and a phone: listing both must name it once.
		both := create(clerkuser.CreateParams{EmailAddresses: &[]string{"both@example.com"}, PhoneNumbers: &[]string{"+447911123456"}})
		// other owns nothing listed below, so a union that ignored its
		// values (matching everyone) would show it.
		other := create(clerkuser.CreateParams{EmailAddresses: &[]string{"other@example.com"}, PhoneNumbers: &[]string{"+14155550199"}})

		check := func(name string, p clerkuser.ListParams, want ...string) {
			t.Helper()
			res, err := e.users.List(ctx, &p)
			if err != nil {
				t.Fatalf("%s: list: %v", name, err)
			}
			got := make([]string, len(res.Users))
			for i, u := range res.Users {
				got[i] = u.ID
			}
			if len(got) != len(want) || res.TotalCount != int64(len(want)) {
				t.Fatalf("%s: got %v (total_count %d), want %v", name, got, res.TotalCount, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: got %v, want %v", name, got, want)
				}
			}
			n, err := e.users.Count(ctx, &p)
			if err != nil || n.TotalCount != int64(len(want)) {
				t.Fatalf("%s: count %+v, %v; want %d", name, n, err, len(want))
			}
		}

		emailA, phoneB := []string{"Alice@Example.com"}, []string{"+14155552671"}
		check("email or phone", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB}, b, a)
		check("unknown values add nobody", clerkuser.ListParams{
			EmailAddresses: []string{"alice@example.com", "nobody@example.com"}, PhoneNumbers: []string{"+14155550100"},
		}, a)
		check("all four kinds", clerkuser.ListParams{
			EmailAddresses: emailA, PhoneNumbers: phoneB, Usernames: []string{"Carol_C"},
			Web3Wallets: []string{"0x52908400098527886e0f7030069857d2e4169ee7"},
		}, d, c, b, a)
		check("one user owning two listed values", clerkuser.ListParams{
			EmailAddresses: []string{"both@example.com"}, PhoneNumbers: []string{"+447911123456"},
		}, both)
		check("no identifier filter lists everyone", clerkuser.ListParams{}, other, both, d, c, b, a)

		// The other filters narrow the union.
		check("user_id exclusion", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB, Usernames: []string{"carol_c"},
			UserIDs: []string{"-" + b}}, c, a)
		check("user_id inclusion", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB, UserIDs: []string{b, c}}, b)
		check("substring query", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB, PhoneNumberQuery: ptr("5552671")}, b)
		check("created before", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB,
			CreatedAtBefore: ptr(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}, a)
		// A page of the union still reports the union's total.
		page, err := e.users.List(ctx, &clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB,
			ListParams: clerk.ListParams{Limit: ptr(int64(1)), Offset: ptr(int64(1))}})
		if err != nil || len(page.Users) != 1 || page.Users[0].ID != a || page.TotalCount != 2 {
			t.Fatalf("paged union: %v %+v", err, page)
		}

		if _, err := e.users.Ban(ctx, a); err != nil {
			t.Fatal(err)
		}
		check("banned=true", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB, Banned: ptr(true)}, a)
		check("banned=false", clerkuser.ListParams{EmailAddresses: emailA, PhoneNumbers: phoneB, Banned: ptr(false)}, b)
	})
}
