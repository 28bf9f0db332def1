package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ invitation.Store = (*DB)(nil)

const invitationColumns = `id, email_address, public_metadata, redirect_url, status, expires_at,
	accepted_user_id, created_at, updated_at`

func scanInvitation(s scanner) (*invitation.Invitation, error) {
	var i invitation.Invitation
	var meta string
	err := s.Scan(&i.ID, &i.EmailAddress, &meta, &i.RedirectURL, &i.Status, &i.ExpiresAt,
		&i.AcceptedUserID, &i.CreatedAt, &i.UpdatedAt)
	i.PublicMetadata = []byte(meta)
	return &i, err
}

// CreateInvitations stores invitations and their emails atomically.
func (db *DB) CreateInvitations(ctx context.Context, items []invitation.New, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, it := range items {
			if err := db.createInvitation(ctx, tx, it, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) createInvitation(ctx context.Context, tx *sql.Tx, it invitation.New, now int64) error {
	c := db.in(tx)
	inv := it.Invitation
	if !it.IgnoreUsers {
		var one int
		err := c.QueryRowContext(ctx, "SELECT 1 FROM identifiers WHERE kind = 'email_address' AND value = ?",
			inv.EmailAddress).Scan(&one)
		if err == nil {
			return invitation.AccountExists(inv.EmailAddress)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	// A pending invitation past its expiry no longer counts: it is marked
	// expired so that the unique index on pending addresses lets a new
	// one in.
	if _, err := c.ExecContext(ctx, `UPDATE invitations SET status = 'expired', updated_at = ?
		WHERE email_address = ? AND status = 'pending' AND expires_at <= ?`, now, inv.EmailAddress, now); err != nil {
		return err
	}
	if it.ReplacePending {
		if _, err := c.ExecContext(ctx, `UPDATE invitations SET status = 'revoked', updated_at = ?
			WHERE email_address = ? AND status = 'pending'`, now, inv.EmailAddress); err != nil {
			return err
		}
	}
	_, err := c.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.EmailAddress, string(inv.PublicMetadata), inv.RedirectURL, inv.Status, inv.ExpiresAt,
		inv.AcceptedUserID, inv.CreatedAt, inv.UpdatedAt)
	if db.dialect.isUnique(err) {
		return invitation.Duplicate(inv.EmailAddress)
	}
	if err != nil {
		return err
	}
	if err := db.record(ctx, tx, audit.InvitationCreated, "invitation", inv.ID, map[string]string{"email_address": inv.EmailAddress}); err != nil {
		return err
	}
	if err := db.emit(ctx, tx, webhook.InvitationCreated, inv); err != nil {
		return err
	}
	if it.Email != nil {
		return db.insertMessage(ctx, tx, it.Email)
	}
	return nil
}

// invitationOrder maps order_by fields to columns; seq breaks ties.
var invitationOrder = map[string]string{
	"created_at": "created_at", "email_address": "email_address", "expires_at": "expires_at",
}

// Invitations returns a page of invitations and the total count.
func (db *DB) Invitations(ctx context.Context, q invitation.Query) ([]invitation.Invitation, int64, error) {
	var conds []string
	var args []any
	if len(q.Statuses) == 0 {
		conds = append(conds, "status <> 'revoked'")
	} else {
		var or []string
		for _, s := range q.Statuses {
			switch s {
			case invitation.Pending:
				or = append(or, "(status = 'pending' AND (expires_at IS NULL OR expires_at > ?))")
				args = append(args, q.Now)
			case invitation.Expired:
				or = append(or, "status = 'expired' OR (status = 'pending' AND expires_at <= ?)")
				args = append(args, q.Now)
			default: // accepted, revoked: validated by the caller
				or = append(or, "status = ?")
				args = append(args, s)
			}
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if q.Search != "" {
		conds = append(conds, `(email_address LIKE ? ESCAPE '\' OR id = ?)`)
		args = append(args, likePattern(strings.ToLower(q.Search)), q.Search)
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM invitations"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	col, ok := invitationOrder[q.Order.Field]
	if !ok {
		col = "created_at"
	}
	dir := " ASC"
	if q.Order.Desc {
		dir = " DESC"
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+invitationColumns+" FROM invitations"+where+
		" ORDER BY "+col+dir+", seq"+dir+" LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []invitation.Invitation{}
	for rows.Next() {
		i, err := scanInvitation(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *i)
	}
	return out, total, rows.Err()
}

// Invitation returns one invitation.
func (db *DB) Invitation(ctx context.Context, id string) (*invitation.Invitation, error) {
	i, err := scanInvitation(db.reader().QueryRowContext(ctx,
		"SELECT "+invitationColumns+" FROM invitations WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invitation.NotFound(id)
	}
	return i, err
}

// RevokeInvitation revokes a pending or expired invitation.
func (db *DB) RevokeInvitation(ctx context.Context, id string, now int64) (*invitation.Invitation, error) {
	var inv *invitation.Invitation
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		var err error
		inv, err = scanInvitation(c.QueryRowContext(ctx,
			"SELECT "+invitationColumns+" FROM invitations WHERE id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return invitation.NotFound(id)
		}
		if err != nil {
			return err
		}
		switch inv.Status {
		case invitation.Revoked:
			return invitation.AlreadyRevoked()
		case invitation.Accepted:
			return invitation.AlreadyAccepted()
		}
		inv.Status, inv.UpdatedAt = invitation.Revoked, now
		if _, err = c.ExecContext(ctx, "UPDATE invitations SET status = 'revoked', updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.InvitationRevoked, "invitation", id, map[string]string{"email_address": inv.EmailAddress}); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.InvitationRevoked, inv)
	})
	return inv, err
}

// DeleteInvitation erases an invitation and its emails.
func (db *DB) DeleteInvitation(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		var email string
		err := c.QueryRowContext(ctx, "SELECT email_address FROM invitations WHERE id = ?"+db.dialect.lockRows(), id).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return invitation.NotFound(id)
		}
		if err != nil {
			return err
		}
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"DELETE FROM messages WHERE channel = 'email' AND slug = 'invitation' AND to_address = ?", []any{email}},
			{"UPDATE allowlist_identifiers SET invitation_id = NULL WHERE invitation_id = ?", []any{id}},
			{"DELETE FROM invitations WHERE id = ?", []any{id}},
		} {
			if _, err := c.ExecContext(ctx, stmt.sql, stmt.args...); err != nil {
				return err
			}
		}
		return db.record(ctx, tx, audit.InvitationDeleted, "invitation", id, map[string]string{"email_address": email})
	})
}

// AllowlistContains reports whether any of values is on the allowlist.
func (db *DB) AllowlistContains(ctx context.Context, values []string) (bool, error) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	var one int
	err := db.reader().QueryRowContext(ctx, "SELECT 1 FROM allowlist_identifiers WHERE identifier IN ("+
		placeholders(len(values))+") LIMIT 1", args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// HasPendingInvitation reports whether email has a live invitation.
func (db *DB) HasPendingInvitation(ctx context.Context, email string, now int64) (bool, error) {
	var one int
	err := db.reader().QueryRowContext(ctx, `SELECT 1 FROM invitations WHERE email_address = ?
		AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`, email, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
