package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/apikey"
)

var _ apikey.Store = (*DB)(nil)

const insertSecretKeySQL = "INSERT INTO secret_keys (id, hash, hint, created_at) VALUES (?, ?, ?, ?)"

// CreateSecretKey stores a key's hash.
func (db *DB) CreateSecretKey(ctx context.Context, k apikey.Key) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, insertSecretKeySQL, k.ID, k.Hash, k.Hint, k.CreatedAt)
		return err
	})
}

// ActiveSecretKeys returns the keys that have not been revoked.
func (db *DB) ActiveSecretKeys(ctx context.Context) ([]apikey.Key, error) {
	rows, err := db.read.QueryContext(ctx,
		"SELECT id, hash, hint, created_at FROM secret_keys WHERE revoked_at IS NULL ORDER BY created_at")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []apikey.Key
	for rows.Next() {
		var k apikey.Key
		if err := rows.Scan(&k.ID, &k.Hash, &k.Hint, &k.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
