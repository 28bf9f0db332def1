package sqlstore_test

import (
	"context"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/user"
)

// TestMembershipOfDeletedUser: a user deleted between the service's
// check and the insert (concierge-fuzz found it on PostgreSQL, adding a
// member while deleting the user) is not found, not a foreign-key error
// answered 500.
func TestMembershipOfDeletedUser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		users := user.NewService(db)
		u, err := users.Create(ctx, user.CreateParams{EmailAddresses: []string{"gone@example.com"}, SkipPasswordRequirement: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		o := &organization.Organization{ID: "org_fkrace", Name: "Race", Slug: "race", PublicMetadata: []byte(`{}`),
			PrivateMetadata: []byte(`{}`), CreatedAt: 1, UpdatedAt: 1}
		if err := db.CreateOrganization(ctx, o, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		err = db.CreateMembership(ctx, &organization.Membership{ID: "orgmem_fkrace", OrganizationID: o.ID, UserID: u.ID,
			Role: "org:member", PublicMetadata: []byte(`{}`), PrivateMetadata: []byte(`{}`), CreatedAt: 2, UpdatedAt: 2})
		if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound {
			t.Fatalf("membership of a deleted user: %v, want not found", err)
		}
	})
}
