// Package dbtest opens throwaway databases for tests: a fresh SQLite file
// per test, and on PostgreSQL a fresh database per test run with a fresh
// schema per test. PostgreSQL runs when CONCIERGE_TEST_POSTGRES is set to
// a server URL (or to 1 for postgres://postgres@127.0.0.1:5432/postgres).
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// EnvVar names the variable that turns on the PostgreSQL runs.
const EnvVar = "CONCIERGE_TEST_POSTGRES"

const defaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func serverURL() string {
	v := os.Getenv(EnvVar)
	if v == "1" || v == "true" {
		return defaultServer
	}
	return v
}

// Engines lists the engines tests run on.
func Engines() []string {
	if serverURL() != "" {
		return []string{sqlstore.SQLite, sqlstore.Postgres}
	}
	return []string{sqlstore.SQLite}
}

var (
	runOnce sync.Once
	runDB   string // URL of this run's database
	runErr  error
	runName string
)

// Main runs the package's tests and then drops the run's PostgreSQL
// database, if one was made, and calls after (clean-ups of what the
// package's tests shared). Call it from TestMain.
func Main(m *testing.M, after ...func()) {
	if serverURL() == "" {
		fmt.Println("dbtest: " + EnvVar + " is not set: running on SQLite only")
	}
	code := m.Run()
	for _, f := range after {
		f()
	}
	if runName != "" {
		if admin, err := sql.Open("pgx", serverURL()); err == nil {
			admin.Exec("DROP DATABASE IF EXISTS " + runName + " WITH (FORCE)")
			admin.Close()
		}
	}
	os.Exit(code)
}

// runDatabase creates this run's PostgreSQL database once, with pg_trgm
// installed so each test's schema can use it.
func runDatabase() (string, error) {
	runOnce.Do(func() {
		admin, err := sql.Open("pgx", serverURL())
		if err != nil {
			runErr = err
			return
		}
		defer admin.Close()
		name := "concierge_test_" + strings.ToLower(id.Random(10))
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			runErr = fmt.Errorf("create database: %w", err)
			return
		}
		runName = name
		u, _ := url.Parse(serverURL())
		u.Path = "/" + name
		runDB = u.String()
		db, err := sql.Open("pgx", runDB)
		if err != nil {
			runErr = err
			return
		}
		defer db.Close()
		if _, err := db.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
			runErr = fmt.Errorf("create extension pg_trgm: %w", err)
		}
	})
	return runDB, runErr
}

// DSN returns a CONCIERGE_DATABASE value for a fresh, empty database of
// the engine, removed when the test ends.
func DSN(tb testing.TB, engine string) string {
	tb.Helper()
	if engine == sqlstore.SQLite {
		return filepath.Join(tb.TempDir(), "concierge.db")
	}
	base, err := runDatabase()
	if err != nil {
		tb.Fatalf("dbtest: postgres: %v", err)
	}
	schema := "t_" + strings.ToLower(id.Random(12))
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("dbtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh, migrated database of the engine.
func Open(tb testing.TB, engine string) *sqlstore.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlstore.Open(ctx, DSN(tb, engine))
	if err != nil {
		tb.Fatalf("dbtest: open %s: %v", engine, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// ForEach runs fn as a subtest on every engine. Without PostgreSQL the
// postgres subtest is reported as skipped, so "go test -v" says so.
func ForEach(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(e, func(t *testing.T) {
			if e == sqlstore.Postgres && serverURL() == "" {
				t.Skip(EnvVar + " is not set: PostgreSQL not tested")
			}
			fn(t, e)
		})
	}
}
