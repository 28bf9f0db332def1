package main

import (
	"context"
	"os"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// TestMain lets the test binary serve as the benchmark's server process,
// as the built command does.
func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		os.Exit(serveMain())
	}
	dbtest.Main(m)
}

// TestQuick runs the benchmark's quick mode on every engine: every
// workload and ceiling for a fraction of a second against a few hundred
// users. It fails on failed requests, 5xx answers and error lines in the
// server's log, never on speed: speed lives in BENCHMARKS.md.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and seeds databases")
	}
	for _, engine := range dbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			c := ceilingRun{engine: engine, dsn: dbtest.DSN(t, engine), out: t.Output()}.quick()
			if engine == sqlstore.Postgres {
				c.processes = 2 // the read-scaling rows too
			}
			if err := c.check(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
