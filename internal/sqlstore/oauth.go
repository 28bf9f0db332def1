package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/user"
)

var _ oauth.Store = (*DB)(nil)

// OAuthProviders returns every stored provider set-up.
func (db *DB) OAuthProviders(ctx context.Context) ([]oauth.Stored, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT strategy, config, sealed, updated_at FROM oauth_providers ORDER BY strategy")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []oauth.Stored
	for rows.Next() {
		var s oauth.Stored
		if err := rows.Scan(&s.Strategy, &s.Config, &s.Sealed, &s.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PutOAuthProvider stores a provider's set-up, replacing the one before.
func (db *DB) PutOAuthProvider(ctx context.Context, s oauth.Stored) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO oauth_providers (strategy, config, sealed, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (strategy) DO UPDATE SET config = excluded.config, sealed = excluded.sealed, updated_at = excluded.updated_at`,
			s.Strategy, s.Config, s.Sealed, s.UpdatedAt)
		if err != nil {
			return err
		}
		return db.record(ctx, tx, audit.OAuthUpdated, "oauth_provider", s.Strategy, nil)
	})
}

// SaveOAuthState stores a flow under way, and drops expired ones.
func (db *DB) SaveOAuthState(ctx context.Context, digest string, data []byte, expiresAt, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if _, err := c.ExecContext(ctx, "DELETE FROM oauth_states WHERE expires_at < ?", now); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, "INSERT INTO oauth_states (digest, data, expires_at) VALUES (?, ?, ?)", digest, string(data), expiresAt)
		return err
	})
}

// TakeOAuthState removes and returns a flow's state: it is good once.
func (db *DB) TakeOAuthState(ctx context.Context, digest string, now int64) ([]byte, error) {
	var data string
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		err := c.QueryRowContext(ctx, "DELETE FROM oauth_states WHERE digest = ? AND expires_at >= ? RETURNING data", digest, now).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ResourceNotFound("not found", "No sign-in with a provider is under way for that state.")
		}
		return err
	})
	return []byte(data), err
}

// UserByExternalAccount finds the user who holds a provider's account.
func (db *DB) UserByExternalAccount(ctx context.Context, strategy, providerUserID string) (*user.User, error) {
	var userID string
	err := db.reader().QueryRowContext(ctx, "SELECT user_id FROM identifiers WHERE kind = ? AND value = ?", strategy, providerUserID).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No user holds that external account.")
	}
	if err != nil {
		return nil, err
	}
	return db.User(ctx, userID)
}

// SetIdentifierData replaces what an identifier carries (an external
// account's profile and tokens after a sign-in or a refresh).
func (db *DB) SetIdentifierData(ctx context.Context, userID, identifierID, data string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "UPDATE identifiers SET data = ?, updated_at = ? WHERE id = ? AND user_id = ?",
			data, now, identifierID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No external account was found with id "+identifierID)
		}
		return nil
	})
}
