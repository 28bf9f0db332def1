package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
)

// TestBatcherSurvivesPanic: a write that panics fails alone; writes
// grouped with it still commit, and the writer keeps serving.
func TestBatcherSurvivesPanic(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insert := func(id string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO secret_keys (id, hash, hint, created_at) VALUES (?, ?, 'h', 0)", id, []byte(id))
			return err
		}
	}
	var wg sync.WaitGroup
	results := make([]error, 9)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			fn := insert(string(rune('a' + i)))
			if i == 4 {
				fn = func(context.Context, *sql.Tx) error { panic("boom") }
			}
			results[i] = db.tx(ctx, fn)
		}(i)
	}
	wg.Wait()
	for i, err := range results {
		if (i == 4) != (err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	keys, err := db.ActiveSecretKeys(ctx)
	if err != nil || len(keys) != 8 {
		t.Fatalf("%d keys stored (%v), want 8", len(keys), err)
	}
	if err := db.tx(ctx, insert("z")); err != nil {
		t.Fatalf("writer stopped after a panic: %v", err)
	}
}
