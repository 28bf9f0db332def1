package backendapi_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// cutter is a TCP proxy to PostgreSQL that the test can cut (closing
// every connection and refusing new ones) and restore on the same port.
type cutter struct {
	t      *testing.T
	addr   string // the proxy's
	target string // PostgreSQL's
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	c := &cutter{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	c.serve(ln)
	t.Cleanup(c.cut)
	return c
}

func (c *cutter) serve(ln net.Listener) {
	c.mu.Lock()
	c.ln = ln
	c.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", c.target)
			if err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// cut is the database going away: connections drop, new ones are refused.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ln != nil {
		c.ln.Close()
		c.ln = nil
	}
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

// restore is the database coming back, at the same address.
func (c *cutter) restore() {
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	c.serve(ln)
}

// TestDatabaseGoesAway: while PostgreSQL cannot be reached, the Backend
// and Frontend APIs answer 503 in Clerk's envelope with Retry-After, at
// once rather than hanging, and never 500; once it is back they serve
// again without a restart.
func TestDatabaseGoesAway(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		if engine != sqlstore.Postgres {
			t.Skip("a SQLite file does not go away; a lock held past busy_timeout is the same 503 (IsUnavailable)")
		}
		u, _ := url.Parse(dbtest.DSN(t, engine))
		proxy := newCutter(t, u.Host)
		u.Host = proxy.addr
		e := newEnv(t, engine, withOrigins(appOrigin), withDSN(u.String()))
		e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		userID := e.userWithPassword("ada@example.com")

		type call struct{ method, path, body string }
		calls := []call{
			{"GET", "/v1/users/" + userID, ""},
			{"GET", "/v1/users?limit=10", ""},
			{"POST", "/v1/users", `{"email_address":["new@example.com"],"skip_password_requirement":true}`},
			{"GET", "/v1/users/count", ""},
		}
		send := func(c call) (int, string, http.Header) {
			req, _ := http.NewRequest(c.method, e.url+c.path, strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b), res.Header
		}
		proxy.cut()
		for _, c := range calls {
			start := time.Now()
			st, body, h := send(c)
			var env struct{ Errors []struct{ Code string } }
			if st != 503 || json.Unmarshal([]byte(body), &env) != nil || len(env.Errors) != 1 ||
				env.Errors[0].Code != "service_unavailable" || h.Get("Retry-After") == "" {
				t.Errorf("%s %s with the database gone: %d %s (Retry-After %q)", c.method, c.path, st, body, h.Get("Retry-After"))
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s %s took %s to answer", c.method, c.path, d)
			}
		}
		st, out, _ := e.browser().call("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}})
		if st != 503 {
			t.Errorf("a sign-in with the database gone: %d %v", st, out)
		}

		proxy.restore()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if st, _, _ := send(calls[0]); st == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("not serving 10 s after the database came back")
			}
		}
		for _, c := range calls {
			if st, body, _ := send(c); st != 200 {
				t.Errorf("%s %s after the database came back: %d %s", c.method, c.path, st, body)
			}
		}
		e.browser().signIn("ada@example.com", pw)
	})
}
