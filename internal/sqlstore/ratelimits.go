package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/conciergehq/concierge/internal/ratelimit"
)

var _ ratelimit.Store = (*DB)(nil)

// rateLimitKeep is how long a finished window's row may stay: longer
// than any limiter's window.
const rateLimitKeep = time.Hour

// CountEvent counts an event in key's window with one atomic upsert, so
// that concurrent processes never lose a count: a window that has passed
// starts again at now with a count of one.
func (db *DB) CountEvent(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	ms, expired := now.UnixMilli(), now.Add(-window).UnixMilli()
	var n int
	var start int64
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if err := c.QueryRowContext(ctx, `INSERT INTO rate_limits (key, window_start, n) VALUES (?, ?, 1)
			ON CONFLICT (key) DO UPDATE SET
				n = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.n + 1 END,
				window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start ELSE rate_limits.window_start END
			RETURNING n, window_start`, key, ms, expired, expired).Scan(&n, &start); err != nil {
			return err
		}
		// Now and then (once a minute per process), drop finished windows.
		if last := db.rateLimitPurge.Load(); ms-last > time.Minute.Milliseconds() && db.rateLimitPurge.CompareAndSwap(last, ms) {
			_, err := c.ExecContext(ctx, "DELETE FROM rate_limits WHERE window_start < ?", now.Add(-rateLimitKeep).UnixMilli())
			return err
		}
		return nil
	})
	return n, time.UnixMilli(start), err
}
