package redirecturl_test

import (
	"context"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/redirecturl"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestAllowedCache: two services on one database, as two processes. A
// change is seen at once by the service that made it, and by the other
// once its TTL has passed, not before (it does not query per check).
func TestAllowedCache(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		now := time.Unix(1_800_000_000, 0)
		clock := func() time.Time { return now }
		a := &redirecturl.Service{Store: db, Now: clock, TTL: 5 * time.Second}
		b := &redirecturl.Service{Store: db, Now: clock, TTL: 5 * time.Second}
		if a.Allowed(ctx, "myapp://cb") || b.Allowed(ctx, "myapp://cb") {
			t.Fatal("allowed before registration")
		}
		u, err := a.Create(ctx, "myapp://cb")
		if err != nil {
			t.Fatal(err)
		}
		if !a.Allowed(ctx, "myapp://cb") {
			t.Fatal("the creating service does not see its URL")
		}
		if b.Allowed(ctx, "myapp://cb") {
			t.Fatal("the other service queried inside its TTL")
		}
		now = now.Add(6 * time.Second)
		if !b.Allowed(ctx, "myapp://cb/x") {
			t.Fatal("the other service did not refresh after its TTL")
		}
		if err := a.Delete(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if a.Allowed(ctx, "myapp://cb") {
			t.Fatal("still allowed after delete")
		}
		if _, err := a.Create(ctx, "javascript:alert(1)"); err == nil {
			t.Fatal("javascript: registered")
		}
	})
}
