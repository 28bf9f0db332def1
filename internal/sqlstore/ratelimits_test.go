package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestCountEvent: concurrent events in one window are all counted (the
// upsert is atomic), other keys count apart, and a passed window starts
// again at one.
func TestCountEvent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := context.Background()
		now := time.UnixMilli(1_700_000_000_000)
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := db.CountEvent(ctx, "k", now, 10*time.Second); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		n, start, err := db.CountEvent(ctx, "k", now.Add(time.Second), 10*time.Second)
		if err != nil || n != 41 || !start.Equal(now) {
			t.Fatalf("after 41 events: %d from %s, %v", n, start, err)
		}
		if n, _, _ := db.CountEvent(ctx, "other", now, 10*time.Second); n != 1 {
			t.Fatalf("another key: %d", n)
		}
		later := now.Add(10 * time.Second)
		if n, start, _ := db.CountEvent(ctx, "k", later, 10*time.Second); n != 1 || !start.Equal(later) {
			t.Fatalf("a new window: %d from %s", n, start)
		}
	})
}
