package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
)

// TestStoreEmailLinks: the email link store on both engines — a link
// read back by its digest, spent exactly once however many openings
// race, settled once after that, and an unknown digest as not found.
func TestStoreEmailLinks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		l := &emaillink.Link{TokenHash: emaillink.Digest("tok"), Purpose: emaillink.PurposeSignIn, AttemptID: "sia_1", UserID: "user_1",
			ClientID: "client_1", EmailAddress: "ada@example.com", RedirectURL: "https://app.example/#/verify", ExpireAt: 600_000, CreatedAt: 1}
		if err := db.CreateEmailLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := db.EmailLink(ctx, l.TokenHash)
		if err != nil || *got != *l {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if ok, err := db.SettleEmailLink(ctx, l.TokenHash, 4); ok || err != nil {
			t.Fatalf("an unused link settled: %v %v", ok, err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.UseEmailLink(ctx, l.TokenHash, 5)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d openings spent the link", wins.Load())
		}
		if got, err := db.EmailLink(ctx, l.TokenHash); err != nil || got.UsedAt == nil || *got.UsedAt != 5 {
			t.Fatalf("after use: %+v %v", got, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := db.SettleEmailLink(ctx, l.TokenHash, 6); ok != want || err != nil {
				t.Fatalf("settle %d: %v %v", i, ok, err)
			}
		}
		if _, err := db.EmailLink(ctx, emaillink.Digest("other")); func() bool { e, ok := errs.As(err); return !ok || e.Kind != errs.NotFound }() {
			t.Fatalf("unknown digest: %v", err)
		}
	})
}
