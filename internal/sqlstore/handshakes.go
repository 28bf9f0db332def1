package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/handshake"
)

var _ handshake.Store = (*DB)(nil)

// SaveHandshake stores a sealed handshake payload, and drops expired ones
// in the same transaction (an index range), so the table stays small.
func (db *DB) SaveHandshake(ctx context.Context, digest string, sealed []byte, expiresAt, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if _, err := c.ExecContext(ctx, "DELETE FROM handshake_nonces WHERE expires_at < ?", now); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, "INSERT INTO handshake_nonces (digest, sealed, expires_at) VALUES (?, ?, ?)", digest, sealed, expiresAt)
		return err
	})
}

// Handshake returns a sealed payload that has not expired at now.
func (db *DB) Handshake(ctx context.Context, digest string, now int64) ([]byte, error) {
	var sealed []byte
	err := db.reader().QueryRowContext(ctx, "SELECT sealed FROM handshake_nonces WHERE digest = ? AND expires_at >= ?", digest, now).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No handshake payload was found for that nonce.")
	}
	return sealed, err
}
