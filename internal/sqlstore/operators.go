package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/operator"
)

var _ operator.Store = (*DB)(nil)

// CountOperators counts the dashboard's operators.
func (db *DB) CountOperators(ctx context.Context) (int64, error) {
	var n int64
	err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM operators").Scan(&n)
	return n, err
}

// CreateOperator stores an operator.
func (db *DB) CreateOperator(ctx context.Context, o *operator.Operator) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO operators (id, email, password_digest, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, o.ID, o.Email, o.PasswordDigest, o.CreatedAt, o.CreatedAt)
		if db.dialect.isUnique(err) {
			return errs.IdentifierExists("email", "email address")
		}
		if err != nil {
			return err
		}
		return db.record(ctx, tx, audit.OperatorCreated, "operator", o.ID, map[string]string{"email": o.Email})
	})
}

// OperatorByEmail finds an operator.
func (db *DB) OperatorByEmail(ctx context.Context, email string) (*operator.Operator, error) {
	var o operator.Operator
	err := db.reader().QueryRowContext(ctx, "SELECT id, email, password_digest, created_at FROM operators WHERE email = ?",
		email).Scan(&o.ID, &o.Email, &o.PasswordDigest, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No operator was found with that email address.")
	}
	return &o, err
}

// CreateOperatorSession stores a session.
func (db *DB) CreateOperatorSession(ctx context.Context, tokenHash, operatorID, csrf string, expiresAt, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		// Expired sessions are swept as new ones open.
		if _, err := c.ExecContext(ctx, "DELETE FROM operator_sessions WHERE expires_at <= ?", now); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO operator_sessions (token_hash, operator_id, csrf, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?)`, tokenHash, operatorID, csrf, expiresAt, now); err != nil {
			return err
		}
		return db.record(ctx, tx, audit.OperatorSignedIn, "operator", operatorID, nil)
	})
}

// OperatorSession returns an unexpired session with its operator.
func (db *DB) OperatorSession(ctx context.Context, tokenHash string, now int64) (*operator.Session, error) {
	s := operator.Session{Operator: &operator.Operator{}}
	err := db.reader().QueryRowContext(ctx, `SELECT o.id, o.email, o.created_at, s.csrf, s.expires_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
		WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, now).
		Scan(&s.Operator.ID, &s.Operator.Email, &s.Operator.CreatedAt, &s.CSRF, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No operator session.")
	}
	return &s, err
}

// DeleteOperatorSession ends a session.
func (db *DB) DeleteOperatorSession(ctx context.Context, tokenHash string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "DELETE FROM operator_sessions WHERE token_hash = ?", tokenHash)
		return err
	})
}
