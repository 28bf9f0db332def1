package sqlstore

import (
	"context"

	"github.com/conciergehq/concierge/internal/apikey"
)

var _ apikey.Store = (*DB)(nil)

// CreateSecretKey stores a key's hash.
func (db *DB) CreateSecretKey(ctx context.Context, k apikey.Key) error {
	_, err := db.write.ExecContext(ctx, db.dialect.rebind(
		"INSERT INTO secret_keys (id, hash, hint, created_at) VALUES (?, ?, ?, ?)"),
		k.ID, k.Hash, k.Hint, k.CreatedAt)
	return err
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
