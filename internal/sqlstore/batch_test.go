package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// TestConcurrentWritesFailAlone runs many creates at once, a third of them
// doomed (duplicate email): every good one is stored and every bad one
// gets form_identifier_exists, however the writes were grouped.
func TestConcurrentWritesFailAlone(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		svc := user.NewService(db)
		if _, err := svc.Create(ctx, user.CreateParams{EmailAddresses: []string{"dup@example.com"}, SkipPasswordRequirement: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		const n = 60
		errsOut := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				email := fmt.Sprintf("ok%d@example.com", i)
				if i%3 == 0 {
					email = "dup@example.com"
				}
				<-start
				_, errsOut[i] = svc.Create(ctx, user.CreateParams{EmailAddresses: []string{email}, SkipPasswordRequirement: ptr(true)})
			}(i)
		}
		close(start)
		wg.Wait()
		for i, err := range errsOut {
			if i%3 == 0 {
				if e, ok := errs.As(err); !ok || e.Code != "form_identifier_exists" {
					t.Errorf("write %d: want form_identifier_exists, got %v", i, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("write %d failed: %v", i, err)
			}
		}
		count, err := db.CountUsers(ctx, user.Filter{})
		if err != nil || count != 1+n-n/3 {
			t.Fatalf("count = %d (%v), want %d", count, err, 1+n-n/3)
		}
		found, err := db.CountUsers(ctx, user.Filter{EmailAddressQuery: "ok"})
		if err != nil || found != n-n/3 {
			t.Fatalf("search index has %d of the %d new users (%v)", found, n-n/3, err)
		}
	})
}

// TestCanceledCallerStillCommitted checks that a write whose caller gives
// up after it was accepted is either fully stored or reported failed.
func TestCanceledCallerStillCommitted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := dbtest.Open(t, "sqlite")
	svc := user.NewService(db)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Create(ctx, user.CreateParams{EmailAddresses: []string{"gone@example.com"}, SkipPasswordRequirement: ptr(true)})
		done <- err
	}()
	cancel()
	err := <-done
	n, cerr := db.CountUsers(context.Background(), user.Filter{EmailAddresses: []string{"gone@example.com"}})
	if cerr != nil {
		t.Fatal(cerr)
	}
	if (err == nil) != (n == 1) {
		t.Fatalf("create returned %v but %d users stored", err, n)
	}
}
