package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/conciergehq/concierge/internal/errs"
)

// TestForeignKeyGoneMeanwhile: a write whose row refers to one deleted
// since it was checked is a 404 that wrote nothing, not a failure, on the
// grouped writer and on a plain transaction alike.
func TestForeignKeyGoneMeanwhile(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "fk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO secret_keys (id, hash, hint, created_at) VALUES ('key_fk', x'00', 'h', 0)"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organization_membership_requests (id, organization_id, user_id, status, created_at, updated_at)
			VALUES ('orgmem_fk', 'org_gone', 'user_gone', 'pending', 0, 0)`)
		return err
	}
	for name, run := range map[string]func() error{
		"grouped": func() error { return db.tx(ctx, write) },
		"plain":   func() error { return db.goneMeanwhile(db.plainTx(ctx, write)) },
	} {
		err := run()
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != "resource_not_found" {
			t.Fatalf("%s: %v, want a 404", name, err)
		}
		var n int
		if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM secret_keys WHERE id = 'key_fk'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s: %d rows of the failed write kept (%v)", name, n, err)
		}
	}
}
