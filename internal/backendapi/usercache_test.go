package backendapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/conciergehq/concierge/internal/app"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// withUserCache sets Options.UserCache (negative: no cache).
func withUserCache(n int64) envOption {
	return func(c *envConfig) { c.opts.UserCache = n }
}

// TestUserJSONKeptNeverStale: the Backend API's kept user JSON is served
// only at the revision it was rendered at. After every kind of change —
// through the API, and straight in the database as another process or an
// operator's SQL would make it — a get and each kind of list through the
// caching server answer byte for byte what a server on the same database
// with no cache answers; and the cache did serve (hits counted).
func TestUserJSONKeptNeverStale(t *testing.T) {
	for _, via := range []string{"revisions", "direct", ""} {
		t.Run("via="+via, func(t *testing.T) { testUserJSONKept(t, via) })
	}
}

func testUserJSONKept(t *testing.T, via string) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withApp(func(a *app.App) { a.API.UserListVia = via }))
		plain := newEnv(t, engine, withDSN(e.dsn), withUserCache(-1), withoutDispatcher())
		direct := openRaw(t, engine, e.dsn)

		status, body := e.do("POST", "/v1/users", map[string]any{"email_address": []string{"kept@example.com"},
			"first_name": "Kept", "username": "kept_user", "skip_password_requirement": true})
		if status != http.StatusOK {
			t.Fatalf("create: %d %s", status, body)
		}
		var created struct {
			ID             string `json:"id"`
			EmailAddresses []struct {
				ID string `json:"id"`
			} `json:"email_addresses"`
		}
		json.Unmarshal(body, &created)
		id := created.ID
		other := e.call("POST", "/v1/users", map[string]any{"email_address": []string{"other@example.com"}, "skip_password_requirement": true}, http.StatusOK)["id"].(string)

		reads := []string{
			"/v1/users/" + id,
			"/v1/users?limit=10",
			"/v1/users?email_address=kept@example.com",
			"/v1/users?email_address=KEPT@example.com&limit=1",
			"/v1/users?email_address=second@example.com&order_by=-created_at",
			"/v1/users?user_id=" + id + "&user_id=" + other,
			"/v1/users?query=kept&order_by=-created_at",
			"/v1/users?username=kept_user",
			"/v1/users?username=renamed_elsewhere&order_by=-updated_at",
		}
		same := func(step string) {
			t.Helper()
			// The first read may fill the cache, the next are served
			// from it; left to choose, lists go by revisions once most
			// of what they list is kept (after six pages all kept).
			rounds := 2
			if via == "" {
				rounds = 8
			}
			for range rounds {
				for _, path := range reads {
					gs, got := e.do("GET", path, nil)
					ws, want := plain.do("GET", path, nil)
					// The placeholder image URLs name each server.
					want = bytes.ReplaceAll(want, []byte(plain.url), []byte(e.url))
					if gs != ws || !bytes.Equal(got, want) {
						t.Fatalf("after %s, GET %s:\ncached server %d %s\nplain server  %d %s", step, path, gs, got, ws, want)
					}
				}
			}
		}
		same("create")
		hits := e.app.API.UserJSON.Stats().Hits
		if hits == 0 {
			t.Fatal("no read was served from the cache")
		}

		var emailID string
		steps := []struct {
			name string
			do   func()
		}{
			{"an update", func() { e.call("PATCH", "/v1/users/"+id, map[string]any{"last_name": "Copy"}, http.StatusOK) }},
			{"a metadata merge", func() {
				e.call("PATCH", "/v1/users/"+id+"/metadata", map[string]any{"public_metadata": map[string]any{"plan": "pro"}}, http.StatusOK)
			}},
			{"an email address added", func() {
				emailID = e.call("POST", "/v1/email_addresses", map[string]any{"user_id": id, "email_address": "second@example.com", "verified": false}, http.StatusOK)["id"].(string)
			}},
			{"an email address verified", func() {
				e.call("PATCH", "/v1/email_addresses/"+emailID, map[string]any{"verified": true}, http.StatusOK)
			}},
			{"a primary email address changed", func() {
				e.call("PATCH", "/v1/email_addresses/"+emailID, map[string]any{"primary": true}, http.StatusOK)
			}},
			{"an email address removed", func() {
				e.call("DELETE", "/v1/email_addresses/"+created.EmailAddresses[0].ID, nil, http.StatusOK)
			}},
			{"the removed address given to another user", func() {
				e.call("POST", "/v1/email_addresses", map[string]any{"user_id": other, "email_address": "kept@example.com", "verified": true}, http.StatusOK)
			}},
			{"a username given up and taken by another user", func() {
				e.call("PATCH", "/v1/users/"+id, map[string]any{"username": "kept_user_2"}, http.StatusOK)
				e.call("PATCH", "/v1/users/"+other, map[string]any{"username": "kept_user"}, http.StatusOK)
			}},
			{"a ban", func() { e.call("POST", "/v1/users/"+id+"/ban", nil, http.StatusOK) }},
			{"an unban", func() { e.call("POST", "/v1/users/"+id+"/unban", nil, http.StatusOK) }},
			{"an update through the other server", func() {
				plain.call("PATCH", "/v1/users/"+id, map[string]any{"username": "renamed_elsewhere"}, http.StatusOK)
			}},
			{"a username changed in the database", func() {
				sqlExec(t, direct, engine, "UPDATE users SET username = 'straight_user' WHERE id = ?", id)
			}},
			{"a user row changed in the database", func() {
				sqlExec(t, direct, engine, "UPDATE users SET first_name = 'Straight', last_active_at = 1234 WHERE id = ?", id)
			}},
			{"an identifier changed in the database", func() {
				sqlExec(t, direct, engine, "UPDATE identifiers SET verification_status = 'unverified' WHERE id = ?", emailID)
			}},
			{"an identifier removed in the database", func() {
				sqlExec(t, direct, engine, "DELETE FROM identifiers WHERE user_id = ? AND id <> ?", other, "none")
			}},
			{"a user deleted", func() { e.call("DELETE", "/v1/users/"+other, nil, http.StatusOK) }},
		}
		for _, s := range steps {
			s.do()
			same(s.name)
		}
		if e.app.API.UserJSON.Stats().Hits <= hits {
			t.Fatal("the cache served nothing after the first step")
		}
		// And /metrics says so.
		res, err := http.Get(e.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		scraped, _ := io.ReadAll(res.Body)
		res.Body.Close()
		st := e.app.API.UserJSON.Stats()
		for _, want := range []string{
			fmt.Sprintf("concierge_user_cache_entries %d\n", st.Entries),
			fmt.Sprintf("concierge_user_cache_bytes %d\n", st.Bytes),
			`concierge_user_cache_reads_total{outcome="hit"} `,
		} {
			if !bytes.Contains(scraped, []byte(want)) {
				t.Fatalf("/metrics lacks %q", want)
			}
		}
		if status, body := e.do("GET", "/v1/users/"+other, nil); status != http.StatusNotFound {
			t.Fatalf("deleted user: %d %s", status, body)
		}
	})
}

// TestUserJSONRunningLockout: a user locked out for a while shows the
// seconds left as they run down; such a rendering is not kept.
func TestUserJSONRunningLockout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		direct := openRaw(t, engine, e.dsn)
		id := e.call("POST", "/v1/users", map[string]any{"email_address": []string{"locked@example.com"}, "skip_password_requirement": true}, http.StatusOK)["id"].(string)
		e.call("GET", "/v1/users/"+id, nil, http.StatusOK)
		until := time.Now().Add(90 * time.Second).UnixMilli()
		sqlExec(t, direct, engine, "UPDATE users SET lockout_until = ?, failed_attempts = 100 WHERE id = ?", until, id)
		for range 2 {
			u := e.call("GET", "/v1/users/"+id, nil, http.StatusOK)
			if u["locked"] != true || u["lockout_expires_in_seconds"] == nil {
				t.Fatalf("locked user shows locked=%v, lockout_expires_in_seconds=%v", u["locked"], u["lockout_expires_in_seconds"])
			}
		}
		// Ended (the clock moved past it): shown unlocked, and kept again.
		sqlExec(t, direct, engine, "UPDATE users SET lockout_until = ? WHERE id = ?", time.Now().Add(-time.Second).UnixMilli(), id)
		for range 2 {
			if u := e.call("GET", "/v1/users/"+id, nil, http.StatusOK); u["locked"] != false || u["lockout_expires_in_seconds"] != nil {
				t.Fatalf("after the lockout: locked=%v, lockout_expires_in_seconds=%v", u["locked"], u["lockout_expires_in_seconds"])
			}
		}
	})
}

// TestUserCacheOff: with no cache the reads answer as before.
func TestUserCacheOff(t *testing.T) {
	e := newEnv(t, sqlstore.SQLite, withUserCache(-1))
	id := e.call("POST", "/v1/users", map[string]any{"email_address": []string{"nocache@example.com"}, "skip_password_requirement": true}, http.StatusOK)["id"].(string)
	for range 2 {
		if u := e.call("GET", "/v1/users/"+id, nil, http.StatusOK); u["id"] != id {
			t.Fatalf("get: %v", u)
		}
	}
	if e.app.API.UserJSON != nil {
		t.Fatal("UserCache -1 left a cache")
	}
}

// openRaw opens the test database with database/sql, beside the server:
// writes through it are what another program's would be.
func openRaw(t *testing.T, engine, dsn string) *sql.DB {
	t.Helper()
	driver, source := "sqlite", "file:"+(&url.URL{Path: dsn}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	if engine == sqlstore.Postgres {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqlExec(t *testing.T, db *sql.DB, engine, query string, args ...any) {
	t.Helper()
	if engine == sqlstore.Postgres {
		n := 0
		var b bytes.Buffer
		for _, r := range query {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		query = b.String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
