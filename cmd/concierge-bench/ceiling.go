package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// The ceilings are what this machine does without Concierge: bare
// net/http handlers that answer with Concierge's own JSON, on the same
// database driver, pragmas and pool shapes as the store (sqlstore's own
// open functions, so that they cannot drift), measured by the same client
// with the same connections for the same time as the workloads.
//
//	/json       (a) the user JSON, nothing else
//	/read/{id}  (b) one primary-key read, then the user JSON
//	/list       one read of 100 rows in created_at order, then a page of 100
//	/insert     (c) the JSON body decoded, one single-row insert, the user JSON
//	/bcrypt     (d) one bcrypt comparison at the configured cost, the user JSON

// ceilingTable holds one row per seeded user, keyed by the same IDs; its
// columns are a user's scalar fields, so a read is a row of similar size.
const ceilingTable = "bench_ceiling"

// ceilingPools opens the ceiling's database as the store opens its own:
// on SQLite a file of its own beside Concierge's, on PostgreSQL the same
// database (its tables have their own names).
func ceilingPools(engine, dsn string, o sqlstore.Options) (write, read *sql.DB, err error) {
	if engine == sqlstore.Postgres {
		p, err := sqlstore.OpenPostgresPool(dsn)
		return p, p, err
	}
	return sqlstore.OpenSQLitePools(dsn, o)
}

// ceilingDSN is where the ceiling's tables live for Concierge's dsn.
func ceilingDSN(engine, dsn string) string {
	if engine == sqlstore.Postgres {
		return dsn
	}
	return dsn + ".ceiling"
}

// seedCeiling (re)creates the ceiling's tables with one row per ID.
func seedCeiling(ctx context.Context, engine, dsn string, ids []string) error {
	if engine == sqlstore.SQLite {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(dsn + suffix)
		}
	}
	write, read, err := ceilingPools(engine, dsn, sqlstore.Options{Synchronous: "normal"})
	if err != nil {
		return err
	}
	defer write.Close()
	if read != write {
		defer read.Close()
	}
	for _, stmt := range []string{
		"DROP TABLE IF EXISTS " + ceilingTable,
		"DROP TABLE IF EXISTS " + ceilingTable + "_ins",
		"CREATE TABLE " + ceilingTable + " (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
		"CREATE INDEX " + ceilingTable + "_created ON " + ceilingTable + " (created_at)",
		"CREATE TABLE " + ceilingTable + "_ins (id TEXT PRIMARY KEY, first_name TEXT, email TEXT NOT NULL, created_at BIGINT NOT NULL)",
	} {
		if _, err := write.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("ceiling: %s: %w", stmt, err)
		}
	}
	ph := func(i int) string {
		if engine == sqlstore.Postgres {
			return fmt.Sprintf("$%d", i)
		}
		return "?"
	}
	const batch = 500
	for lo := 0; lo < len(ids); lo += batch {
		hi := min(lo+batch, len(ids))
		var b strings.Builder
		args := make([]any, 0, 6*(hi-lo))
		b.WriteString("INSERT INTO " + ceilingTable + " (id, first_name, last_name, email, created_at, updated_at) VALUES ")
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteString(",")
			}
			k := len(args)
			fmt.Fprintf(&b, "(%s,%s,%s,%s,%s,%s)", ph(k+1), ph(k+2), ph(k+3), ph(k+4), ph(k+5), ph(k+6))
			first, last, email := person(i)
			ms := int64(1_700_000_000_000 + i*1000)
			args = append(args, ids[i], first, last, email, ms, ms)
		}
		if _, err := write.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("ceiling: seed: %w", err)
		}
	}
	if engine == sqlstore.Postgres {
		_, err = write.ExecContext(ctx, "ANALYZE "+ceilingTable)
	}
	return err
}

// ceiling serves the ceilings' handlers; userJSON and pageJSON are what
// Concierge answered for a seeded user and for a page of 100.
type ceiling struct {
	write, read        *sql.DB
	get, list, insert  *sql.Stmt
	userJSON, pageJSON []byte
	digest             []byte
	password           string
}

func newCeiling(ctx context.Context, engine, dsn string, o sqlstore.Options, cost int, userJSON, pageJSON []byte) (*ceiling, error) {
	write, read, err := ceilingPools(engine, dsn, o)
	if err != nil {
		return nil, err
	}
	c := &ceiling{write: write, read: read, userJSON: userJSON, pageJSON: pageJSON, password: benchPassword}
	if c.digest, err = bcrypt.GenerateFromPassword([]byte(c.password), cost); err != nil {
		return nil, err
	}
	q := func(s string) string {
		if engine != sqlstore.Postgres {
			return s
		}
		for i := 1; strings.Contains(s, "?"); i++ {
			s = strings.Replace(s, "?", fmt.Sprintf("$%d", i), 1)
		}
		return s
	}
	// Prepared once, as the store prepares its statements.
	for _, p := range []struct {
		st   **sql.Stmt
		pool *sql.DB
		text string
	}{
		{&c.get, read, "SELECT first_name, last_name, email, created_at, updated_at FROM " + ceilingTable + " WHERE id = ?"},
		{&c.list, read, "SELECT id, first_name, last_name, email, created_at, updated_at FROM " + ceilingTable + " ORDER BY created_at DESC LIMIT 100"},
		{&c.insert, write, "INSERT INTO " + ceilingTable + "_ins (id, first_name, email, created_at) VALUES (?, ?, ?, ?)"},
	} {
		if *p.st, err = p.pool.PrepareContext(ctx, q(p.text)); err != nil {
			c.close()
			return nil, fmt.Errorf("ceiling: prepare: %w", err)
		}
	}
	return c, nil
}

func (c *ceiling) close() {
	for _, st := range []*sql.Stmt{c.get, c.list, c.insert} {
		if st != nil {
			st.Close()
		}
	}
	c.write.Close()
	if c.read != c.write {
		c.read.Close()
	}
}

func (c *ceiling) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) { c.answer(w, c.userJSON) })
	mux.HandleFunc("GET /read/{id}", func(w http.ResponseWriter, r *http.Request) {
		var first, last, email sql.NullString
		var created, updated int64
		err := c.get.QueryRowContext(r.Context(), r.PathValue("id")).Scan(&first, &last, &email, &created, &updated)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		c.answer(w, c.userJSON)
	})
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		rows, err := c.list.QueryContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		var idv, first, last, email sql.NullString
		var created, updated int64
		for rows.Next() {
			if err := rows.Scan(&idv, &first, &last, &email, &created, &updated); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		c.answer(w, c.pageJSON)
	})
	mux.HandleFunc("POST /insert", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Email     []string `json:"email_address"`
			FirstName string   `json:"first_name"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.Email) == 0 {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		now := time.Now()
		if _, err := c.insert.ExecContext(r.Context(), id.NewAt(id.User, now), body.FirstName, body.Email[0], now.UnixMilli()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		c.answer(w, c.userJSON)
	})
	mux.HandleFunc("POST /bcrypt", func(w http.ResponseWriter, r *http.Request) {
		if err := bcrypt.CompareHashAndPassword(c.digest, []byte(r.FormValue("password"))); err != nil {
			http.Error(w, "wrong password", http.StatusUnprocessableEntity)
			return
		}
		c.answer(w, c.userJSON)
	})
	return mux
}

func (c *ceiling) answer(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
