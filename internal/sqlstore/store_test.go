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

func ptr[T any](v T) *T { return &v }
