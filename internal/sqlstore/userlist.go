package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// orderColumns maps Clerk's order_by fields to indexed columns.
var orderColumns = map[string]string{
	user.OrderCreatedAt:    "u.created_at",
	user.OrderUpdatedAt:    "u.updated_at",
	user.OrderEmailAddress: "u.primary_email_address",
	user.OrderWeb3Wallet:   "u.primary_web3_wallet",
	user.OrderFirstName:    "u.first_name",
	user.OrderLastName:     "u.last_name",
	user.OrderPhoneNumber:  "u.primary_phone_number",
	user.OrderUsername:     "u.username",
	user.OrderLastActiveAt: "u.last_active_at",
	user.OrderLastSignInAt: "u.last_sign_in_at",
}

// where builds the WHERE clause (with its keyword, or "" for no filter)
// for f. A search filter may be looked up first.
func (db *DB) where(ctx context.Context, f *user.Filter) (string, []any, error) {
	var conds []string
	var args []any
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	in := func(values []string, norm func(string) string) (string, []any) {
		a := make([]any, len(values))
		for i, v := range values {
			a[i] = norm(v)
		}
		return "(" + placeholders(len(values)) + ")", a
	}
	same := func(s string) string { return s }
	lower := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

	// The identifier lists are one union, as Clerk documents them: a user
	// matches by owning any listed email, phone, wallet or username. Each
	// branch is a lookup on a unique index (identifiers (kind, value),
	// users (username)), so the union stays as small as the values given
	// and no branch scans a table. OR-ing one IN condition per kind
	// instead makes PostgreSQL scan users, testing each row against the
	// hashed subqueries. UNION ALL, not UNION: IN ignores duplicates
	// already, so the union need not sort them out.
	var union []string
	var unionArgs []any
	lists := []struct {
		kind   user.IdentifierKind
		values []string
		norm   func(string) string
	}{
		{user.EmailAddress, f.EmailAddresses, lower},
		{user.PhoneNumber, f.PhoneNumbers, strings.TrimSpace},
		{user.Web3Wallet, f.Web3Wallets, lower},
	}
	for _, l := range lists {
		if len(l.values) == 0 {
			continue
		}
		list, a := in(l.values, l.norm)
		union = append(union, "SELECT user_id FROM identifiers WHERE kind = ? AND value IN "+list)
		unionArgs = append(append(unionArgs, string(l.kind)), a...)
	}
	if len(f.Usernames) > 0 {
		// Usernames live on users, not in identifiers.
		list, a := in(f.Usernames, lower)
		union = append(union, "SELECT id FROM users WHERE username IN "+list)
		unionArgs = append(unionArgs, a...)
	}
	switch {
	case len(unionArgs) == 1:
		// One username: a column of users.
		add("u.username = ?", unionArgs...)
	case len(unionArgs) == 2:
		// One identifier (a lookup by email, the SDKs' commonest): at
		// most one owner, by the unique (kind, value), so a scalar
		// subquery. An IN list costs SQLite two temporary B-trees (the
		// list, then the sort), a third of such a lookup's time.
		add("u.id = (SELECT user_id FROM identifiers WHERE kind = ? AND value = ?)", unionArgs...)
	case len(union) > 0:
		add("u.id IN ("+strings.Join(union, " UNION ALL ")+")", unionArgs...)
	}

	column := func(col string, values []string, norm func(string) string, not bool) {
		if len(values) == 0 {
			return
		}
		list, a := in(values, norm)
		if not {
			// NOT IN must not drop rows whose column is NULL.
			add("("+col+" IS NULL OR "+col+" NOT IN "+list+")", a...)
			return
		}
		add(col+" IN "+list, a...)
	}
	column("u.external_id", f.ExternalIDs, same, false)
	column("u.external_id", f.NotExternalIDs, same, true)
	column("u.id", f.UserIDs, same, false)
	column("u.id", f.NotUserIDs, same, true)
	if len(f.OrganizationIDs) > 0 {
		list, a := in(f.OrganizationIDs, same)
		add("u.id IN (SELECT user_id FROM organization_memberships WHERE organization_id IN "+list+")", a...)
	}
	if len(f.NotOrganizationIDs) > 0 {
		list, a := in(f.NotOrganizationIDs, same)
		add("u.id NOT IN (SELECT user_id FROM organization_memberships WHERE organization_id IN "+list+")", a...)
	}
	if len(f.ProviderUserIDs) > 0 {
		// External accounts are identifiers of kind oauth_<provider>,
		// found by the (kind, value) index.
		provider := f.Provider
		if !strings.HasPrefix(provider, "oauth_") {
			provider = "oauth_" + provider
		}
		list, a := in(f.ProviderUserIDs, same)
		add("u.id IN (SELECT user_id FROM identifiers WHERE kind = ? AND value IN "+list+")", append([]any{provider}, a...)...)
	}

	for _, s := range []struct{ column, q string }{
		{"", f.Query}, {searchEmails, f.EmailAddressQuery}, {searchPhones, f.PhoneNumberQuery},
		{searchUsernames, f.UsernameQuery}, {searchNames, f.NameQuery},
	} {
		if s.q != "" {
			c, a, err := db.dialect.searchCond(ctx, db.reader(), s.column, s.q)
			if err != nil {
				return "", nil, err
			}
			add(c, a...)
		}
	}
	if f.Banned != nil {
		add("u.banned = ?", *f.Banned)
	}
	for _, r := range []struct {
		col string
		op  string
		v   *int64
	}{
		{"u.created_at", "<", f.CreatedBefore}, {"u.created_at", ">", f.CreatedAfter},
		{"u.last_active_at", "<", f.LastActiveBefore}, {"u.last_active_at", ">", f.LastActiveAfter},
		{"u.last_sign_in_at", "<", f.LastSignInBefore}, {"u.last_sign_in_at", ">", f.LastSignInAfter},
	} {
		if r.v != nil {
			add(r.col+" "+r.op+" ?", *r.v)
		}
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	// Everything else narrows the identifier union.
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// userPage is a list query's WHERE clause and its ORDER BY … LIMIT …
// OFFSET tail, with their arguments.
type userPage struct {
	where, order, page string
	args               []any
	limit              int
}

func (db *DB) userPage(ctx context.Context, q user.Query) (userPage, error) {
	col, ok := orderColumns[q.OrderBy]
	if !ok {
		col = orderColumns[user.OrderCreatedAt]
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	where, args, err := db.where(ctx, &q.Filter)
	if err != nil {
		return userPage{}, err
	}
	if q.StartingAfter != "" {
		// Keyset paging on (created_at, seq), in the list's direction;
		// seq (insertion order) breaks ties within a millisecond.
		var at, seq int64
		err := db.reader().QueryRowContext(ctx, "SELECT created_at, seq FROM users WHERE id = ?", q.StartingAfter).Scan(&at, &seq)
		if errors.Is(err, sql.ErrNoRows) {
			return userPage{}, errs.ParamValue("starting_after", q.StartingAfter)
		}
		if err != nil {
			return userPage{}, err
		}
		op := ">"
		if q.Desc {
			op = "<"
		}
		cond := "(u.created_at " + op + " ? OR (u.created_at = ? AND u.seq " + op + " ?))"
		if where == "" {
			where = " WHERE " + cond
		} else {
			where += " AND " + cond
		}
		args = append(args, at, at, seq)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = user.DefaultLimit
	}
	// LIMIT and OFFSET are validated integers written into the text: as
	// parameters, PostgreSQL's generic plan cannot see how few rows are
	// wanted and sorts the whole table instead of walking an index.
	order := col + dir + ", u.seq" + dir
	page := " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(q.Offset, 0))
	return userPage{where: where, order: order, page: page, args: args, limit: limit}, nil
}

// ListUsers returns one page of users, with their identifiers loaded in a
// single second query.
func (db *DB) ListUsers(ctx context.Context, q user.Query) ([]*user.User, error) {
	p, err := db.userPage(ctx, q)
	if err != nil {
		return nil, err
	}
	if db.dialect.name() == Postgres {
		// One statement, one round trip: the page chosen in a subquery
		// and joined to its identifiers. A second query for the
		// identifiers of the page's IDs doubled the latency of a lookup
		// by email. (On SQLite there is no round trip to save, and
		// sorting the joined rows cost more than the second query.)
		rows, err := db.reader().QueryContext(ctx, "SELECT "+userColumns+", "+joinedIdentifierColumns+
			" FROM (SELECT * FROM users u"+p.where+p.page+") u LEFT JOIN identifiers i ON i.user_id = u.id ORDER BY "+p.order+", i.seq", p.args...)
		if err != nil {
			return nil, err
		}
		return scanJoinedUsers(rows, p.limit)
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+userColumns+" FROM users u"+p.where+p.page, p.args...)
	if err != nil {
		return nil, err
	}
	return db.withIdentifiers(ctx, rows, p.limit)
}

// withIdentifiers scans users from rows (which it closes) and loads their
// identifiers with one second query.
func (db *DB) withIdentifiers(ctx context.Context, rows *sql.Rows, capacity int) ([]*user.User, error) {
	defer rows.Close()
	users := make([]*user.User, 0, capacity)
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := db.loadIdentifiers(ctx, db.reader(), users); err != nil {
		return nil, err
	}
	return users, nil
}

// CountUsers counts users matching f.
func (db *DB) CountUsers(ctx context.Context, f user.Filter) (int64, error) {
	where, args, err := db.where(ctx, &f)
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM users u"+where, args...).Scan(&n)
	return n, err
}
