package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/user"
)

// CountFailure stores the bookkeeping fn makes on a user after a failed
// sign-in verification: the failed-attempt count and any lockout, and no
// other column (nothing the user would see changed: no user.updated
// event). A lockout that begins with it is recorded in the same
// transaction, as user.locked from the client's address; it is the one
// part of the bookkeeping an operator needs to read.
func (db *DB) CountFailure(ctx context.Context, id string, now int64, fn func(*user.User)) (*user.User, error) {
	var out *user.User
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		u, err := db.userWithIdentifiers(ctx, db.in(tx), selectUserJoinedSQL+db.dialect.forUpdate(), id)
		if err != nil {
			return err
		}
		wasLocked := u.LockedAt(now)
		fn(u)
		if _, err := db.in(tx).ExecContext(ctx, "UPDATE users SET failed_attempts = ?, lockout_until = ? WHERE id = ?",
			u.FailedAttempts, u.LockoutUntil, u.ID); err != nil {
			return err
		}
		out = u
		if wasLocked || !u.LockedAt(now) {
			return nil
		}
		return db.record(ctx, tx, audit.UserLocked, "user", u.ID, map[string]any{"reason": "failed_attempts",
			"failed_attempts": u.FailedAttempts})
	})
	return out, err
}
