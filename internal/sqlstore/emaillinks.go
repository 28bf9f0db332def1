package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
)

var _ emaillink.Store = (*DB)(nil)

const emailLinkColumns = "token_hash, purpose, attempt_id, user_id, client_id, email_address, redirect_url, expire_at, used_at, created_at"

// CreateEmailLink stores a link sent.
func (db *DB) CreateEmailLink(ctx context.Context, l *emaillink.Link) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "INSERT INTO email_links ("+emailLinkColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			l.TokenHash, l.Purpose, l.AttemptID, l.UserID, l.ClientID, l.EmailAddress, l.RedirectURL, l.ExpireAt, l.UsedAt, l.CreatedAt)
		return err
	})
}

// EmailLink returns the link of a token digest.
func (db *DB) EmailLink(ctx context.Context, tokenHash string) (*emaillink.Link, error) {
	var l emaillink.Link
	err := db.reader().QueryRowContext(ctx, "SELECT "+emailLinkColumns+" FROM email_links WHERE token_hash = ?", tokenHash).Scan(
		&l.TokenHash, &l.Purpose, &l.AttemptID, &l.UserID, &l.ClientID, &l.EmailAddress, &l.RedirectURL, &l.ExpireAt, &l.UsedAt, &l.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No email link was found for that token.")
	}
	return &l, err
}

// UseEmailLink spends a link: one conditional update, so that of two
// openings racing exactly one succeeds.
func (db *DB) UseEmailLink(ctx context.Context, tokenHash string, now int64) (bool, error) {
	return db.claimEmailLink(ctx, "UPDATE email_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", now, tokenHash)
}

// SettleEmailLink marks the completion of a used link's attempt: one
// conditional update, so that two readings of the attempt racing
// complete it once.
func (db *DB) SettleEmailLink(ctx context.Context, tokenHash string, now int64) (bool, error) {
	return db.claimEmailLink(ctx, "UPDATE email_links SET settled_at = ? WHERE token_hash = ? AND used_at IS NOT NULL AND settled_at IS NULL", now, tokenHash)
}

// claimEmailLink runs a conditional update and reports whether it
// changed the row: the caller won the race for it.
func (db *DB) claimEmailLink(ctx context.Context, query string, now int64, tokenHash string) (bool, error) {
	var ok bool
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, query, now, tokenHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}
