package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/redirecturl"
)

var _ redirecturl.Store = (*DB)(nil)

// CreateRedirectURL stores a URL; the unique url column decides
// concurrent duplicates.
func (db *DB) CreateRedirectURL(ctx context.Context, u *redirecturl.RedirectURL) error {
	return db.txChanged(ctx, ChangedRedirectURLs, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO redirect_urls (id, url, created_at, updated_at)
			VALUES (?, ?, ?, ?)`, u.ID, u.URL, u.CreatedAt, u.UpdatedAt)
		if db.dialect.isUnique(err) {
			return redirecturl.Duplicate(u.URL)
		}
		if err != nil {
			return err
		}
		return db.record(ctx, tx, audit.RedirectURLCreated, "redirect_url", u.ID, map[string]string{"url": u.URL})
	})
}

// RedirectURLs returns a page, newest first, and the total.
func (db *DB) RedirectURLs(ctx context.Context, limit, offset int) ([]redirecturl.RedirectURL, int64, error) {
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM redirect_urls").Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT id, url, created_at, updated_at
		FROM redirect_urls ORDER BY seq DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []redirecturl.RedirectURL{}
	for rows.Next() {
		var u redirecturl.RedirectURL
		if err := rows.Scan(&u.ID, &u.URL, &u.CreatedAt, &u.UpdatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// RedirectURL returns one URL by ID.
func (db *DB) RedirectURL(ctx context.Context, id string) (*redirecturl.RedirectURL, error) {
	var u redirecturl.RedirectURL
	err := db.reader().QueryRowContext(ctx, "SELECT id, url, created_at, updated_at FROM redirect_urls WHERE id = ?", id).
		Scan(&u.ID, &u.URL, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, redirecturl.NotFound(id)
	}
	return &u, err
}

// DeleteRedirectURL removes a URL.
func (db *DB) DeleteRedirectURL(ctx context.Context, id string) error {
	return db.txChanged(ctx, ChangedRedirectURLs, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM redirect_urls WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return redirecturl.NotFound(id)
		}
		return db.record(ctx, tx, audit.RedirectURLDeleted, "redirect_url", id, nil)
	})
}

// AllRedirectURLs returns every registered URL.
func (db *DB) AllRedirectURLs(ctx context.Context) ([]string, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT url FROM redirect_urls ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
