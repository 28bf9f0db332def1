package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderWrites: a backup taken while writers commit holds every
// write acknowledged before it started, passes SQLite's integrity check,
// and opens as a Concierge database; the writers never stall on it.
func TestBackupUnderWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var acked atomic.Int64 // writes 0..acked-1 are committed
	var mu sync.Mutex
	done := map[int64]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := next.Add(1) - 1
				err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO secret_keys (id, hash, hint, created_at) VALUES (?, ?, 'h', 0)",
						fmt.Sprintf("key_%08d", n), []byte(fmt.Sprint(n)))
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				done[n] = true
				for done[acked.Load()] {
					acked.Add(1)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	before := acked.Load()
	dest := filepath.Join(dir, "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if before < 10 || next.Load() <= before {
		t.Fatalf("too few writes around the backup: %d before, %d in all", before, next.Load())
	}
	if err := db.Backup(ctx, dest); err == nil {
		t.Fatal("a backup over an existing file")
	}
	cp, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var missing int
	if err := cp.read.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d - COUNT(*) FROM secret_keys WHERE id < 'key_%08d'`, before, before)).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if missing != 0 {
		t.Fatalf("%d writes acknowledged before the backup are missing from it", missing)
	}
	if err := cp.Ready(ctx); err != nil {
		t.Fatalf("the copy: %v", err)
	}
}
