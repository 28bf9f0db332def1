package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/waitlist"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ waitlist.Store = (*DB)(nil)

// waitlistFrom joins each entry's invitation: an invited entry whose
// invitation was accepted reads as completed.
const waitlistFrom = ` FROM waitlist_entries w LEFT JOIN invitations i ON i.id = w.invitation_id`

const waitlistColumns = `w.id, w.email_address,
	CASE WHEN w.status = 'invited' AND i.status = 'accepted' THEN 'completed' ELSE w.status END,
	w.invitation_id, w.created_at, w.updated_at`

// waitlistStatus is the status as read, for filters.
const waitlistStatus = `(CASE WHEN w.status = 'invited' AND i.status = 'accepted' THEN 'completed' ELSE w.status END)`

// scanEntries reads entries and then their invitations.
func (db *DB) scanEntries(ctx context.Context, c q, rows *sql.Rows) ([]waitlist.Entry, error) {
	defer rows.Close()
	out := []waitlist.Entry{}
	var invIDs []any
	for rows.Next() {
		var e waitlist.Entry
		var invID *string
		if err := rows.Scan(&e.ID, &e.EmailAddress, &e.Status, &invID, &e.CreatedAt, &e.UpdatedAt); err != nil {
			return nil, err
		}
		if invID != nil {
			e.Invitation = &invitation.Invitation{ID: *invID}
			invIDs = append(invIDs, *invID)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil || len(invIDs) == 0 {
		return out, err
	}
	irows, err := c.QueryContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id IN ("+
		placeholders(len(invIDs))+")", invIDs...)
	if err != nil {
		return nil, err
	}
	defer irows.Close()
	invs := map[string]*invitation.Invitation{}
	for irows.Next() {
		inv, err := scanInvitation(irows)
		if err != nil {
			return nil, err
		}
		invs[inv.ID] = inv
	}
	if err := irows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Invitation != nil {
			out[i].Invitation = invs[out[i].Invitation.ID]
		}
	}
	return out, nil
}

// waitlistEntry reads one entry by a unique column.
func (db *DB) waitlistEntry(ctx context.Context, c q, col, value string) (*waitlist.Entry, error) {
	rows, err := c.QueryContext(ctx, "SELECT "+waitlistColumns+waitlistFrom+" WHERE w."+col+" = ?", value)
	if err != nil {
		return nil, err
	}
	es, err := db.scanEntries(ctx, c, rows)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, sql.ErrNoRows
	}
	return &es[0], nil
}

// JoinWaitlist stores new addresses; the unique email column makes a
// concurrent join of the same address wait and then find the winner's
// entry.
func (db *DB) JoinWaitlist(ctx context.Context, items []waitlist.Join) ([]*waitlist.Entry, error) {
	var out []*waitlist.Entry
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0] // the transaction may run twice (see batcher)
		c := db.in(tx)
		for _, it := range items {
			e := it.Entry
			res, err := c.ExecContext(ctx, `INSERT INTO waitlist_entries
				(id, email_address, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (email_address) DO NOTHING`, e.ID, e.EmailAddress, e.Status, e.CreatedAt, e.UpdatedAt)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 1 && it.Email != nil {
				// Only a new entry is confirmed: joining again sends nothing.
				if err := db.insertMessage(ctx, tx, it.Email); err != nil {
					return err
				}
			}
			if n == 1 {
				if err := db.record(ctx, tx, audit.WaitlistCreated, "waitlist_entry", e.ID, map[string]string{"email_address": e.EmailAddress}); err != nil {
					return err
				}
			}
			got, err := db.waitlistEntry(ctx, c, "email_address", e.EmailAddress)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	return out, err
}

// waitlistOrder maps order_by fields to expressions; seq breaks ties.
var waitlistOrder = map[string]string{
	"created_at": "w.created_at", "email_address": "w.email_address", "invited_at": "COALESCE(i.created_at, 0)",
}

// WaitlistEntries returns a page of entries and the total count.
func (db *DB) WaitlistEntries(ctx context.Context, qy waitlist.Query) ([]waitlist.Entry, int64, error) {
	var conds []string
	var args []any
	if len(qy.Statuses) > 0 {
		conds = append(conds, waitlistStatus+" IN ("+placeholders(len(qy.Statuses))+")")
		for _, s := range qy.Statuses {
			args = append(args, s)
		}
	}
	if qy.Search != "" {
		conds = append(conds, `(w.email_address LIKE ? ESCAPE '\' OR w.id = ?)`)
		args = append(args, likePattern(strings.ToLower(qy.Search)), qy.Search)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	c := db.reader()
	var total int64
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*)"+waitlistFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	col, ok := waitlistOrder[qy.Order.Field]
	if !ok {
		col = "w.created_at"
	}
	dir := " ASC"
	if qy.Order.Desc {
		dir = " DESC"
	}
	rows, err := c.QueryContext(ctx, "SELECT "+waitlistColumns+waitlistFrom+where+
		" ORDER BY "+col+dir+", w.seq"+dir+" LIMIT ? OFFSET ?", append(args, qy.Limit, qy.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	out, err := db.scanEntries(ctx, c, rows)
	return out, total, err
}

// WaitlistEntry returns one entry.
func (db *DB) WaitlistEntry(ctx context.Context, id string) (*waitlist.Entry, error) {
	e, err := db.waitlistEntry(ctx, db.reader(), "id", id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, waitlist.NotFound(id)
	}
	return e, err
}

// lockedEntry reads an entry for a change; on PostgreSQL its row stays
// locked until the transaction ends, so concurrent changes queue.
func (db *DB) lockedEntry(ctx context.Context, c q, id string) (*waitlist.Entry, error) {
	var one int
	err := c.QueryRowContext(ctx, "SELECT 1 FROM waitlist_entries WHERE id = ?"+db.dialect.lockRows(), id).Scan(&one)
	if err == nil {
		var e *waitlist.Entry
		e, err = db.waitlistEntry(ctx, c, "id", id)
		return e, err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, waitlist.NotFound(id)
	}
	return nil, err
}

// InviteWaitlistEntry stores the invitation and marks the entry invited.
func (db *DB) InviteWaitlistEntry(ctx context.Context, id string, inv invitation.New, now int64) (*waitlist.Entry, error) {
	var out *waitlist.Entry
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		e, err := db.lockedEntry(ctx, c, id)
		if err != nil {
			return err
		}
		if e.Status == waitlist.Completed {
			return waitlist.AlreadyCompleted()
		}
		if err := db.createInvitation(ctx, tx, inv, now); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `UPDATE waitlist_entries SET status = 'invited', invitation_id = ?, updated_at = ?
			WHERE id = ?`, inv.Invitation.ID, now, id); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.WaitlistInvited, "waitlist_entry", id, map[string]string{"invitation_id": inv.Invitation.ID}); err != nil {
			return err
		}
		out, err = db.waitlistEntry(ctx, c, "id", id)
		return err
	})
	return out, err
}

// RejectWaitlistEntry marks the entry rejected and revokes its pending
// invitation.
func (db *DB) RejectWaitlistEntry(ctx context.Context, id string, now int64) (*waitlist.Entry, error) {
	var out *waitlist.Entry
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		e, err := db.lockedEntry(ctx, c, id)
		if err != nil {
			return err
		}
		if e.Status == waitlist.Completed {
			return waitlist.AlreadyCompleted()
		}
		if inv := e.Invitation; inv != nil && inv.Status == invitation.Pending {
			if _, err := c.ExecContext(ctx, "UPDATE invitations SET status = 'revoked', updated_at = ? WHERE id = ?",
				now, inv.ID); err != nil {
				return err
			}
			revoked := *inv
			revoked.Status, revoked.UpdatedAt = invitation.Revoked, now
			if err := db.emit(ctx, tx, webhook.InvitationRevoked, &revoked); err != nil {
				return err
			}
		}
		if _, err := c.ExecContext(ctx, "UPDATE waitlist_entries SET status = 'rejected', updated_at = ? WHERE id = ?",
			now, id); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.WaitlistRejected, "waitlist_entry", id, nil); err != nil {
			return err
		}
		out, err = db.waitlistEntry(ctx, c, "id", id)
		return err
	})
	return out, err
}

// DeleteWaitlistEntry removes an entry.
func (db *DB) DeleteWaitlistEntry(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM waitlist_entries WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return waitlist.NotFound(id)
		}
		return db.record(ctx, tx, audit.WaitlistDeleted, "waitlist_entry", id, nil)
	})
}
