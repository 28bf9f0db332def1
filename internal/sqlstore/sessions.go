package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ session.Store = (*DB)(nil)

const (
	clientColumns  = "id, rotating_hash, sign_in_id, sign_up_id, last_active_session_id, last_authentication_strategy, created_at, updated_at"
	sessionColumns = "id, client_id, user_id, status, last_active_at, expire_at, abandon_at, created_at, updated_at, last_active_organization_id, factor_one_at, factor_two_at, actor"
)

func scanClient(s scanner) (*session.Client, error) {
	var c session.Client
	err := s.Scan(&c.ID, &c.RotatingHash, &c.SignInID, &c.SignUpID, &c.LastActiveSessionID, &c.LastAuthStrategy,
		&c.CreatedAt, &c.UpdatedAt)
	return &c, err
}

func scanSession(s scanner) (*session.Session, error) {
	var x session.Session
	var actor *string
	err := s.Scan(&x.ID, &x.ClientID, &x.UserID, &x.Status, &x.LastActiveAt, &x.ExpireAt, &x.AbandonAt, &x.CreatedAt, &x.UpdatedAt,
		&x.LastActiveOrganizationID, &x.FactorOneAt, &x.FactorTwoAt, &actor)
	if actor != nil {
		x.Actor = []byte(*actor)
	}
	return &x, err
}

func (db *DB) insertClient(ctx context.Context, tx *sql.Tx, c *session.Client) error {
	_, err := db.in(tx).ExecContext(ctx, "INSERT INTO clients ("+clientColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.RotatingHash, c.SignInID, c.SignUpID, c.LastActiveSessionID, c.LastAuthStrategy, c.CreatedAt, c.UpdatedAt)
	return err
}

func (db *DB) insertSession(ctx context.Context, tx *sql.Tx, s *session.Session) error {
	_, err := db.in(tx).ExecContext(ctx, "INSERT INTO sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.ClientID, s.UserID, s.Status, s.LastActiveAt, s.ExpireAt, s.AbandonAt, s.CreatedAt, s.UpdatedAt,
		s.LastActiveOrganizationID, s.FactorOneAt, s.FactorTwoAt, nullableJSON(s.Actor))
	if err != nil {
		return err
	}
	return db.emit(ctx, tx, webhook.SessionCreated, s)
}

// CreateClient stores a new client.
func (db *DB) CreateClient(ctx context.Context, c *session.Client) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error { return db.insertClient(ctx, tx, c) })
}

// CreateSession stores a new client with one session.
func (db *DB) CreateSession(ctx context.Context, c *session.Client, s *session.Session) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c.LastActiveSessionID = &s.ID
		if err := db.insertClient(ctx, tx, c); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.SessionCreated, "session", s.ID, map[string]string{"user_id": s.UserID}); err != nil {
			return err
		}
		return db.insertSession(ctx, tx, s)
	})
}

// ClientRow returns a client without its sessions and attempts.
func (db *DB) ClientRow(ctx context.Context, id string) (*session.Client, error) {
	c, err := scanClient(db.reader().QueryRowContext(ctx, "SELECT "+clientColumns+" FROM clients WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, session.NotFound("client", id)
	}
	return c, err
}

// Client returns a client with its sessions and current attempts.
func (db *DB) Client(ctx context.Context, id string) (*session.Client, error) {
	c, err := db.ClientRow(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := db.loadSessions(ctx, []*session.Client{c}); err != nil {
		return nil, err
	}
	if c.SignInID != nil {
		if c.SignIn, err = db.SignIn(ctx, *c.SignInID); err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	if c.SignUpID != nil {
		if c.SignUp, err = db.SignUp(ctx, *c.SignUpID); err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	return c, nil
}

func isNotFound(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Kind == errs.NotFound
}

// loadSessions fills the sessions of clients with one query.
func (db *DB) loadSessions(ctx context.Context, clients []*session.Client) error {
	if len(clients) == 0 {
		return nil
	}
	byID := map[string]*session.Client{}
	args := make([]any, len(clients))
	for i, c := range clients {
		c.Sessions = []*session.Session{}
		byID[c.ID] = c
		args[i] = c.ID
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE client_id IN ("+
		placeholders(len(clients))+") ORDER BY seq", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return err
		}
		byID[s.ClientID].Sessions = append(byID[s.ClientID].Sessions, s)
	}
	return rows.Err()
}

// Clients returns a page of clients, newest first, and the total.
func (db *DB) Clients(ctx context.Context, limit, offset int) ([]*session.Client, int64, error) {
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM clients").Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+clientColumns+" FROM clients ORDER BY seq DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out := []*session.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, total, db.loadSessions(ctx, out)
}

// saveAttempt upserts an attempt and makes it the client's current one.
func (db *DB) saveAttempt(ctx context.Context, tx *sql.Tx, kind, id, clientID string, state any, current bool, created, updated int64) error {
	b, err := json.Marshal(state)
	if err != nil {
		return err
	}
	c := db.in(tx)
	if _, err := c.ExecContext(ctx, `INSERT INTO attempts (id, client_id, kind, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
		id, clientID, kind, string(b), created, updated); err != nil {
		return err
	}
	col := ""
	switch kind {
	case session.KindSignIn:
		col = "sign_in_id"
	case session.KindSignUp:
		col = "sign_up_id"
	default:
		return nil // not a client's current attempt
	}
	var ref *string
	if current {
		ref = &id
	}
	_, err = c.ExecContext(ctx, "UPDATE clients SET "+col+" = ?, updated_at = ? WHERE id = ?", ref, updated, clientID)
	return err
}

// SaveSignIn stores a sign-in as the client's current one.
func (db *DB) SaveSignIn(ctx context.Context, si *session.SignIn) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.saveAttempt(ctx, tx, session.KindSignIn, si.ID, si.ClientID, si, true, si.CreatedAt, si.UpdatedAt)
	})
}

// SaveSignUp stores a sign-up as the client's current one.
func (db *DB) SaveSignUp(ctx context.Context, su *session.SignUp) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.saveAttempt(ctx, tx, session.KindSignUp, su.ID, su.ClientID, su, true, su.CreatedAt, su.UpdatedAt)
	})
}

func (db *DB) attempt(ctx context.Context, kind, id string, dst any) error {
	var state string
	err := db.reader().QueryRowContext(ctx, "SELECT state FROM attempts WHERE id = ? AND kind = ?", id, kind).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return session.NotFound(strings.ReplaceAll(kind, "_", " "), id)
	}
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(state), dst)
}

// SignIn returns a sign-in.
func (db *DB) SignIn(ctx context.Context, id string) (*session.SignIn, error) {
	var si session.SignIn
	return &si, db.attempt(ctx, session.KindSignIn, id, &si)
}

// SignUp returns a sign-up.
func (db *DB) SignUp(ctx context.Context, id string) (*session.SignUp, error) {
	var su session.SignUp
	return &su, db.attempt(ctx, session.KindSignUp, id, &su)
}

// UpdateSignUp changes a sign-up's stored state under a row lock, so
// that a concurrent change is not lost.
func (db *DB) UpdateSignUp(ctx context.Context, id string, fn func(*session.SignUp) error) (*session.SignUp, error) {
	var su session.SignUp
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var state string
		err := db.in(tx).QueryRowContext(ctx, "SELECT state FROM attempts WHERE id = ? AND kind = ?"+db.dialect.lockRows(),
			id, session.KindSignUp).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return session.NotFound("sign up", id)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(state), &su); err != nil {
			return err
		}
		if err := fn(&su); err != nil {
			return err
		}
		b, err := json.Marshal(&su)
		if err != nil {
			return err
		}
		_, err = db.in(tx).ExecContext(ctx, "UPDATE attempts SET state = ?, updated_at = ? WHERE id = ?", string(b), su.UpdatedAt, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &su, nil
}

// Complete finishes a sign-in or sign-up in one transaction.
func (db *DB) Complete(ctx context.Context, x session.Completion) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if x.NewUser != nil {
			if err := db.createUser(ctx, tx, x.NewUser); err != nil {
				return err
			}
		}
		if x.InvitationID != "" {
			res, err := c.ExecContext(ctx, `UPDATE invitations SET status = 'accepted', accepted_user_id = ?, updated_at = ?
				WHERE id = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)`,
				x.Session.UserID, x.Now, x.InvitationID, x.Now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return invitation.RevokedTicket() // used, revoked or expired meanwhile: single use
			}
			if want, err := db.wanted(ctx, tx, webhook.InvitationAccepted); err != nil {
				return err
			} else if want {
				inv, err := scanInvitation(c.QueryRowContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id = ?", x.InvitationID))
				if err != nil {
					return err
				}
				if err := db.emit(ctx, tx, webhook.InvitationAccepted, inv); err != nil {
					return err
				}
			}
		}
		if x.TicketTokenID != "" {
			if err := db.acceptTicketToken(ctx, tx, x.TicketTokenID, x.Now); err != nil {
				return err
			}
		}
		if x.OrgInvitationID != "" {
			if err := db.acceptOrgInvitation(ctx, tx, x.OrgInvitationID, x.OrgMembership, x.Now); err != nil {
				return err
			}
		}
		if err := db.insertSession(ctx, tx, x.Session); err != nil {
			return err
		}
		if err := db.recordCompletion(ctx, tx, x); err != nil {
			return err
		}
		if x.SignIn != nil {
			if err := db.saveAttempt(ctx, tx, session.KindSignIn, x.SignIn.ID, x.ClientID, x.SignIn, false, x.SignIn.CreatedAt, x.Now); err != nil {
				return err
			}
		}
		if x.SignUp != nil {
			if err := db.saveAttempt(ctx, tx, session.KindSignUp, x.SignUp.ID, x.ClientID, x.SignUp, false, x.SignUp.CreatedAt, x.Now); err != nil {
				return err
			}
		}
		if _, err := c.ExecContext(ctx, `UPDATE clients SET rotating_hash = ?, last_active_session_id = ?,
			last_authentication_strategy = ?, updated_at = ? WHERE id = ?`,
			x.RotatingHash, x.Session.ID, x.Strategy, x.Now, x.ClientID); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ?, last_active_at = ?, failed_attempts = 0,
			lockout_until = NULL WHERE id = ?`, x.Now, x.Now, x.Session.UserID)
		return err
	})
}

// Session returns a session.
func (db *DB) Session(ctx context.Context, id string) (*session.Session, error) {
	s, err := scanSession(db.reader().QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, session.NotFound("session", id)
	}
	return s, err
}

// Sessions returns a page of sessions, newest first, and the total.
func (db *DB) Sessions(ctx context.Context, f session.Filter) ([]*session.Session, int64, error) {
	conds := []string{"1 = 1"}
	var args []any
	if f.ClientID != "" {
		conds, args = append(conds, "client_id = ?"), append(args, f.ClientID)
	}
	if f.UserID != "" {
		conds, args = append(conds, "user_id = ?"), append(args, f.UserID)
	}
	switch f.Status {
	case "":
	case session.Active:
		conds, args = append(conds, "status = 'active' AND expire_at > ? AND abandon_at > ?"), append(args, f.Now, f.Now)
	case session.Expired:
		conds, args = append(conds, "status = 'active' AND expire_at <= ?"), append(args, f.Now)
	case session.Abandoned:
		conds, args = append(conds, "status = 'active' AND abandon_at <= ? AND expire_at > ?"), append(args, f.Now, f.Now)
	default:
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	var total int64
	if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM sessions"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions"+where+" ORDER BY seq DESC LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*session.Session{}
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	return out, total, rows.Err()
}

// SetSessionStatus moves an active session to status.
func (db *DB) SetSessionStatus(ctx context.Context, id, status string, now int64) (*session.Session, error) {
	var out *session.Session
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		res, err := c.ExecContext(ctx, "UPDATE sessions SET status = ?, updated_at = ? WHERE id = ? AND status = 'active'", status, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.BadRequest, "session_not_active", "Session is not active", "The session is no longer active.")
		}
		if out, err = scanSession(c.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id)); err != nil {
			return err
		}
		if err := db.record(ctx, tx, "session."+status, "session", id, map[string]string{"user_id": out.UserID}); err != nil {
			return err
		}
		return db.emit(ctx, tx, "session."+status, out)
	})
	return out, err
}

// EndClientSessions moves a client's active sessions to status.
func (db *DB) EndClientSessions(ctx context.Context, clientID, status string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if err := db.recordEnding(ctx, tx, status, clientID); err != nil {
			return err
		}
		if err := db.endSessions(ctx, tx, "client_id = ?", status, now, clientID); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, "UPDATE clients SET last_active_session_id = NULL, updated_at = ? WHERE id = ?", now, clientID)
		return err
	})
}

// EndUserSessions moves a user's active sessions to status.
func (db *DB) EndUserSessions(ctx context.Context, userID, status string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.endSessions(ctx, tx, "user_id = ?", status, now, userID)
	})
}

// TouchSession records activity on a session, its client and its user.
func (db *DB) TouchSession(ctx context.Context, id string, now, abandonAt int64, org *string) (*session.Session, error) {
	var out *session.Session
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		var err error
		out, err = scanSession(c.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return session.NotFound("session", id)
		}
		if err != nil {
			return err
		}
		out.LastActiveAt, out.UpdatedAt, out.AbandonAt = now, now, abandonAt
		if org != nil {
			out.LastActiveOrganizationID = nil
			if *org != "" {
				out.LastActiveOrganizationID = org
			}
		}
		for _, st := range []struct {
			q    string
			args []any
		}{
			{"UPDATE sessions SET last_active_at = ?, updated_at = ?, abandon_at = ?, last_active_organization_id = ? WHERE id = ?",
				[]any{now, now, abandonAt, out.LastActiveOrganizationID, id}},
			{"UPDATE clients SET last_active_session_id = ?, updated_at = ? WHERE id = ?", []any{id, now, out.ClientID}},
			{"UPDATE users SET last_active_at = ? WHERE id = ?", []any{now, out.UserID}},
		} {
			if _, err := c.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Queue stores a message for the outbox.
func (db *DB) Queue(ctx context.Context, m *delivery.Message) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error { return db.insertMessage(ctx, tx, m) })
}

// UserByIdentifier finds the user holding an email address, phone number
// or username.
func (db *DB) UserByIdentifier(ctx context.Context, value string) (*user.User, *user.Identifier, error) {
	var userID string
	var idnID sql.NullString
	err := db.reader().QueryRowContext(ctx, `SELECT user_id, id FROM identifiers
		WHERE kind IN ('email_address', 'phone_number') AND value = ?`, value).Scan(&userID, &idnID)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.reader().QueryRowContext(ctx, "SELECT id FROM users WHERE username = ?", value).Scan(&userID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.ResourceNotFound("not found", "No account was found for that identifier.")
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := db.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	for i := range u.Identifiers {
		if idnID.Valid && u.Identifiers[i].ID == idnID.String {
			return u, &u.Identifiers[i], nil
		}
	}
	return u, nil, nil
}

// SaveVerification stores the code state of verifying an identifier
// outside a sign-up (a user adding an email address).
func (db *DB) SaveVerification(ctx context.Context, identifierID, clientID string, v *session.Verification, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.saveAttempt(ctx, tx, session.KindVerification, identifierID, clientID, v, false, now, now)
	})
}

// Verification returns that state.
func (db *DB) Verification(ctx context.Context, identifierID string) (*session.Verification, error) {
	var v session.Verification
	return &v, db.attempt(ctx, session.KindVerification, identifierID, &v)
}

// AddIdentifier gives a user one more (unverified) identifier.
func (db *DB) AddIdentifier(ctx context.Context, idn *user.Identifier) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.insertIdentifier(ctx, tx, idn); err != nil {
			if db.dialect.isUnique(err) {
				return errs.IdentifierExists(string(idn.Kind), strings.ReplaceAll(string(idn.Kind), "_", " "))
			}
			return err
		}
		if err := db.record(ctx, tx, audit.IdentifierAdd, "user", idn.UserID,
			map[string]string{"identifier_id": idn.ID, "kind": string(idn.Kind)}); err != nil {
			return err
		}
		return db.resyncSearch(ctx, tx, idn.UserID)
	})
}

// VerifyIdentifier marks a user's identifier verified.
func (db *DB) VerifyIdentifier(ctx context.Context, userID, identifierID, strategy string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, `UPDATE identifiers SET verification_status = 'verified',
			verification_strategy = ?, updated_at = ? WHERE id = ? AND user_id = ?`, strategy, now, identifierID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No identifier was found with id "+identifierID)
		}
		// A user's first verified email address or phone number becomes
		// the primary one, as Clerk does, so that it can sign in with it.
		var kind, value string
		if err := db.in(tx).QueryRowContext(ctx, "SELECT kind, value FROM identifiers WHERE id = ?", identifierID).Scan(&kind, &value); err != nil {
			return err
		}
		col, ok := primaryColumns[user.IdentifierKind(kind)]
		if !ok {
			return nil
		}
		if _, err = db.in(tx).ExecContext(ctx, "UPDATE users SET "+col+"_id = ?, "+col+" = ?, updated_at = ? WHERE id = ? AND "+col+"_id IS NULL",
			identifierID, value, now, userID); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.IdentifierVerified, "user", userID, map[string]string{"identifier_id": identifierID, "strategy": strategy}); err != nil {
			return err
		}
		// The search row does not change; the user does.
		return db.emitUserByID(ctx, tx, webhook.UserUpdated, userID)
	})
}

// primaryColumns names the users columns (…_id and the value) that hold
// a user's primary identifier of each kind.
var primaryColumns = map[user.IdentifierKind]string{
	user.EmailAddress: "primary_email_address", user.PhoneNumber: "primary_phone_number",
}

// DeleteIdentifier removes a user's identifier; the primary one stays.
func (db *DB) DeleteIdentifier(ctx context.Context, userID, identifierID string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		var primary int
		if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ? AND
			(primary_email_address_id = ? OR primary_phone_number_id = ? OR primary_web3_wallet_id = ?)`,
			userID, identifierID, identifierID, identifierID).Scan(&primary); err != nil {
			return err
		}
		if primary > 0 {
			return errs.New(errs.BadRequest, "primary_identifier_deletion", "Cannot delete the primary identifier",
				"Make another identifier primary before deleting this one.")
		}
		res, err := c.ExecContext(ctx, "DELETE FROM identifiers WHERE id = ? AND user_id = ?", identifierID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No identifier was found with id "+identifierID)
		}
		if err := db.record(ctx, tx, audit.IdentifierDel, "user", userID, map[string]string{"identifier_id": identifierID}); err != nil {
			return err
		}
		return db.resyncSearch(ctx, tx, userID)
	})
}

// resyncSearch rewrites a user's search row after its identifiers changed.
func (db *DB) resyncSearch(ctx context.Context, tx *sql.Tx, userID string) error {
	u, err := db.userWithIdentifiers(ctx, db.in(tx), selectUserJoinedSQL, userID)
	if err != nil {
		return err
	}
	if err := db.dialect.syncSearch(ctx, db.in(tx), userID, newSearchDoc(u), false); err != nil {
		return err
	}
	// An identifier added, verified or removed changes the user.
	return db.emitUser(ctx, tx, webhook.UserUpdated, u)
}

// UnverifyIdentifier marks a user's identifier unverified (an operator's
// change; the primary identifier is refused before this).
func (db *DB) UnverifyIdentifier(ctx context.Context, userID, identifierID string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, `UPDATE identifiers SET verification_status = 'unverified',
			updated_at = ? WHERE id = ? AND user_id = ?`, now, identifierID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No identifier was found with id "+identifierID)
		}
		if err := db.record(ctx, tx, audit.IdentifierUnverified, "user", userID, map[string]string{"identifier_id": identifierID}); err != nil {
			return err
		}
		return db.emitUserByID(ctx, tx, webhook.UserUpdated, userID)
	})
}

// IdentifierOwner returns the user holding an identifier.
func (db *DB) IdentifierOwner(ctx context.Context, identifierID string) (string, error) {
	var userID string
	err := db.reader().QueryRowContext(ctx, "SELECT user_id FROM identifiers WHERE id = ?", identifierID).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.ResourceNotFound("not found", "No identifier was found with id "+identifierID)
	}
	return userID, err
}
