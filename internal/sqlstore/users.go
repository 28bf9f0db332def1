package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ user.Store = (*DB)(nil)

const userColumns = `u.id, u.external_id, u.username, u.first_name, u.last_name, u.locale,
	u.primary_email_address_id, u.primary_phone_number_id, u.primary_web3_wallet_id,
	u.password_digest, u.password_hasher, u.password_last_updated_at,
	u.public_metadata, u.private_metadata, u.unsafe_metadata,
	u.banned, u.locked, u.delete_self_enabled, u.create_organization_enabled,
	u.create_organizations_limit, u.bypass_client_trust,
	u.last_sign_in_at, u.last_active_at, u.legal_accepted_at, u.created_at, u.updated_at,
	u.failed_attempts, u.lockout_until, u.totp_secret, u.backup_codes, u.totp_last_step,
	u.totp_pending, u.mfa_phones, u.password_compromised_at, u.image_url, u.rev`

type scanner interface{ Scan(dest ...any) error }

func scanUser(s scanner) (*user.User, error) {
	u := &user.User{}
	var limit sql.NullInt64
	var pub, priv, unsafe string
	var codes, phones sql.NullString
	err := s.Scan(&u.ID, &u.ExternalID, &u.Username, &u.FirstName, &u.LastName, &u.Locale,
		&u.PrimaryEmailAddressID, &u.PrimaryPhoneNumberID, &u.PrimaryWeb3WalletID,
		&u.PasswordDigest, &u.PasswordHasher, &u.PasswordLastUpdatedAt,
		&pub, &priv, &unsafe,
		&u.Banned, &u.Locked, &u.DeleteSelfEnabled, &u.CreateOrganizationEnabled,
		&limit, &u.BypassClientTrust,
		&u.LastSignInAt, &u.LastActiveAt, &u.LegalAcceptedAt, &u.CreatedAt, &u.UpdatedAt,
		&u.FailedAttempts, &u.LockoutUntil, &u.TOTPSecret, &codes, &u.TOTPLastStep,
		&u.TOTPPending, &phones, &u.PasswordCompromisedAt, &u.ImageURL, &u.Revision)
	if err != nil {
		return nil, err
	}
	u.BackupCodes, u.SecondFactorPhones = decodeCodes(codes), decodeCodes(phones)
	if limit.Valid {
		n := int(limit.Int64)
		u.CreateOrganizationsLimit = &n
	}
	u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata = []byte(pub), []byte(priv), []byte(unsafe)
	return u, nil
}

// userValues are the users columns a write sets, in insertColumns order.
const insertColumns = `id, external_id, username, first_name, last_name, locale,
	primary_email_address_id, primary_phone_number_id, primary_web3_wallet_id,
	primary_email_address, primary_phone_number, primary_web3_wallet,
	password_digest, password_hasher, password_last_updated_at,
	public_metadata, private_metadata, unsafe_metadata,
	banned, locked, delete_self_enabled, create_organization_enabled,
	create_organizations_limit, bypass_client_trust,
	last_sign_in_at, last_active_at, legal_accepted_at, created_at, updated_at,
	failed_attempts, lockout_until, totp_secret, backup_codes, totp_last_step,
	totp_pending, mfa_phones, password_compromised_at, image_url`

func userValues(u *user.User) []any {
	return []any{u.ID, u.ExternalID, u.Username, u.FirstName, u.LastName, u.Locale,
		u.PrimaryEmailAddressID, u.PrimaryPhoneNumberID, u.PrimaryWeb3WalletID,
		primaryValue(u, u.PrimaryEmailAddressID), primaryValue(u, u.PrimaryPhoneNumberID), primaryValue(u, u.PrimaryWeb3WalletID),
		u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt,
		string(u.PublicMetadata), string(u.PrivateMetadata), string(u.UnsafeMetadata),
		u.Banned, u.Locked, u.DeleteSelfEnabled, u.CreateOrganizationEnabled,
		u.CreateOrganizationsLimit, u.BypassClientTrust,
		u.LastSignInAt, u.LastActiveAt, u.LegalAcceptedAt, u.CreatedAt, u.UpdatedAt,
		u.FailedAttempts, u.LockoutUntil, u.TOTPSecret, backupCodes(u.BackupCodes), u.TOTPLastStep,
		u.TOTPPending, backupCodes(u.SecondFactorPhones), u.PasswordCompromisedAt, u.ImageURL}
}

// decodeCodes reads what backupCodes stored.
func decodeCodes(s sql.NullString) []string {
	var codes []string
	if s.Valid && s.String != "" {
		json.Unmarshal([]byte(s.String), &codes)
	}
	return codes
}

// backupCodes stores a list (backup codes, phone IDs): none as NULL,
// others as a JSON array.
func backupCodes(codes []string) any {
	if len(codes) == 0 {
		return nil
	}
	b, _ := json.Marshal(codes)
	return string(b)
}

func primaryValue(u *user.User, idnID *string) *string {
	if idnID == nil {
		return nil
	}
	if i := u.Identifier(*idnID); i != nil {
		v := i.Value
		return &v
	}
	return nil
}

// nullIfEmpty stores "" as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

const insertIdentifierSQL = `INSERT INTO identifiers
	(id, user_id, kind, value, reserved, verification_status, verification_strategy, data, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const (
	deleteUserSQL        = "DELETE FROM users WHERE id = ?"
	usernameTakenSQL     = "SELECT COUNT(*) FROM users WHERE username = ? AND id <> ?"
	externalIDTakenSQL   = "SELECT COUNT(*) FROM users WHERE external_id = ? AND id <> ?"
	identifiersOfUserSQL = `SELECT id, user_id, kind, value, reserved,
		verification_status, verification_strategy, COALESCE(data, ''), created_at, updated_at
		FROM identifiers WHERE user_id IN (`
)

// writeStatements lists the SQL that write transactions run, prepared at
// start (see stmtCache).
func (db *DB) writeStatements() []string {
	return append([]string{
		insertUserSQL, insertIdentifierSQL, updateUserSQL, deleteUserSQL,
		selectUserJoinedSQL + db.dialect.forUpdate(),
		usernameTakenSQL, externalIDTakenSQL, db.dialect.deleteSearch(), insertSecretKeySQL, insertAuditSQL,
	}, db.dialect.searchStatements()...)
}

// insertUserColumns are insertColumns and the new row's revision, which
// only an insert sets (triggers draw it anew on every change: see
// migration 0033).
const insertUserColumns = insertColumns + ", rev"

// insertValues are userValues and a new revision, for insertUserColumns.
func insertValues(u *user.User) []any {
	return append(userValues(u), rand.Int64())
}

var insertUserSQL = "INSERT INTO users (" + insertUserColumns + ") VALUES (" + placeholders(39) + ")"

var updateUserSQL = func() string {
	cols := strings.Split(insertColumns, ",")
	set := make([]string, 0, len(cols))
	for _, c := range cols[1:] {
		set = append(set, strings.TrimSpace(c)+" = ?")
	}
	return "UPDATE users SET " + strings.Join(set, ", ") + " WHERE id = ?"
}()

// CreateUser stores u, its identifiers and its search row atomically.
func (db *DB) CreateUser(ctx context.Context, u *user.User) error {
	if db.dialect.name() == Postgres {
		return db.goneMeanwhile(db.createUserPipelined(ctx, u))
	}
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error { return db.createUser(ctx, tx, u) })
}

// CreateUsers stores many users in one transaction. It is for seeding
// (benchmarks, imports): one failure aborts the whole batch.
func (db *DB) CreateUsers(ctx context.Context, users []*user.User) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, u := range users {
			if err := db.createUser(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) createUser(ctx context.Context, tx *sql.Tx, u *user.User) error {
	if _, err := db.in(tx).ExecContext(ctx, insertUserSQL, insertValues(u)...); err != nil {
		if db.dialect.isUnique(err) {
			return db.userConflict(ctx, tx, u)
		}
		return err
	}
	for i := range u.Identifiers {
		if err := db.insertIdentifier(ctx, tx, &u.Identifiers[i]); err != nil {
			return err
		}
	}
	if err := db.dialect.syncSearch(ctx, db.in(tx), u.ID, newSearchDoc(u), true); err != nil {
		return err
	}
	if err := db.record(ctx, tx, audit.UserCreated, "user", u.ID, nil); err != nil {
		return err
	}
	return db.emitUser(ctx, tx, webhook.UserCreated, u)
}

func (db *DB) insertIdentifier(ctx context.Context, tx *sql.Tx, i *user.Identifier) error {
	_, err := db.in(tx).ExecContext(ctx, insertIdentifierSQL, identifierValues(i)...)
	if db.dialect.isUnique(err) {
		return identifierTaken(i)
	}
	return err
}

func identifierValues(i *user.Identifier) []any {
	return []any{i.ID, i.UserID, string(i.Kind), i.Value, i.Reserved, i.VerificationStatus, i.VerificationStrategy, nullIfEmpty(i.Data), i.CreatedAt, i.UpdatedAt}
}

// identifierTaken explains a unique violation inserting i: (kind, value)
// is the only unique key a fresh idn_ ID can hit.
func identifierTaken(i *user.Identifier) error {
	return errs.IdentifierExists(string(i.Kind), strings.ReplaceAll(string(i.Kind), "_", " "))
}

// userConflict explains a unique violation on the users row: it can only
// be the username or the external ID. On PostgreSQL the failed statement
// aborted the transaction (tx, or nil for a pipeline, which has rolled
// back already), so the check runs outside it.
func (db *DB) userConflict(ctx context.Context, tx *sql.Tx, u *user.User) error {
	// SQLite's single writer connection is held by tx, and a failed
	// statement leaves the transaction usable; PostgreSQL aborts it.
	var exists func(query string, args ...any) scanner = func(query string, args ...any) scanner {
		return db.in(tx).QueryRowContext(ctx, query, args...)
	}
	if db.dialect.name() == Postgres {
		if tx != nil {
			tx.Rollback()
		}
		exists = func(query string, args ...any) scanner {
			return db.write.QueryRowContext(ctx, db.dialect.rebind(query), args...)
		}
	}
	taken := func(query string, v *string) bool {
		if v == nil {
			return false
		}
		var n int
		err := exists(query, *v, u.ID).Scan(&n)
		return err == nil && n > 0
	}
	if taken(usernameTakenSQL, u.Username) {
		return errs.IdentifierExists("username", "username")
	}
	if taken(externalIDTakenSQL, u.ExternalID) {
		return errs.New(errs.Invalid, "form_identifier_exists", "That external ID is taken.",
			"Another user already has this external_id.").WithParam("external_id")
	}
	// Neither is taken now: the other writer has since gone away. Report
	// the most likely cause rather than an internal error.
	return errs.IdentifierExists("username", "username")
}

// User returns the user with id, with its identifiers, in one query.
func (db *DB) User(ctx context.Context, id string) (*user.User, error) {
	return db.userWithIdentifiers(ctx, db.reader(), selectUserJoinedSQL, id)
}

// selectUserJoinedSQL reads a user and its identifiers in one statement:
// one row per identifier (or one with NULLs), user columns repeated.
const selectUserJoinedSQL = "SELECT " + userColumns + ", " + joinedIdentifierColumns + `
	FROM users u LEFT JOIN identifiers i ON i.user_id = u.id WHERE u.id = ? ORDER BY i.seq`

func (db *DB) userWithIdentifiers(ctx context.Context, c q, query, id string) (*user.User, error) {
	rows, err := c.QueryContext(ctx, query, id)
	if err != nil {
		return nil, err
	}
	users, err := scanJoinedUsers(rows, 1)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errUserNotFound(id)
	}
	return users[0], nil
}

// joinedIdentifierColumns follow userColumns in a query that LEFT JOINs
// identifiers i to users u (see scanJoinedUsers).
const joinedIdentifierColumns = `i.id, i.kind, i.value, i.reserved, i.verification_status,
	i.verification_strategy, i.data, i.created_at, i.updated_at`

// scanJoinedUsers reads users joined to their identifiers, one row per
// identifier (or one with NULLs for a user without any), each user's
// rows together in identifier order; it closes rows. Every row is
// scanned whole (database/sql allows one Scan a row), and the user
// columns of a row after a user's first are dropped.
func scanJoinedUsers(rows *sql.Rows, capacity int) ([]*user.User, error) {
	defer rows.Close()
	users := make([]*user.User, 0, capacity)
	var u *user.User
	var idnID, kind, value, status, strategy, data sql.NullString
	var reserved sql.NullBool
	var created, updated sql.NullInt64
	idn := rowScanner{rows, []any{&idnID, &kind, &value, &reserved, &status, &strategy, &data, &created, &updated}}
	for rows.Next() {
		got, err := scanUser(idn)
		if err != nil {
			return nil, err
		}
		if u == nil || got.ID != u.ID {
			u = got
			users = append(users, u)
		}
		if idnID.Valid {
			u.Identifiers = append(u.Identifiers, user.Identifier{
				ID: idnID.String, UserID: u.ID, Kind: user.IdentifierKind(kind.String), Value: value.String,
				Reserved: reserved.Bool, VerificationStatus: status.String, VerificationStrategy: strategy.String,
				Data: data.String, CreatedAt: created.Int64, UpdatedAt: updated.Int64,
			})
		}
	}
	return users, rows.Err()
}

// rowScanner scans the user columns plus extra trailing destinations.
type rowScanner struct {
	rows  *sql.Rows
	extra []any
}

func (r rowScanner) Scan(dest ...any) error { return r.rows.Scan(append(dest, r.extra...)...) }

func errUserNotFound(id string) error {
	return errs.ResourceNotFound("not found", "No user was found with id "+id)
}

// loadIdentifiers fills in the identifiers of users with one query.
func (db *DB) loadIdentifiers(ctx context.Context, c q, users []*user.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[string]*user.User, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		byID[u.ID] = u
		args[i] = u.ID
	}
	rows, err := c.QueryContext(ctx, identifiersOfUserSQL+placeholders(len(users))+") ORDER BY seq", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i user.Identifier
		var kind string
		if err := rows.Scan(&i.ID, &i.UserID, &kind, &i.Value, &i.Reserved,
			&i.VerificationStatus, &i.VerificationStrategy, &i.Data, &i.CreatedAt, &i.UpdatedAt); err != nil {
			return err
		}
		i.Kind = user.IdentifierKind(kind)
		if u := byID[i.UserID]; u != nil {
			u.Identifiers = append(u.Identifiers, i)
		}
	}
	return rows.Err()
}

// UpdateUser loads, changes and stores a user in one write transaction.
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*user.User) error) (*user.User, error) {
	var out *user.User
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		u, err := db.userWithIdentifiers(ctx, db.in(tx), selectUserJoinedSQL+db.dialect.forUpdate(), id)
		if err != nil {
			return err
		}
		before := *u
		if err := fn(u); err != nil {
			return err
		}
		args := append(userValues(u)[1:], u.ID)
		if _, err := db.in(tx).ExecContext(ctx, updateUserSQL, args...); err != nil {
			if db.dialect.isUnique(err) {
				return db.userConflict(ctx, tx, u)
			}
			return err
		}
		if searchChanged(&before, u) {
			if err := db.dialect.syncSearch(ctx, db.in(tx), u.ID, newSearchDoc(u), false); err != nil {
				return err
			}
		}
		if u.Banned && !before.Banned {
			// A ban revokes the user's sessions with it: no more tokens.
			if err := db.endSessions(ctx, tx, "user_id = ?", "revoked", u.UpdatedAt, u.ID); err != nil {
				return err
			}
		}
		out = u
		if u.UpdatedAt == before.UpdatedAt {
			return nil // bookkeeping (sign-in counters), not a change to tell of
		}
		// What changed is worked out only for a change someone answers for.
		if _, audited := audit.ActorFrom(ctx); audited {
			action, detail := userChange(&before, u)
			if err := db.record(ctx, tx, action, "user", u.ID, detail); err != nil {
				return err
			}
		}
		return db.emitUser(ctx, tx, webhook.UserUpdated, u)
	})
	return out, err
}

func searchChanged(a, b *user.User) bool {
	return newSearchDoc(a) != newSearchDoc(b)
}

// DeleteUser removes a user; its identifiers go with it (ON DELETE CASCADE).
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.in(tx).ExecContext(ctx, db.dialect.deleteSearch(), id); err != nil {
			return err
		}
		res, err := db.in(tx).ExecContext(ctx, deleteUserSQL, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errUserNotFound(id)
		}
		// Sessions outlive the user row as records, ended.
		if err = db.endSessions(ctx, tx, "user_id = ?", "ended", db.nowMillis(), id); err != nil {
			return err
		}
		if err := db.record(ctx, tx, audit.UserDeleted, "user", id, nil); err != nil {
			return err
		}
		return db.emitUser(ctx, tx, webhook.UserDeleted, &user.User{ID: id})
	})
}
