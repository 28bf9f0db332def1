package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

var _ delivery.Store = (*DB)(nil)

const messageColumns = `id, channel, slug, from_name, from_address, to_address, identifier_id, user_id,
	subject, body, body_plain, data, status, attempts, last_error, transport, next_attempt_at, sent_at,
	created_at, updated_at`

func scanMessage(s scanner) (*delivery.Message, error) {
	var m delivery.Message
	var slug sql.NullString
	var data string
	err := s.Scan(&m.ID, &m.Channel, &slug, &m.FromName, &m.From, &m.To, &m.IdentifierID, &m.UserID,
		&m.Subject, &m.Body, &m.BodyPlain, &data, &m.Status, &m.Attempts, &m.LastError, &m.Transport,
		&m.NextAttemptAt, &m.SentAt, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return nil, err
	}
	m.Slug, m.Data = slug.String, []byte(data)
	return &m, nil
}

// insertMessage queues m inside tx: the outbox row commits or rolls back
// with the change that caused it.
func (db *DB) insertMessage(ctx context.Context, tx *sql.Tx, m *delivery.Message) error {
	var slug *string
	if m.Slug != "" {
		slug = &m.Slug
	}
	_, err := db.in(tx).ExecContext(ctx, `INSERT INTO messages (`+messageColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Channel, slug, m.FromName, m.From, m.To, m.IdentifierID, m.UserID,
		m.Subject, m.Body, m.BodyPlain, string(m.Data), m.Status, m.Attempts, m.LastError, m.Transport,
		m.NextAttemptAt, m.SentAt, m.CreatedAt, m.UpdatedAt)
	if err != nil {
		return err
	}
	return db.emit(ctx, tx, m.Channel+".created", m)
}

// QueueToIdentifier queues m to the user's email address or phone number
// identifierID (of kind), filling in its recipient and user, in one
// transaction. An unknown identifier is a 404 naming param.
func (db *DB) QueueToIdentifier(ctx context.Context, m *delivery.Message, kind, identifierID, param string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var value, userID, status string
		err := db.in(tx).QueryRowContext(ctx, `SELECT value, user_id, verification_status FROM identifiers
			WHERE id = ? AND kind = ?`, identifierID, kind).Scan(&value, &userID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			what := "email address"
			if kind == string(user.PhoneNumber) {
				what = "phone number"
			}
			return errs.ResourceNotFound("not found", "No "+what+" was found with id "+identifierID)
		}
		if err != nil {
			return err
		}
		if status != user.StatusVerified {
			return errs.New(errs.Invalid, "form_param_value_invalid", "is not verified",
				param+" refers to an unverified identifier; messages are only sent to verified ones.").WithParam(param)
		}
		m.To, m.IdentifierID, m.UserID = value, &identifierID, &userID
		return db.insertMessage(ctx, tx, m)
	})
}

// Message returns one message of channel by ID.
func (db *DB) Message(ctx context.Context, channel, id string) (*delivery.Message, error) {
	m, err := scanMessage(db.reader().QueryRowContext(ctx,
		"SELECT "+messageColumns+" FROM messages WHERE id = ? AND channel = ?", id, channel))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, delivery.NotFound(channel, id)
	}
	return m, err
}

// ClaimMessages leases due messages. A cheap read first spares the write
// lock when nothing is due, which is most of the time.
func (db *DB) ClaimMessages(ctx context.Context, now, leaseUntil int64, limit int) ([]*delivery.Message, error) {
	const due = "status = 'queued' AND next_attempt_at <= ? AND lease_until <= ?"
	var one int
	err := db.reader().QueryRowContext(ctx, "SELECT 1 FROM messages WHERE "+due+" LIMIT 1", now, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*delivery.Message
	err = db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		rows, err := db.in(tx).QueryContext(ctx, `UPDATE messages SET lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM messages WHERE `+due+` ORDER BY next_attempt_at LIMIT ?`+db.dialect.skipLocked()+`)
			RETURNING `+messageColumns, leaseUntil, now, now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// SettleMessage records an attempt's outcome and ends the lease.
func (db *DB) SettleMessage(ctx context.Context, m *delivery.Message) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `UPDATE messages SET status = ?, last_error = ?, transport = ?,
			next_attempt_at = ?, sent_at = ?, lease_until = 0, updated_at = ? WHERE id = ?`,
			m.Status, m.LastError, m.Transport, m.NextAttemptAt, m.SentAt, m.UpdatedAt, m.ID)
		return err
	})
}

// MessagesTo returns the messages to one recipient, oldest first.
func (db *DB) MessagesTo(ctx context.Context, to string) ([]*delivery.Message, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE to_address = ? ORDER BY seq", to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*delivery.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns a page of the outbox, newest first, optionally of one
// channel and status, and the total.
func (db *DB) Messages(ctx context.Context, channel, status string, limit, offset int) ([]*delivery.Message, int64, error) {
	where, args := " WHERE 1 = 1", []any{}
	if channel != "" {
		where, args = where+" AND channel = ?", append(args, channel)
	}
	if status != "" {
		where, args = where+" AND status = ?", append(args, status)
	}
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM messages"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+messageColumns+" FROM messages"+where+" ORDER BY seq DESC LIMIT ? OFFSET ?",
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*delivery.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// RequeueMessage puts a failed message back in the queue, due now, with
// a fresh count of attempts.
func (db *DB) RequeueMessage(ctx context.Context, id string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, `UPDATE messages SET status = 'queued', attempts = 0, next_attempt_at = ?,
			lease_until = 0, updated_at = ? WHERE id = ? AND status = 'failed'`, now, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.BadRequest, "message_not_failed", "Not a failed message",
				"Only a failed message can be retried.")
		}
		return nil
	})
}
