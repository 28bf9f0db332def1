package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/audit"
)

var _ apikey.Store = (*DB)(nil)

const insertSecretKeySQL = "INSERT INTO secret_keys (id, hash, hint, created_at) VALUES (?, ?, ?, ?)"

// CreateSecretKey stores a key's hash.
func (db *DB) CreateSecretKey(ctx context.Context, k apikey.Key) error {
	return db.txChanged(ctx, ChangedSecretKeys, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.in(tx).ExecContext(ctx, insertSecretKeySQL, k.ID, k.Hash, k.Hint, k.CreatedAt); err != nil {
			return err
		}
		return db.record(ctx, tx, audit.APIKeyCreated, "api_key", k.ID, map[string]string{"hint": k.Hint})
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

// SecretKeys returns every key record, newest first, revoked ones too.
func (db *DB) SecretKeys(ctx context.Context) ([]apikey.Key, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT id, hint, created_at, revoked_at FROM secret_keys ORDER BY created_at DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []apikey.Key
	for rows.Next() {
		var k apikey.Key
		if err := rows.Scan(&k.ID, &k.Hint, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeSecretKey stops a key from being accepted.
func (db *DB) RevokeSecretKey(ctx context.Context, id string, now int64) error {
	return db.txChanged(ctx, ChangedSecretKeys, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "UPDATE secret_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // revoked already: nothing changed
		}
		return db.record(ctx, tx, audit.APIKeyRevoked, "api_key", id, nil)
	})
}

// SignUpsPerDay counts users created on each day (UTC, as days since the
// epoch) since since (Unix ms).
func (db *DB) SignUpsPerDay(ctx context.Context, since int64) (map[int64]int64, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT created_at / 86400000 AS d, COUNT(*) FROM users WHERE created_at >= ? GROUP BY created_at / 86400000", since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var d, n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}
