package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/user"
)

// TestChangesWithinOneMillisecond: two changes to a user made within one
// millisecond (and of its creation) are both told of (two audit events,
// updated_at moving on), while bookkeeping (a sign-in's counters) still
// is not.
func TestChangesWithinOneMillisecond(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.System, ID: "test"})
		now := time.UnixMilli(1_800_000_000_000)
		svc := user.NewService(db)
		svc.Now = func() time.Time { return now }
		u, err := svc.Create(ctx, user.CreateParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		var stamps []int64
		for _, name := range []string{"Ada", "Augusta"} {
			got, err := db.UpdateUser(ctx, u.ID, func(x *user.User) error {
				x.FirstName = ptr(name)
				x.Touch(now.UnixMilli())
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			stamps = append(stamps, got.UpdatedAt)
		}
		if _, err := db.UpdateUser(ctx, u.ID, func(x *user.User) error {
			x.LastSignInAt = ptr(now.UnixMilli())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		events, err := db.AuditEvents(ctx, audit.Filter{Action: audit.UserUpdated, TargetID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || stamps[1] <= stamps[0] {
			t.Fatalf("%d user.updated events (want 2: two changes, no bookkeeping), updated_at %v", len(events), stamps)
		}
	})
}
