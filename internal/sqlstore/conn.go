package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
)

// maxCachedStmts bounds each statement cache. List queries vary with their
// filters; past the bound, new texts simply run unprepared.
const maxCachedStmts = 2000

// stmtCache prepares each distinct query text once per pool. Preparing
// (parsing and planning) was a fifth of the CPU of a get-by-id on SQLite.
//
// The write cache is filled once, at start, with the statements write
// transactions use: preparing on the write pool needs a free connection,
// and on SQLite its only connection is held by the running transaction.
// A statement missing from it runs unprepared.
type stmtCache struct {
	pool   *sql.DB
	frozen bool
	mu     sync.RWMutex
	m      map[string]*sql.Stmt
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil when the cache is
// full (the caller then runs the text directly).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil || c.frozen {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// preload prepares queries (written with "?") and then freezes the cache.
func (c *stmtCache) preload(ctx context.Context, d dialect, queries []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, text := range queries {
		text = d.rebind(text)
		if c.m[text] != nil {
			continue
		}
		st, err := c.pool.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", text, err)
		}
		c.m[text] = st
	}
	c.frozen = true
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// q runs store SQL either inside a write transaction or on the read pool.
// Queries are written with "?" placeholders, rebound for the engine, and
// prepared once, except those the dialect plans at every run with their
// values (see planPerRun).
type q struct {
	db *DB
	tx *sql.Tx
}

// reader returns a q on the read pool.
func (db *DB) reader() q { return q{db: db} }

// in returns a q inside tx.
func (db *DB) in(tx *sql.Tx) q { return q{db: db, tx: tx} }

func (c q) stmt(ctx context.Context, query string) (*sql.Stmt, string, error) {
	query = c.db.dialect.rebind(query)
	cache := c.db.readStmts
	if c.tx != nil {
		cache = c.db.writeStmts
	}
	st, err := cache.get(ctx, query)
	if err != nil || st == nil {
		return nil, query, err
	}
	if c.tx != nil {
		// Bound to the transaction's connection; the transaction closes
		// it when it ends.
		st = c.tx.StmtContext(ctx, st)
	}
	return st, query, nil
}

// ExecContext runs a statement.
func (c q) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if opt := c.db.dialect.planPerRun(query); opt != nil {
		query, args = c.db.dialect.rebind(query), append(opt, args...)
		if c.tx != nil {
			return c.tx.ExecContext(ctx, query, args...)
		}
		return c.db.write.ExecContext(ctx, query, args...)
	}
	st, text, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	if c.tx != nil {
		return c.tx.ExecContext(ctx, text, args...)
	}
	return c.db.write.ExecContext(ctx, text, args...)
}

// badConnRetries is how many more times a read is tried on the read pool
// after database/sql gave up with driver.ErrBadConn.
const badConnRetries = 3

// QueryContext runs a query. On the read pool a query that database/sql
// answers with driver.ErrBadConn is tried again: when clients hang up
// together (a load balancer dropping its connections), every connection
// of a full pool can be closing at once, database/sql's own retries are
// handed the same dying connections, and a request from a client still
// there was answered 503. A read can always be tried again.
func (c q) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	for attempt := 0; ; attempt++ {
		rows, err := c.query(ctx, query, args...)
		if err == nil || c.tx != nil || attempt == badConnRetries || ctx.Err() != nil || !errors.Is(err, driver.ErrBadConn) {
			return rows, err
		}
	}
}

func (c q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if opt := c.db.dialect.planPerRun(query); opt != nil {
		query, args = c.db.dialect.rebind(query), append(opt, args...)
		if c.tx != nil {
			return c.tx.QueryContext(ctx, query, args...)
		}
		return c.db.read.QueryContext(ctx, query, args...)
	}
	st, text, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	if c.tx != nil {
		return c.tx.QueryContext(ctx, text, args...)
	}
	return c.db.read.QueryContext(ctx, text, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (c q) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	rows, err := c.QueryContext(ctx, query, args...)
	return &row{rows: rows, err: err}
}

// row mirrors *sql.Row for q: Scan reports sql.ErrNoRows when empty.
type row struct {
	rows *sql.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}
