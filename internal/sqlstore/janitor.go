package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conciergehq/concierge/internal/janitor"
)

var _ janitor.Store = (*DB)(nil)

// AcquireLease takes the lease when it is free or has run out, or renews
// it for its holder: one upsert, so two processes never both get it.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, d time.Duration) (bool, error) {
	var got string
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.in(tx).QueryRowContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE leases.until <= ? OR leases.holder = excluded.holder
			RETURNING holder`, name, holder, now.Add(d).UnixMilli(), now.UnixMilli()).Scan(&got)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && got == holder, err
}

// purgeBatch bounds one delete, so that no purge holds the writer long.
const purgeBatch = 500

// purge is one kind of row that goes: from table, by key, where cond
// (with args) holds.
type purge struct {
	table, key, cond string
	args             []any
}

// Purge deletes in batches what p lets go, sessions before the clients
// they would keep. Attempts a client still names may go: a client reads
// a missing attempt as none.
func (db *DB) Purge(ctx context.Context, now time.Time, p janitor.Policy) (map[string]int64, error) {
	ms := now.UnixMilli()
	sessions, attempts, expired := now.Add(-p.Sessions).UnixMilli(), now.Add(-p.Attempts).UnixMilli(), now.Add(-p.Expired).UnixMilli()
	jobs := []purge{
		{"attempts", "id", "updated_at < ?", []any{attempts}},
		{"sessions", "id", "updated_at < ? AND (status <> 'active' OR expire_at < ? OR abandon_at < ?)", []any{sessions, ms, ms}},
		{"clients", "id", "created_at < ? AND updated_at < ? AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = clients.id)", []any{sessions, sessions}},
		{"ticket_tokens", "id", "expires_at < ?", []any{expired}},
		{"operator_sessions", "token_hash", "expires_at < ?", []any{expired}},
		{"handshake_nonces", "digest", "expires_at < ?", []any{expired}},
		{"oauth_states", "digest", "expires_at < ?", []any{expired}},
		{"email_links", "token_hash", "expire_at < ?", []any{expired}},
		{"rate_limits", "key", "window_start < ?", []any{now.Add(-rateLimitKeep).UnixMilli()}},
	}
	if p.Audit > 0 {
		jobs = append(jobs, purge{"audit_events", "seq", "created_at < ?", []any{now.Add(-p.Audit).UnixMilli()}})
	}
	out := map[string]int64{}
	for _, j := range jobs {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s LIMIT %d)", j.table, j.key, j.key, j.table, j.cond, purgeBatch)
		for {
			var n int64
			err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
				res, err := db.in(tx).ExecContext(ctx, q, j.args...)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return out, fmt.Errorf("purging %s: %w", j.table, err)
			}
			out[j.table] += n
			if n < purgeBatch {
				break
			}
		}
	}
	return out, nil
}
