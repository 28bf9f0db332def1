package sqlstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/user"
)

// queue stores n invitations, each with its email, and returns the
// emails' IDs.
func queue(t testing.TB, db *sqlstore.DB, n int, now time.Time) []string {
	t.Helper()
	var items []invitation.New
	var ids []string
	for i := range n {
		ms := now.UnixMilli()
		inv := &invitation.Invitation{ID: id.NewAt(id.Invitation, now), EmailAddress: fmt.Sprintf("u%d@example.com", i),
			PublicMetadata: []byte("{}"), Status: invitation.Pending, CreatedAt: ms, UpdatedAt: ms}
		m := delivery.NewEmail(now, "noreply", "example.com", inv.EmailAddress, "hi", "<p>hi</p>", "hi")
		items = append(items, invitation.New{Invitation: inv, Email: m})
		ids = append(ids, m.ID)
	}
	if err := db.CreateInvitations(context.Background(), items, now.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestOutboxLeases: a claimed message is not claimed again while its
// lease holds; once the lease runs out (its dispatcher died) it is, with
// the attempt counted; a settled message is never claimed again.
func TestOutboxLeases(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := context.Background()
		now := time.Now()
		ms := now.UnixMilli()
		queue(t, db, 3, now)
		got, err := db.ClaimMessages(ctx, ms, ms+1000, 10)
		if err != nil || len(got) != 3 || got[0].Attempts != 1 {
			t.Fatalf("first claim: %v, %d messages", err, len(got))
		}
		if again, err := db.ClaimMessages(ctx, ms+500, ms+1500, 10); err != nil || len(again) != 0 {
			t.Fatalf("claimed %d leased messages (%v)", len(again), err)
		}
		sent := got[0]
		sent.Status = delivery.Sent
		sent.SentAt = &ms
		if err := db.SettleMessage(ctx, sent); err != nil {
			t.Fatal(err)
		}
		later, err := db.ClaimMessages(ctx, ms+1001, ms+2000, 10)
		if err != nil || len(later) != 2 || later[0].Attempts != 2 {
			t.Fatalf("after the lease: %v, %d messages", err, len(later))
		}
		for _, m := range later {
			if m.ID == sent.ID {
				t.Fatal("a sent message was claimed again")
			}
		}
		// Not yet due: a retry scheduled in the future waits.
		retry := later[0]
		retry.NextAttemptAt = ms + 10_000
		if err := db.SettleMessage(ctx, retry); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ClaimMessages(ctx, ms+5000, ms+6000, 10); len(got) != 1 || got[0].ID == retry.ID {
			t.Fatalf("claim before the retry is due: %d messages", len(got))
		}
	})
}

// TestOutboxConcurrentClaimers: two processes (two pools on one
// database) claiming at once never both get a message.
func TestOutboxConcurrentClaimers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		dsn := dbtest.DSN(t, engine)
		ctx := context.Background()
		var dbs []*sqlstore.DB
		for range 2 {
			db, err := sqlstore.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs = append(dbs, db)
		}
		now := time.Now()
		ids := queue(t, dbs[0], 60, now)
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db := dbs[w%2]
				for {
					ms := now.UnixMilli()
					got, err := db.ClaimMessages(ctx, ms, ms+60_000, 5)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != len(ids) {
			t.Fatalf("claimed %d distinct messages, want %d", len(seen), len(ids))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("message %s claimed %d times", id, n)
			}
		}
	})
}

// BenchmarkQueueEmail measures POST /v1/emails's store work: look up the
// address and insert the outbox row, concurrently.
func BenchmarkQueueEmail(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			u, err := user.NewService(db).Create(ctx, user.CreateParams{EmailAddresses: []string{"bench@example.com"},
				SkipPasswordRequirement: ptr(true)})
			if err != nil {
				b.Fatal(err)
			}
			idn := u.Identifiers[0].ID
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m := delivery.NewEmail(time.Now(), "news", "example.com", "", "s", "<p>b</p>", "b")
					if err := db.QueueToIdentifier(ctx, m, "email_address", idn, "email_address_id"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

type nopTransport struct{}

func (nopTransport) Send(context.Context, *delivery.Message) error { return nil }
func (nopTransport) Name() string                                  { return "nop" }

// BenchmarkDispatch measures the dispatcher's own cost per message
// (claim, send to a transport that does nothing, record): the outbox's
// ceiling when the transport is fast.
func BenchmarkDispatch(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			queue(b, db, b.N, time.Now().Add(-time.Second))
			d := delivery.NewDispatcher(db, nopTransport{}, nopTransport{}, slog.New(slog.DiscardHandler))
			b.ReportAllocs()
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				full, err := d.RunOnce(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sent += d.Workers
				if !full {
					break
				}
			}
		})
	}
}
