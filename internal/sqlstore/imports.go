package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/transfer"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ transfer.Store = (*DB)(nil)

// errDryRun rolls a dry run's transaction back once its outcomes are known.
var errDryRun = errors.New("dry run")

// ImportUsers stores a batch of imported users and the import's checkpoint
// in one transaction. Which of its IDs exist is read for the whole batch
// (one IN query), so duplicates are skipped or updated; the batch is then
// inserted optimistically, a few multi-row statements in all. Should a
// value be taken (by another user, or twice within the batch), the unique
// constraint refuses the transaction and the batch is run again one user
// per transaction, where what the user collides with is read first, so
// that it fails alone and says why.
func (db *DB) ImportUsers(ctx context.Context, b transfer.Batch) ([]transfer.Result, error) {
	var results []transfer.Result
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		results, err = db.importBatch(ctx, tx, b)
		if err == nil && b.DryRun {
			return errDryRun
		}
		return err
	})
	switch {
	case errors.Is(err, errDryRun):
		return results, nil
	case err != nil && db.dialect.isUnique(err) && len(b.Users) > 1:
		return db.importOneByOne(ctx, b)
	case err != nil && db.dialect.isUnique(err):
		return []transfer.Result{{Outcome: transfer.Failed, Err: errs.IdentifierExists("email_address", "email address")}}, nil
	}
	return results, err
}

func (db *DB) importOneByOne(ctx context.Context, b transfer.Batch) ([]transfer.Result, error) {
	out := make([]transfer.Result, 0, len(b.Users))
	for i, u := range b.Users {
		one := b
		one.Users = []*user.User{u}
		if i < len(b.Users)-1 {
			one.Source = "" // the checkpoint moves with the last one
		}
		r, err := db.ImportUsers(ctx, one)
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// importState is what the batch's users collide with: owners by value.
type importState struct {
	users       map[string]*user.User // existing users by ID (password and factors only)
	usernames   map[string]string
	externalIDs map[string]string
	identifiers map[string]string // kind + "\x00" + value → user ID
}

func (db *DB) importBatch(ctx context.Context, tx *sql.Tx, b transfer.Batch) ([]transfer.Result, error) {
	st, err := db.importState(ctx, tx, b.Users, len(b.Users) == 1)
	if err != nil {
		return nil, err
	}
	results := make([]transfer.Result, len(b.Users))
	inBatch := map[string]bool{}
	var fresh []*user.User
	for i, u := range b.Users {
		if inBatch[u.ID] {
			results[i] = transfer.Result{Outcome: transfer.Duplicate}
			continue
		}
		old, exists := st.users[u.ID]
		if exists && !b.Update {
			results[i] = transfer.Result{Outcome: transfer.Duplicate}
			continue
		}
		if err := st.claim(u); err != nil {
			results[i] = transfer.Result{Outcome: transfer.Failed, Err: err}
			continue
		}
		inBatch[u.ID] = true
		if !exists {
			fresh = append(fresh, u)
			results[i] = transfer.Result{Outcome: transfer.Imported}
			continue
		}
		keepSecrets(u, old)
		if err := db.replaceImported(ctx, tx, u); err != nil {
			return nil, err
		}
		results[i] = transfer.Result{Outcome: transfer.Updated}
		if b.Events {
			if err := db.emitUser(ctx, tx, webhook.UserUpdated, u); err != nil {
				return nil, err
			}
		}
	}
	if err := db.insertImported(ctx, tx, fresh); err != nil {
		return nil, err
	}
	if b.Events {
		for _, u := range fresh {
			if err := db.emitUser(ctx, tx, webhook.UserCreated, u); err != nil {
				return nil, err
			}
		}
	}
	if b.Source != "" {
		if _, err := db.in(tx).ExecContext(ctx, upsertCheckpointSQL, b.Source, b.Position, db.nowMillis()); err != nil {
			return nil, err
		}
	}
	// One event per batch, not per user: an import of a million users
	// should not write a million audit rows.
	if n := len(b.Users); n > 0 {
		imported := 0
		for _, r := range results {
			if r.Outcome == transfer.Imported || r.Outcome == transfer.Updated {
				imported++
			}
		}
		if imported > 0 {
			if err := db.record(ctx, tx, audit.UserImported, "import", b.Source, map[string]int{"users": imported, "position": int(b.Position)}); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// claim takes u's unique values, or says which one another user holds.
func (st *importState) claim(u *user.User) error {
	type want struct {
		m   map[string]string
		key string
		err func() error
	}
	var wants []want
	if u.Username != nil {
		wants = append(wants, want{st.usernames, *u.Username, func() error {
			return errs.New(errs.Invalid, "form_identifier_exists", "That username is taken.",
				fmt.Sprintf("The username %s belongs to another user.", *u.Username)).WithParam("username")
		}})
	}
	if u.ExternalID != nil {
		wants = append(wants, want{st.externalIDs, *u.ExternalID, func() error {
			return errs.New(errs.Invalid, "form_identifier_exists", "That external ID is taken.",
				fmt.Sprintf("The external_id %s belongs to another user.", *u.ExternalID)).WithParam("external_id")
		}})
	}
	for _, idn := range u.Identifiers {
		idn := idn
		wants = append(wants, want{st.identifiers, string(idn.Kind) + "\x00" + idn.Value, func() error {
			return errs.New(errs.Invalid, "form_identifier_exists", "That identifier is taken.",
				fmt.Sprintf("The %s %s belongs to another user.", idn.Kind, idn.Value)).WithParam(string(idn.Kind))
		}})
	}
	for _, w := range wants {
		if owner, ok := w.m[w.key]; ok && owner != u.ID {
			return w.err()
		}
	}
	for _, w := range wants {
		w.m[w.key] = u.ID
	}
	return nil
}

// keepSecrets keeps an existing user's password and second factors when
// the imported record carries none (an API pull has no digests).
func keepSecrets(u, old *user.User) {
	if u.PasswordDigest == "" && old.PasswordDigest != "" {
		u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt = old.PasswordDigest, old.PasswordHasher, old.PasswordLastUpdatedAt
	}
	if len(u.TOTPSecret) == 0 {
		u.TOTPSecret = old.TOTPSecret
	}
	if len(u.BackupCodes) == 0 {
		u.BackupCodes = old.BackupCodes
	}
}

// insertImported stores new users with multi-row INSERTs, a few
// statements per batch rather than a few per user: on PostgreSQL each
// statement is a round trip.
func (db *DB) insertImported(ctx context.Context, tx *sql.Tx, users []*user.User) error {
	if len(users) == 0 {
		return nil
	}
	c := db.in(tx)
	userRows := make([][]any, len(users))
	var idnRows [][]any
	for i, u := range users {
		userRows[i] = insertValues(u)
		for _, idn := range u.Identifiers {
			idnRows = append(idnRows, []any{idn.ID, idn.UserID, string(idn.Kind), idn.Value, idn.Reserved,
				idn.VerificationStatus, idn.VerificationStrategy, nullIfEmpty(idn.Data), idn.CreatedAt, idn.UpdatedAt})
		}
	}
	if err := insertRows(ctx, c, "INSERT INTO users ("+insertUserColumns+") VALUES ", userRows); err != nil {
		return err
	}
	if err := insertRows(ctx, c, `INSERT INTO identifiers (id, user_id, kind, value, reserved,
		verification_status, verification_strategy, data, created_at, updated_at) VALUES `, idnRows); err != nil {
		return err
	}
	if db.dialect.name() != Postgres {
		// SQLite's FTS5 rows are keyed by users.seq, known only now; the
		// statement runs in-process, so one per user costs no round trip.
		for _, u := range users {
			if err := db.dialect.syncSearch(ctx, c, u.ID, newSearchDoc(u), true); err != nil {
				return err
			}
		}
		return nil
	}
	searchRows := make([][]any, len(users))
	for i, u := range users {
		d := newSearchDoc(u)
		all := strings.Join([]string{d.ids, d.emails, d.phones, d.usernames, d.web3, d.names}, "\n")
		searchRows[i] = []any{u.ID, d.ids, d.emails, d.phones, d.usernames, d.web3, d.names, all}
	}
	return insertRows(ctx, c, "INSERT INTO user_search (user_id, ids, emails, phones, usernames, web3, names, all_text) VALUES ", searchRows)
}

// insertRows runs prefix with rows as its VALUES, as many rows to a
// statement as keep it under SQLite's and PostgreSQL's bounds on
// parameters.
func insertRows(ctx context.Context, c q, prefix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, 30000/len(rows[0]))
	tuple := "(" + placeholders(len(rows[0])) + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		var sb strings.Builder
		sb.WriteString(prefix)
		args := make([]any, 0, n*len(rows[0]))
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(tuple)
			args = append(args, rows[i]...)
		}
		if _, err := c.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (db *DB) replaceImported(ctx context.Context, tx *sql.Tx, u *user.User) error {
	if _, err := db.in(tx).ExecContext(ctx, "DELETE FROM identifiers WHERE user_id = ?", u.ID); err != nil {
		return err
	}
	args := append(userValues(u)[1:], u.ID)
	if _, err := db.in(tx).ExecContext(ctx, updateUserSQL, args...); err != nil {
		return err
	}
	for i := range u.Identifiers {
		if err := db.insertIdentifier(ctx, tx, &u.Identifiers[i]); err != nil {
			return err
		}
	}
	return db.dialect.syncSearch(ctx, db.in(tx), u.ID, newSearchDoc(u), false)
}

const upsertCheckpointSQL = `INSERT INTO import_checkpoints (source, position, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`

// importState reads, for the whole batch, which of its IDs exist and, with
// owners, who holds its usernames, external IDs and identifiers.
func (db *DB) importState(ctx context.Context, tx *sql.Tx, users []*user.User, owners bool) (*importState, error) {
	st := &importState{users: map[string]*user.User{}, usernames: map[string]string{},
		externalIDs: map[string]string{}, identifiers: map[string]string{}}
	var ids, names, exts []any
	byKind := map[user.IdentifierKind][]any{}
	for _, u := range users {
		ids = append(ids, u.ID)
		if u.Username != nil {
			names = append(names, *u.Username)
		}
		if u.ExternalID != nil {
			exts = append(exts, *u.ExternalID)
		}
		for _, i := range u.Identifiers {
			byKind[i.Kind] = append(byKind[i.Kind], i.Value)
		}
	}
	c := db.in(tx)
	// each runs query over args in chunks that stay under SQLite's bound
	// on parameters; lead are parameters that come before the list.
	each := func(query string, lead, args []any, scan func(*sql.Rows) error) error {
		for len(args) > 0 {
			n := min(len(args), 500)
			rows, err := c.QueryContext(ctx, query+placeholders(n)+")", append(append([]any{}, lead...), args[:n]...)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := scan(rows); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			args = args[n:]
		}
		return nil
	}
	err := each("SELECT id, password_digest, password_hasher, password_last_updated_at, totp_secret, backup_codes FROM users WHERE id IN (", nil, ids,
		func(r *sql.Rows) error {
			u := &user.User{}
			var codes sql.NullString
			if err := r.Scan(&u.ID, &u.PasswordDigest, &u.PasswordHasher, &u.PasswordLastUpdatedAt, &u.TOTPSecret, &codes); err != nil {
				return err
			}
			u.BackupCodes = decodeCodes(codes)
			st.users[u.ID] = u
			return nil
		})
	if err != nil || !owners {
		return st, err
	}
	pair := func(m map[string]string) func(*sql.Rows) error {
		return func(r *sql.Rows) error {
			var v, owner string
			if err := r.Scan(&v, &owner); err != nil {
				return err
			}
			m[v] = owner
			return nil
		}
	}
	if err := each("SELECT username, id FROM users WHERE username IN (", nil, names, pair(st.usernames)); err != nil {
		return nil, err
	}
	if err := each("SELECT external_id, id FROM users WHERE external_id IN (", nil, exts, pair(st.externalIDs)); err != nil {
		return nil, err
	}
	for kind, values := range byKind {
		err := each("SELECT value, user_id FROM identifiers WHERE kind = ? AND value IN (", []any{string(kind)}, values,
			func(r *sql.Rows) error {
				var v, owner string
				if err := r.Scan(&v, &owner); err != nil {
					return err
				}
				st.identifiers[string(kind)+"\x00"+v] = owner
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// AfterImport refreshes the statistics the planner reads (ANALYZE on
// PostgreSQL, PRAGMA optimize on SQLite) for the tables an import fills,
// and on SQLite merges the search index the import grew in segments.
func (db *DB) AfterImport(ctx context.Context) error {
	stmts := []string{"PRAGMA optimize", sqliteOptimizeSearchSQL}
	if db.dialect.name() == Postgres {
		stmts = []string{"ANALYZE users, identifiers, user_search"}
	}
	for _, stmt := range stmts {
		if _, err := db.write.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// ImportPosition returns how many records of source an import committed.
func (db *DB) ImportPosition(ctx context.Context, source string) (int64, error) {
	var n int64
	err := db.reader().QueryRowContext(ctx, "SELECT position FROM import_checkpoints WHERE source = ?", source).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// ExportUsers returns a page of users in ID order, after the given ID.
func (db *DB) ExportUsers(ctx context.Context, after string, limit int) ([]*user.User, error) {
	c := db.reader()
	rows, err := c.QueryContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?", after, limit)
	if err != nil {
		return nil, err
	}
	var out []*user.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, db.loadIdentifiers(ctx, c, out)
}
