package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/user"
)

// The reads below let a caller keep rendered copies of users and check
// them against the database: a user's revision (users.rev) changes with
// every change to the user or its identifiers (migration 0033's
// triggers), so a copy made at the revision the row holds is current.
// Each read is one narrow statement: the revision column where a whole
// user is 44 columns and its identifiers.

// UserRevision returns the revision of the user with id, or a not-found
// error.
func (db *DB) UserRevision(ctx context.Context, id string) (int64, error) {
	var rev int64
	err := db.reader().QueryRowContext(ctx, "SELECT rev FROM users WHERE id = ?", id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errUserNotFound(id)
	}
	return rev, err
}

// ListUserRevisions returns the IDs and revisions of the page of users
// ListUsers would return for q, in its order.
func (db *DB) ListUserRevisions(ctx context.Context, q user.Query) ([]user.Revision, error) {
	p, err := db.userPage(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT u.id, u.rev FROM users u"+p.where+p.page, p.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]user.Revision, 0, p.limit)
	for rows.Next() {
		var r user.Revision
		if err := rows.Scan(&r.ID, &r.Rev); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UsersByID returns the users with the given IDs, with their identifiers,
// in no particular order; IDs of no user are left out.
func (db *DB) UsersByID(ctx context.Context, ids []string) ([]*user.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if db.dialect.name() == Postgres {
		rows, err := db.reader().QueryContext(ctx, "SELECT "+userColumns+", "+joinedIdentifierColumns+
			" FROM users u LEFT JOIN identifiers i ON i.user_id = u.id WHERE u.id = ANY(?) ORDER BY u.seq, i.seq", ids)
		if err != nil {
			return nil, err
		}
		return scanJoinedUsers(rows, len(ids))
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, err
	}
	return db.withIdentifiers(ctx, rows, len(ids))
}
