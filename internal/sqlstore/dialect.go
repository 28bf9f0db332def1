package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what differs between the engines. SQL is written once with
// "?" placeholders and rebound for PostgreSQL.
type dialect interface {
	name() string
	// rebind turns "?" placeholders into the engine's own.
	rebind(q string) string
	// isUnique reports whether err is a unique-constraint violation,
	// judged by the driver's error code.
	isUnique(err error) bool
	// isForeignKey reports whether err is a foreign-key violation: a
	// row referred to was deleted meanwhile.
	isForeignKey(err error) bool
	// forUpdate is appended to a SELECT that a transaction will update.
	forUpdate() string
	// lockRows is appended to a single-table SELECT that a transaction
	// will update; skipLocked to one that claims rows other processes
	// may be claiming at once. SQLite has one writer, so needs neither.
	lockRows() string
	skipLocked() string
	// migrationLock serialises migrations across processes.
	migrationLock() string
	// searchCond returns a condition on users (aliased u) matching users
	// whose column (one of searchColumns, or "" for all) contains term.
	// It may look the matches up first, through c.
	searchCond(ctx context.Context, c q, column, term string) (string, []any, error)
	// syncSearch writes the search row of a user; fresh says the user
	// was just created, so there is no old row to replace.
	syncSearch(ctx context.Context, c q, userID string, d searchDoc, fresh bool) error
	// searchStatements lists the SQL syncSearch runs, for preparing.
	searchStatements() []string
	// deleteSearch removes the search row of a user.
	deleteSearch() string
	// planPerRun returns, for a query whose best plan depends on its
	// values, the driver options that make the engine plan it with them
	// at every run; nil for a query that is prepared once and reused.
	planPerRun(query string) []any
}

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return SQLite }
func (sqliteDialect) rebind(q string) string { return q }
func (sqliteDialect) forUpdate() string      { return "" }
func (sqliteDialect) migrationLock() string  { return "" }
func (sqliteDialect) lockRows() string       { return "" }
func (sqliteDialect) skipLocked() string     { return "" }

// SQLite plans a prepared statement with the values bound at each step.
func (sqliteDialect) planPerRun(string) []any { return nil }

func (sqliteDialect) isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	c := e.Code()
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (sqliteDialect) isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

type postgresDialect struct{}

func (postgresDialect) name() string { return Postgres }

// forUpdate locks the user row only: PostgreSQL cannot lock the nullable
// side of the outer join that reads a user with its identifiers.
func (postgresDialect) forUpdate() string  { return " FOR UPDATE OF u" }
func (postgresDialect) lockRows() string   { return " FOR UPDATE" }
func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// A fixed key for pg_advisory_xact_lock: "conc" in ASCII.
func (postgresDialect) migrationLock() string { return "SELECT pg_advisory_xact_lock(1668247139)" }

func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// planPerRun: a prepared statement gets a generic plan after five runs
// when PostgreSQL guesses that one is as cheap; that is right for keyed
// lookups, whose plan is the same for every value (and saves planning,
// which cost 0.7–0.9 ms of a 0.1 ms lookup by email), and wrong for a
// pattern match, whose selectivity only its pattern tells: a generic plan
// for ?query= walked the created_at index over 1M users (2 s instead of
// 4 ms). So a query with LIKE or ILIKE runs as an unnamed statement, which
// PostgreSQL plans with its parameters every time, in the same single
// round trip (its description is cached by the driver).
func (postgresDialect) planPerRun(query string) []any {
	if strings.Contains(query, "LIKE") {
		return []any{pgx.QueryExecModeCacheDescribe}
	}
	return nil
}

func (postgresDialect) isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (postgresDialect) isForeignKey(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}
