package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

var _ audit.Store = (*DB)(nil)

const insertAuditSQL = `INSERT INTO audit_events (actor_kind, actor_id, actor_name, action, target_type, target_id,
	ip, user_agent, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// userAgentMax bounds a stored user agent: it is the client's to choose.
const userAgentMax = 512

// record writes an audit event in tx, the transaction of the change it
// describes, when ctx carries an actor (see audit.WithActor); changes
// without one (start-up, the janitor, sign-in bookkeeping) are not
// recorded. detail, if not nil, is marshalled to a small JSON object:
// callers put names and IDs there, never secrets.
func (db *DB) record(ctx context.Context, tx *sql.Tx, action, targetType, targetID string, detail any) error {
	args, err := db.auditArgs(ctx, action, targetType, targetID, detail)
	if args == nil {
		return err
	}
	_, err = db.in(tx).ExecContext(ctx, insertAuditSQL, args...)
	return err
}

// auditArgs returns the arguments of insertAuditSQL for the event, or nil
// when ctx carries no actor.
func (db *DB) auditArgs(ctx context.Context, action, targetType, targetID string, detail any) ([]any, error) {
	a, ok := audit.ActorFrom(ctx)
	if !ok {
		return nil, nil
	}
	if a.ID == "" {
		// Someone signing in, up or out: the event is theirs of whom it
		// concerns (see audit.Actor), or not recorded.
		subject := subjectOf(a.Kind, targetType, targetID, detail)
		if subject == "" {
			return nil, nil
		}
		if action != audit.UserLocked {
			a.ID = subject
		}
	}
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return nil, err
		}
		if string(d) == "null" { // a nil map: nothing to add
			d = []byte("{}")
		}
	}
	return []any{string(a.Kind), a.ID, a.Name, action, targetType, targetID,
		a.IP, audit.Clip(a.UserAgent, userAgentMax), string(d), db.nowMillis()}, nil
}

// subjectOf is the user or operator (as kind says) an event concerns:
// its target, or the user_id its detail names (a session's user).
func subjectOf(kind audit.ActorKind, targetType, targetID string, detail any) string {
	switch {
	case kind == audit.Operator && targetType == "operator":
		return targetID
	case kind != audit.User:
		return ""
	case targetType == "user":
		return targetID
	}
	switch d := detail.(type) {
	case map[string]string:
		return d["user_id"]
	case map[string]any:
		id, _ := d["user_id"].(string)
		return id
	}
	return ""
}

const auditColumns = "seq, actor_kind, actor_id, actor_name, action, target_type, target_id, ip, user_agent, detail, created_at"

func scanAudit(r interface{ Scan(...any) error }) (*audit.Event, error) {
	var e audit.Event
	var kind, detail string
	if err := r.Scan(&e.Seq, &kind, &e.ActorID, &e.ActorName, &e.Action, &e.TargetType, &e.TargetID,
		&e.IP, &e.UserAgent, &detail, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.ActorKind, e.Detail = audit.ActorKind(kind), json.RawMessage(detail)
	return &e, nil
}

// AuditEvents lists the events f selects, newest first. A filter on the
// target or the actor ID walks its index in seq order, so a page costs
// its own rows whatever the log's size.
func (db *DB) AuditEvents(ctx context.Context, f audit.Filter) ([]*audit.Event, error) {
	var conds []string
	var args []any
	for _, c := range []struct {
		col, v string
	}{{"actor_kind", string(f.ActorKind)}, {"actor_id", f.ActorID}, {"action", f.Action},
		{"target_type", f.TargetType}, {"target_id", f.TargetID}} {
		if c.v != "" {
			conds, args = append(conds, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.Before > 0 {
		conds, args = append(conds, "seq < ?"), append(args, f.Before)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return db.queryAudit(ctx, "SELECT "+auditColumns+" FROM audit_events"+where+" ORDER BY seq DESC LIMIT ?",
		append(args, f.PageSize())...)
}

// ExportAuditEvents returns up to limit events after seq after, oldest
// first.
func (db *DB) ExportAuditEvents(ctx context.Context, after int64, limit int) ([]*audit.Event, error) {
	return db.queryAudit(ctx, "SELECT "+auditColumns+" FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
}

func (db *DB) queryAudit(ctx context.Context, query string, args ...any) ([]*audit.Event, error) {
	rows, err := db.reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*audit.Event{}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// bookkeeping are the users columns sign-ins change by themselves: not
// what an audit entry lists as changed.
var bookkeeping = map[string]bool{"updated_at": true, "last_sign_in_at": true, "last_active_at": true,
	"failed_attempts": true, "lockout_until": true, "totp_last_step": true,
	// Denormalised copies of the primary identifiers' values.
	"primary_email_address": true, "primary_phone_number": true, "primary_web3_wallet": true}

// secretColumns are listed by what they hold, never with a value.
var secretColumns = map[string]string{"password_digest": "password", "password_hasher": "password",
	"password_last_updated_at": "password", "totp_secret": "totp", "totp_pending": "totp",
	"backup_codes": "backup_codes", "mfa_phones": "second_factor_phones"}

var userColumnNames = func() []string {
	cols := strings.Split(insertColumns, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	return cols
}()

// userChange names what an update of a user did: banned and locked get
// actions of their own, anything else is user.updated with the names of
// the changed fields (never their values), from the row values the
// update writes anyway.
func userChange(before, after *user.User) (action string, detail map[string]any) {
	switch {
	case after.Banned != before.Banned && after.Banned:
		action = audit.UserBanned
	case after.Banned != before.Banned:
		action = audit.UserUnbanned
	case after.Locked != before.Locked && after.Locked:
		action = audit.UserLocked
	case after.Locked != before.Locked:
		action = audit.UserUnlocked
	default:
		action = audit.UserUpdated
	}
	a, b := userValues(before), userValues(after)
	var fields []string
	seen := map[string]bool{}
	for i, col := range userColumnNames {
		if bookkeeping[col] || reflect.DeepEqual(a[i], b[i]) {
			continue
		}
		if s, ok := secretColumns[col]; ok {
			col = s
		}
		if !seen[col] {
			seen[col] = true
			fields = append(fields, col)
		}
	}
	if len(after.Identifiers) != len(before.Identifiers) {
		fields = append(fields, "identifiers")
	}
	if len(fields) == 0 {
		return action, nil
	}
	return action, map[string]any{"fields": fields}
}

// fromEvent is the audit action and target type of a webhook event type
// ("organizationMembership.created": "organization_membership.created",
// "organization_membership"), where the two name the same change.
func fromEvent(typ string) (action, targetType string) {
	object, verb, _ := strings.Cut(typ, ".")
	var b strings.Builder
	for _, r := range object {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String() + "." + verb, b.String()
}

// recordEvent records the change a webhook event of type typ tells of,
// on the object with id targetID.
func (db *DB) recordEvent(ctx context.Context, tx *sql.Tx, typ, targetID string, detail any) error {
	if _, ok := audit.ActorFrom(ctx); !ok {
		return nil
	}
	action, target := fromEvent(typ)
	return db.record(ctx, tx, action, target, targetID, detail)
}

// recordCompletion records the session a sign-in or sign-up completed
// with (the sign-up's user.created is createUser's). A session opened
// with an actor token carries that actor in the detail: the one who
// signed in was the impersonator, not the user the entry names.
func (db *DB) recordCompletion(ctx context.Context, tx *sql.Tx, x session.Completion) error {
	detail := map[string]any{"user_id": x.Session.UserID, "strategy": x.Strategy}
	if len(x.Session.Actor) > 0 {
		detail["actor"] = json.RawMessage(x.Session.Actor)
	}
	return db.record(ctx, tx, audit.SessionCreated, "session", x.Session.ID, detail)
}

// recordEnding records, before they end, the sign-out (session.<status>)
// of each active session of a client.
func (db *DB) recordEnding(ctx context.Context, tx *sql.Tx, status, clientID string) error {
	if _, ok := audit.ActorFrom(ctx); !ok {
		return nil
	}
	rows, err := db.in(tx).QueryContext(ctx, "SELECT id, user_id FROM sessions WHERE client_id = ? AND status = 'active'", clientID)
	if err != nil {
		return err
	}
	var ending [][2]string
	for rows.Next() {
		var id, userID string
		if err := rows.Scan(&id, &userID); err != nil {
			rows.Close()
			return err
		}
		ending = append(ending, [2]string{id, userID})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range ending {
		if err := db.record(ctx, tx, "session."+status, "session", s[0], map[string]string{"user_id": s[1]}); err != nil {
			return err
		}
	}
	return nil
}
