package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/signintoken"
)

var _ signintoken.Store = (*DB)(nil)

const ticketTokenColumns = "id, kind, user_id, actor, session_max_duration, status, expires_at, created_at, updated_at"

func scanTicketToken(s scanner) (*signintoken.Token, error) {
	var t signintoken.Token
	var actor *string
	err := s.Scan(&t.ID, &t.Kind, &t.UserID, &actor, &t.SessionMaxDuration, &t.Status, &t.ExpiresAt, &t.CreatedAt, &t.UpdatedAt)
	if actor != nil {
		t.Actor = []byte(*actor)
	}
	return &t, err
}

// CreateTicketToken stores a new sign-in or actor token.
func (db *DB) CreateTicketToken(ctx context.Context, t *signintoken.Token) error {
	var actor *string
	if t.Actor != nil {
		a := string(t.Actor)
		actor = &a
	}
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "INSERT INTO ticket_tokens ("+ticketTokenColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			t.ID, t.Kind, t.UserID, actor, t.SessionMaxDuration, t.Status, t.ExpiresAt, t.CreatedAt, t.UpdatedAt)
		if err != nil {
			return err
		}
		// An actor token is an impersonation: its target is the user to be
		// signed in as, its detail the token and who is to act (its "sub").
		if t.Kind == signintoken.KindActor {
			var claim struct {
				Sub string `json:"sub"`
			}
			json.Unmarshal(t.Actor, &claim)
			return db.record(ctx, tx, audit.ImpersonationStarted, "user", t.UserID,
				map[string]string{"actor_token_id": t.ID, "actor": claim.Sub})
		}
		return db.record(ctx, tx, audit.SignInTokenCreated, "user", t.UserID, map[string]string{"sign_in_token_id": t.ID})
	})
}

// TicketToken returns a token of kind.
func (db *DB) TicketToken(ctx context.Context, kind, id string) (*signintoken.Token, error) {
	t, err := scanTicketToken(db.reader().QueryRowContext(ctx,
		"SELECT "+ticketTokenColumns+" FROM ticket_tokens WHERE id = ? AND kind = ?", id, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, signintoken.NotFound(kind, id)
	}
	return t, err
}

// RevokeTicketToken revokes a pending token: one conditional update, so
// that a revoke racing the sign-in that spends the token leaves exactly
// one of them done.
func (db *DB) RevokeTicketToken(ctx context.Context, kind, id string, now int64) (*signintoken.Token, bool, error) {
	var t *signintoken.Token
	var ok bool
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		res, err := c.ExecContext(ctx, `UPDATE ticket_tokens SET status = 'revoked', updated_at = ?
			WHERE id = ? AND kind = ? AND status = 'pending'`, now, id, kind)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		ok = n == 1
		t, err = scanTicketToken(c.QueryRowContext(ctx, "SELECT "+ticketTokenColumns+" FROM ticket_tokens WHERE id = ? AND kind = ?", id, kind))
		if errors.Is(err, sql.ErrNoRows) {
			return signintoken.NotFound(kind, id)
		}
		if err != nil || !ok {
			return err
		}
		return db.record(ctx, tx, audit.TicketRevoked, "user", t.UserID, map[string]string{"token_id": id, "kind": kind})
	})
	return t, ok, err
}

// acceptTicketToken spends a pending, unexpired token within a sign-in's
// transaction; a token spent, revoked or expired meanwhile fails it.
func (db *DB) acceptTicketToken(ctx context.Context, tx *sql.Tx, id string, now int64) error {
	res, err := db.in(tx).ExecContext(ctx, `UPDATE ticket_tokens SET status = 'accepted', updated_at = ?
		WHERE id = ? AND status = 'pending' AND expires_at > ?`, now, id, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return signintoken.TicketInvalid()
	}
	return nil
}

// nullableJSON stores absent JSON as NULL.
func nullableJSON(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}
