package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/user"
)

// Search columns, shared by both engines' search tables.
const (
	searchIDs       = "ids"
	searchEmails    = "emails"
	searchPhones    = "phones"
	searchUsernames = "usernames"
	searchNames     = "names"
)

// allSearchColumns is every column ?query= looks in.
var allSearchColumns = []string{searchIDs, searchEmails, searchPhones, searchUsernames, "web3", searchNames}

// searchDoc is what the search index holds for one user. Values in one
// column are joined by newlines, which no search term contains, so a
// match never spans two values.
type searchDoc struct {
	ids, emails, phones, usernames, web3, names string
}

func newSearchDoc(u *user.User) searchDoc {
	var emails, phones, web3 []string
	for _, i := range u.Identifiers {
		switch i.Kind {
		case user.EmailAddress:
			emails = append(emails, i.Value)
		case user.PhoneNumber:
			phones = append(phones, i.Value)
		case user.Web3Wallet:
			web3 = append(web3, i.Value)
		}
	}
	d := searchDoc{
		ids:    u.ID,
		emails: strings.Join(emails, "\n"),
		phones: strings.Join(phones, "\n"),
		web3:   strings.Join(web3, "\n"),
	}
	if u.ExternalID != nil {
		d.ids += "\n" + *u.ExternalID
	}
	if u.Username != nil {
		d.usernames = *u.Username
	}
	var name []string
	if u.FirstName != nil && *u.FirstName != "" {
		name = append(name, *u.FirstName)
	}
	if u.LastName != nil && *u.LastName != "" {
		name = append(name, *u.LastName)
	}
	d.names = strings.Join(name, " ")
	return d
}

// likePattern escapes LIKE wildcards in q and wraps it in %…%.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// trigramable reports whether q is long enough for a trigram index.
func trigramable(q string) bool { return utf8.RuneCountInString(q) >= 3 }

func (sqliteDialect) syncSearch(ctx context.Context, c q, userID string, d searchDoc, fresh bool) error {
	if !fresh {
		if _, err := c.ExecContext(ctx, sqliteDeleteSearchSQL, userID); err != nil {
			return err
		}
	}
	_, err := c.ExecContext(ctx, sqliteInsertSearchSQL, d.ids, d.emails, d.phones, d.usernames, d.web3, d.names, userID)
	return err
}

const (
	sqliteDeleteSearchSQL = "DELETE FROM user_search WHERE rowid = (SELECT seq FROM users WHERE id = ?)"
	sqliteInsertSearchSQL = `INSERT INTO user_search (rowid, ids, emails, phones, usernames, web3, names)
		SELECT seq, ?, ?, ?, ?, ?, ? FROM users WHERE id = ?`
	postgresUpsertSearchSQL = `INSERT INTO user_search (user_id, ids, emails, phones, usernames, web3, names, all_text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET ids = excluded.ids, emails = excluded.emails,
		  phones = excluded.phones, usernames = excluded.usernames, web3 = excluded.web3,
		  names = excluded.names, all_text = excluded.all_text`
)

// sqliteOptimizeSearchSQL merges the FTS5 index's segments into one: a
// search reads each term's doclist in every segment, so after a bulk load
// (a segment per committed batch, merged only a few at a time) a merged
// index answers a ?query= with a third less CPU.
const sqliteOptimizeSearchSQL = "INSERT INTO user_search (user_search) VALUES ('optimize')"

func (sqliteDialect) deleteSearch() string { return sqliteDeleteSearchSQL }

func (sqliteDialect) searchStatements() []string {
	return []string{sqliteDeleteSearchSQL, sqliteInsertSearchSQL}
}

func (postgresDialect) searchStatements() []string { return []string{postgresUpsertSearchSQL} }

// searchCond on SQLite uses FTS5 MATCH with a quoted phrase, which the
// trigram tokenizer turns into a substring match; shorter terms fall back
// to LIKE over the search table, which scans it.
func (sqliteDialect) searchCond(_ context.Context, _ q, column, term string) (string, []any, error) {
	if trigramable(term) {
		phrase := `"` + strings.ReplaceAll(term, `"`, `""`) + `"`
		if column != "" {
			phrase = "{" + column + "} : " + phrase
		}
		return "u.seq IN (SELECT rowid FROM user_search WHERE user_search MATCH ?)", []any{phrase}, nil
	}
	cols := []string{column}
	if column == "" {
		cols = allSearchColumns
	}
	conds := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		conds[i] = c + ` LIKE ? ESCAPE '\'`
		args[i] = likePattern(term)
	}
	return "u.seq IN (SELECT rowid FROM user_search WHERE " + strings.Join(conds, " OR ") + ")", args, nil
}

func (postgresDialect) syncSearch(ctx context.Context, c q, userID string, d searchDoc, _ bool) error {
	_, err := c.ExecContext(ctx, postgresUpsertSearchSQL, postgresSearchValues(userID, d)...)
	return err
}

// postgresSearchValues are the arguments of postgresUpsertSearchSQL.
func postgresSearchValues(userID string, d searchDoc) []any {
	all := strings.Join([]string{d.ids, d.emails, d.phones, d.usernames, d.web3, d.names}, "\n")
	return []any{userID, d.ids, d.emails, d.phones, d.usernames, d.web3, d.names, all}
}

func (postgresDialect) deleteSearch() string { return "DELETE FROM user_search WHERE user_id = ?" }

// searchFew is how many matches PostgreSQL's search looks up through the
// trigram index before it leaves the plan to the planner. Up to this many
// are cheap to fetch by ID and sort; past it, walking the list's order
// index meets a page's worth of matches within limit×users/searchFew rows.
const searchFew = 1000

// searchCond on PostgreSQL uses ILIKE, which pg_trgm's GIN indexes serve
// for terms of three characters or more.
//
// The planner cannot tell how many users a term matches (it guesses from
// the pattern's length), and a wrong guess is costly either way: for a
// term matching a few dozen users it may walk the created_at index over
// half the table, testing each row (hill529: 470,000 rows, 2.4 s), and
// for one matching most users it may fetch them all through the index
// to sort them. So a trigramable term's matches are looked up first,
// bounded: if there are few, the condition is their IDs (an index lookup
// each); if many, the planner's guess of "many" is right, and the
// ordered walk it then chooses meets matches often.
func (postgresDialect) searchCond(ctx context.Context, c q, column, term string) (string, []any, error) {
	if column == "" || column == "web3" {
		column = "all_text"
	}
	pattern := likePattern(term)
	cond := "u.id IN (SELECT user_id FROM user_search WHERE " + column + ` ILIKE ? ESCAPE '\')`
	if !trigramable(term) {
		return cond, []any{pattern}, nil
	}
	rows, err := c.QueryContext(ctx, "SELECT user_id FROM user_search WHERE "+column+` ILIKE ? ESCAPE '\' LIMIT `+strconv.Itoa(searchFew+1), pattern)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	ids := make([]string, 0, 16)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(ids) > searchFew {
		return cond, []any{pattern}, nil
	}
	return "u.id = ANY(?)", []any{ids}, nil
}
