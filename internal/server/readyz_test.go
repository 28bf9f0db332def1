package server

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/conciergehq/concierge/internal/sqlstore"
)

// TestReadyz: /readyz is 200 while the database has this build's schema,
// and 503 once a newer release has migrated it on, while /healthz (the
// process is alive and the database answers) stays 200.
func TestReadyz(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", check(db.Ping, "ok"))
	mux.Handle("GET /readyz", check(db.Ready, "ready"))
	srv := httptest.NewServer(withRequest(slog.New(slog.DiscardHandler), nil, mux))
	defer srv.Close()
	status := func(p string) int {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if h, r := status("/healthz"), status("/readyz"); h != 200 || r != 200 {
		t.Fatalf("fresh: healthz %d, readyz %d", h, r)
	}
	// A newer release's migration, recorded by another process.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	if h, r := status("/healthz"), status("/readyz"); h != 200 || r != 503 {
		t.Fatalf("schema ahead: healthz %d, readyz %d", h, r)
	}
}
