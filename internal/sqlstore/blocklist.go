package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/blocklist"
)

var _ blocklist.Store = (*DB)(nil)

// CreateBlocklistIdentifier stores an entry; the unique identifier
// column decides concurrent duplicates.
func (db *DB) CreateBlocklistIdentifier(ctx context.Context, i *blocklist.Identifier) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO blocklist_identifiers
			(id, identifier, identifier_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			i.ID, i.Identifier, i.Type, i.CreatedAt, i.UpdatedAt)
		if db.dialect.isUnique(err) {
			return blocklist.Duplicate(i.Identifier)
		}
		if err != nil {
			return err
		}
		return db.record(ctx, tx, audit.BlocklistCreated, "blocklist_identifier", i.ID, map[string]string{"identifier": i.Identifier})
	})
}

// BlocklistIdentifiers returns a page, newest first, and the total.
func (db *DB) BlocklistIdentifiers(ctx context.Context, limit, offset int) ([]blocklist.Identifier, int64, error) {
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM blocklist_identifiers").Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT id, identifier, identifier_type, created_at, updated_at
		FROM blocklist_identifiers ORDER BY seq DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []blocklist.Identifier{}
	for rows.Next() {
		var i blocklist.Identifier
		if err := rows.Scan(&i.ID, &i.Identifier, &i.Type, &i.CreatedAt, &i.UpdatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, i)
	}
	return out, total, rows.Err()
}

// DeleteBlocklistIdentifier removes an entry.
func (db *DB) DeleteBlocklistIdentifier(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM blocklist_identifiers WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return blocklist.NotFound(id)
		}
		return db.record(ctx, tx, audit.BlocklistDeleted, "blocklist_identifier", id, nil)
	})
}

// BlocklistContains reports whether any of values is on the blocklist.
func (db *DB) BlocklistContains(ctx context.Context, values []string) (bool, error) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	var one int
	err := db.reader().QueryRowContext(ctx, "SELECT 1 FROM blocklist_identifiers WHERE identifier IN ("+
		placeholders(len(values))+") LIMIT 1", args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
