package sqlstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/user"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrationVersionsMatch(t *testing.T) {
	a, err := sqlstore.MigrationVersions(sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sqlstore.MigrationVersions(sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("sqlite migrations %v, postgres %v: they must list the same versions", a, b)
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		dsn := dbtest.DSN(t, engine)
		for i := 0; i < 2; i++ {
			db, err := sqlstore.Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("open #%d: %v", i+1, err)
			}
			db.Close()
		}
	})
}

func TestStoreUserRoundTrip(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		svc := user.NewService(db)
		u, err := svc.Create(ctx, user.CreateParams{
			EmailAddresses: []string{"Ada@Example.com"}, Username: ptr("ada_l"),
			FirstName: ptr("Ada"), LastName: ptr("Lovelace"), SkipPasswordRequirement: ptr(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.User(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Identifiers) != 1 || got.Identifiers[0].Value != "ada@example.com" {
			t.Fatalf("identifiers = %+v", got.Identifiers)
		}
		if got.PrimaryEmailAddressID == nil || *got.PrimaryEmailAddressID != got.Identifiers[0].ID {
			t.Fatalf("primary email not set: %+v", got.PrimaryEmailAddressID)
		}
		for _, q := range []user.Query{
			{Filter: user.Filter{Query: "LOVEL"}},
			{Filter: user.Filter{EmailAddressQuery: "example"}},
			{Filter: user.Filter{UsernameQuery: "a_"}},
			{Filter: user.Filter{NameQuery: "ada lov"}},
			{Filter: user.Filter{Query: "100%"}, Limit: 0},
		} {
			users, err := db.ListUsers(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q.Filter, err)
			}
			want := 1
			if q.Query == "100%" {
				want = 0
			}
			if len(users) != want {
				t.Errorf("%+v: got %d users, want %d", q.Filter, len(users), want)
			}
		}
		_, err = svc.Create(ctx, user.CreateParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: ptr(true)})
		if e, ok := errs.As(err); !ok || e.Code != "form_identifier_exists" {
			t.Fatalf("duplicate email: err = %v", err)
		}
		_, err = svc.Create(ctx, user.CreateParams{Username: ptr("ADA_L"), SkipPasswordRequirement: ptr(true)})
		if e, ok := errs.As(err); !ok || e.Code != "form_identifier_exists" || e.Meta["param_name"] != "username" {
			t.Fatalf("duplicate username: err = %v", err)
		}
		if err := db.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := db.CountUsers(ctx, user.Filter{Query: "ada"}); err != nil || n != 0 {
			t.Fatalf("after delete: count %d, %v", n, err)
		}
		if _, err := svc.Create(ctx, user.CreateParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: ptr(true)}); err != nil {
			t.Fatalf("email not freed by delete: %v", err)
		}
	})
}

// TestStoreIdentifierFiltersUnion: the identifier lists of a filter are
// one union (a user owning any listed value of any kind matches), and
// every other field narrows that union. List and count agree.
func TestStoreIdentifierFiltersUnion(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		svc := user.NewService(db)
		create := func(p user.CreateParams) string {
			t.Helper()
			p.SkipPasswordRequirement = ptr(true)
			u, err := svc.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		a := create(user.CreateParams{EmailAddresses: []string{"a@example.com"}, Banned: ptr(true)})
		b := create(user.CreateParams{PhoneNumbers: []string{"+14155552671"}})
		c := create(user.CreateParams{Username: ptr("user_c"), FirstName: ptr("Carol")})
		d := create(user.CreateParams{Web3Wallets: []string{"0x52908400098527886e0f7030069857d2e4169ee7"}})
		// Owns no listed value: a union that matched everyone would show it.
		create(user.CreateParams{EmailAddresses: []string{"e@example.com"}, PhoneNumbers: []string{"+14155550199"}})

		union := user.Filter{EmailAddresses: []string{" A@example.com"}, PhoneNumbers: []string{"+14155552671"},
			Usernames: []string{"USER_C"}, Web3Wallets: []string{"0x52908400098527886E0F7030069857D2E4169EE7"}}
		narrowed := func(edit func(*user.Filter)) user.Filter {
			f := union
			edit(&f)
			return f
		}
		for _, tc := range []struct {
			name string
			f    user.Filter
			want []string // in created_at order
		}{
			{"email or phone", user.Filter{EmailAddresses: union.EmailAddresses, PhoneNumbers: union.PhoneNumbers}, []string{a, b}},
			{"username or wallet", user.Filter{Usernames: union.Usernames, Web3Wallets: union.Web3Wallets}, []string{c, d}},
			{"all four kinds", union, []string{a, b, c, d}},
			{"banned narrows", narrowed(func(f *user.Filter) { f.Banned = ptr(true) }), []string{a}},
			{"not banned narrows", narrowed(func(f *user.Filter) { f.Banned = ptr(false) }), []string{b, c, d}},
			{"user id exclusion narrows", narrowed(func(f *user.Filter) { f.NotUserIDs = []string{a, d} }), []string{b, c}},
			{"user id inclusion narrows", narrowed(func(f *user.Filter) { f.UserIDs = []string{c} }), []string{c}},
			{"substring query narrows", narrowed(func(f *user.Filter) { f.Query = "CAROL" }), []string{c}},
		} {
			users, err := db.ListUsers(ctx, user.Query{Filter: tc.f, Limit: 10})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []string
			for _, u := range users {
				got = append(got, u.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: list %v, want %v", tc.name, got, tc.want)
			}
			if n, err := db.CountUsers(ctx, tc.f); err != nil || n != int64(len(tc.want)) {
				t.Errorf("%s: count %d, %v; want %d", tc.name, n, err, len(tc.want))
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }
