package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
)

var _ allowlist.Store = (*DB)(nil)

// CreateAllowlistIdentifier stores an entry and its notice; the unique
// identifier column decides concurrent duplicates.
func (db *DB) CreateAllowlistIdentifier(ctx context.Context, i *allowlist.Identifier, n allowlist.Notice) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		i.InvitationID = nil // the transaction may run twice (see batcher)
		if n.Invitation != nil {
			err := db.createInvitation(ctx, tx, *n.Invitation, i.CreatedAt)
			if e, ok := errs.As(err); ok && e.Code == "form_identifier_exists" {
				err = nil // a user has the address: nobody to invite
			} else if err == nil {
				i.InvitationID = &n.Invitation.Invitation.ID
			}
			if err != nil {
				return err
			}
		}
		if n.SMS != nil {
			if err := db.insertMessage(ctx, tx, n.SMS); err != nil {
				return err
			}
		}
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO allowlist_identifiers
			(id, identifier, identifier_type, invitation_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			i.ID, i.Identifier, i.Type, i.InvitationID, i.CreatedAt, i.UpdatedAt)
		if db.dialect.isUnique(err) {
			return allowlist.Duplicate(i.Identifier)
		}
		if err != nil {
			return err
		}
		return db.record(ctx, tx, audit.AllowlistCreated, "allowlist_identifier", i.ID, map[string]string{"identifier": i.Identifier})
	})
}

// AllowlistIdentifiers returns a page, newest first, and the total.
func (db *DB) AllowlistIdentifiers(ctx context.Context, limit, offset int) ([]allowlist.Identifier, int64, error) {
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM allowlist_identifiers").Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, `SELECT id, identifier, identifier_type, invitation_id, created_at, updated_at
		FROM allowlist_identifiers ORDER BY seq DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []allowlist.Identifier{}
	for rows.Next() {
		var i allowlist.Identifier
		if err := rows.Scan(&i.ID, &i.Identifier, &i.Type, &i.InvitationID, &i.CreatedAt, &i.UpdatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, i)
	}
	return out, total, rows.Err()
}

// DeleteAllowlistIdentifier removes an entry.
func (db *DB) DeleteAllowlistIdentifier(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM allowlist_identifiers WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return allowlist.NotFound(id)
		}
		return db.record(ctx, tx, audit.AllowlistDeleted, "allowlist_identifier", id, nil)
	})
}
