package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/session"
)

// A session's step-up is an attempt of its own kind, keyed by the
// session, as a verification is by its identifier.

// SaveReverification stores a session's step-up.
func (db *DB) SaveReverification(ctx context.Context, v *session.Reverification) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.saveAttempt(ctx, tx, session.KindReverification, v.SessionID, v.ClientID, v, false, v.CreatedAt, v.UpdatedAt)
	})
}

// Reverification returns a session's step-up.
func (db *DB) Reverification(ctx context.Context, sessionID string) (*session.Reverification, error) {
	var v session.Reverification
	return &v, db.attempt(ctx, session.KindReverification, sessionID, &v)
}

// CompleteReverification stores a completed step-up with the session's
// new factor times.
func (db *DB) CompleteReverification(ctx context.Context, v *session.Reverification, factorOneAt, factorTwoAt int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.saveAttempt(ctx, tx, session.KindReverification, v.SessionID, v.ClientID, v, false, v.CreatedAt, v.UpdatedAt); err != nil {
			return err
		}
		_, err := db.in(tx).ExecContext(ctx, "UPDATE sessions SET factor_one_at = ?, factor_two_at = ?, updated_at = ? WHERE id = ?",
			factorOneAt, factorTwoAt, v.UpdatedAt, v.SessionID)
		return err
	})
}

// ClientKnowsUser reports whether the client ever had a session of the
// user (the new-device check); the client's sessions are few, and
// sessions_client_id finds them.
func (db *DB) ClientKnowsUser(ctx context.Context, clientID, userID string) (bool, error) {
	var n int
	err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM sessions WHERE client_id = ? AND user_id = ?", clientID, userID).Scan(&n)
	return n > 0, err
}
