package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/token"
)

var _ token.Store = (*DB)(nil)

// SigningKeys returns the keys that are not retired.
func (db *DB) SigningKeys(ctx context.Context) ([]token.StoredKey, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT kid, private_key, created_at FROM signing_keys WHERE retired_at IS NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []token.StoredKey
	for rows.Next() {
		var k token.StoredKey
		if err := rows.Scan(&k.KID, &k.PrivatePEM, &k.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddSigningKey stores a new key.
func (db *DB) AddSigningKey(ctx context.Context, k token.StoredKey) error {
	return db.txChanged(ctx, ChangedSigningKeys, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)",
			k.KID, k.PrivatePEM, k.CreatedAt)
		return err
	})
}

// RetireSigningKey marks a key retired.
func (db *DB) RetireSigningKey(ctx context.Context, kid string, at int64) error {
	return db.txChanged(ctx, ChangedSigningKeys, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", at, kid)
		return err
	})
}
