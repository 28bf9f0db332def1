package sqlstore

import (
	"context"
	"database/sql"
)

// OutboxStats returns how many messages wait to be sent and when the
// oldest of them was queued (Unix ms; 0 when none wait). The queued rows
// are few and read through messages_status.
func (db *DB) OutboxStats(ctx context.Context) (queued int64, oldest int64, err error) {
	var min sql.NullInt64
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*), MIN(created_at) FROM messages WHERE status = 'queued'").Scan(&queued, &min)
	return queued, min.Int64, err
}

// PoolStats returns the connection pools' figures by name: "write" and
// "read" on SQLite, one "pool" on PostgreSQL.
func (db *DB) PoolStats() map[string]sql.DBStats {
	if db.read == db.write {
		return map[string]sql.DBStats{"pool": db.write.Stats()}
	}
	return map[string]sql.DBStats{"write": db.write.Stats(), "read": db.read.Stats()}
}
