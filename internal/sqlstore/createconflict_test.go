package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// TestCreateUserConflictWritesNothing: a create that hits a taken email
// address or username is answered with form_identifier_exists naming the
// right parameter, and keeps none of its rows (on PostgreSQL the create
// is one pipeline, whose implicit transaction must roll back whole).
func TestCreateUserConflictWritesNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		first, err := user.NewService(db).Create(ctx, user.CreateParams{
			EmailAddresses: []string{"taken@example.com"}, Username: ptr("taken"), SkipPasswordRequirement: ptr(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		clone := func(id, username, email string) *user.User {
			u := *first
			u.ID, u.Username, u.PrimaryEmailAddressID = id, ptr(username), ptr("idn_"+id)
			u.Identifiers = []user.Identifier{{ID: "idn_" + id, UserID: id, Kind: user.EmailAddress, Value: email,
				VerificationStatus: "verified", VerificationStrategy: "admin", CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}}
			return &u
		}
		for _, c := range []struct {
			u     *user.User
			param string
		}{
			{clone("user_dupemail", "fresh", "taken@example.com"), "email_address"},
			{clone("user_dupname", "taken", "fresh@example.com"), "username"},
		} {
			err := db.CreateUser(ctx, c.u)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != "form_identifier_exists" || e.Meta["param_name"] != c.param {
				t.Fatalf("%s: %v, want form_identifier_exists on %s", c.u.ID, err, c.param)
			}
			if _, err := db.User(ctx, c.u.ID); !errors.As(err, &e) || e.Code != "resource_not_found" {
				t.Fatalf("%s: kept after its create failed (%v)", c.u.ID, err)
			}
		}
		found, err := db.ListUsers(ctx, user.Query{Filter: user.Filter{EmailAddresses: []string{"fresh@example.com"}}})
		if err != nil || len(found) != 0 {
			t.Fatalf("the failed create's email address was kept: %d users, %v", len(found), err)
		}
	})
}
