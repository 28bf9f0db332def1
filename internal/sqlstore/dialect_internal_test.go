package sqlstore

import (
	"context"
	"testing"
)

// TestPlanPerRun: on PostgreSQL a query with a pattern match (a search)
// carries the driver option that plans it with its values at every run,
// while a keyed lookup or a write is prepared and may get a generic plan;
// SQLite prepares everything.
func TestPlanPerRun(t *testing.T) {
	pg, lite := postgresDialect{}, sqliteDialect{}
	// Too short for trigrams: the condition is the pattern match itself,
	// made without a lookup (so without a database).
	search, _, err := pg.searchCond(context.Background(), q{}, "", "ad")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		query   string
		perRun  bool
		comment string
	}{
		{selectUserJoinedSQL, false, "get by ID"},
		{insertUserSQL, false, "create"},
		{"SELECT u.id FROM users u WHERE " + search, true, "?query="},
		{`SELECT id FROM invitations WHERE email_address LIKE ? ESCAPE '\'`, true, "a LIKE filter"},
	} {
		if got := pg.planPerRun(c.query) != nil; got != c.perRun {
			t.Errorf("postgres, %s: planned per run %v, want %v", c.comment, got, c.perRun)
		}
		if lite.planPerRun(c.query) != nil {
			t.Errorf("sqlite, %s: planned per run", c.comment)
		}
	}
}
