package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/user"
)

// TestIdentifierUnionUsesIndexes runs a list and a count filtered by all
// four identifier kinds plus narrowing filters, then asks SQLite for the
// plan of the very texts that ran (kept in the statement cache): each
// branch of the union must be an index search, and nothing may scan a
// table. PostgreSQL is left out: its choice follows table statistics, and
// a test's near-empty tables are cheapest to scan.
func TestIdentifierUnionUsesIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	banned := true
	f := user.Filter{
		EmailAddresses: []string{"a@example.com", "b@example.com"}, PhoneNumbers: []string{"+14155552671"},
		Usernames: []string{"someone"}, Web3Wallets: []string{"0x52908400098527886e0f7030069857d2e4169ee7"},
		NotUserIDs: []string{"user_x"}, Banned: &banned,
	}
	if _, err := db.ListUsers(ctx, user.Query{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CountUsers(ctx, f); err != nil {
		t.Fatal(err)
	}
	var texts []string
	db.readStmts.mu.RLock()
	for text := range db.readStmts.m {
		if strings.Contains(text, "UNION ALL") {
			texts = append(texts, text)
		}
	}
	db.readStmts.mu.RUnlock()
	if len(texts) != 2 {
		t.Fatalf("want the list and the count text in the statement cache, got %q", texts)
	}
	for _, text := range texts {
		args := make([]any, strings.Count(text, "?"))
		for i := range args {
			args[i] = "x"
		}
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+text, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "\n")
		if strings.Contains(joined, "SCAN ") ||
			strings.Count(joined, "SEARCH identifiers USING INDEX") != 3 ||
			!strings.Contains(joined, "SEARCH users USING INDEX") || !strings.Contains(joined, "SEARCH u USING") {
			t.Errorf("%s\nplan:\n%s\nwant index searches only", text, joined)
		}
	}
}
