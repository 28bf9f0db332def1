package backendapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// logBuffer collects a server's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the log so far, one map per line.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// withLog sends the server's log to w as JSON, debug level and up.
func withLog(w *logBuffer) envOption {
	return func(c *envConfig) {
		c.opts.Log = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// TestClientHangUp: clients that give up mid-request (a long list, a
// sign-in, a create) are not server errors. The access log shows them
// as 499 at info level, nothing logs an error, no request is a 5xx, the
// server keeps serving, and a create cut short is whole or absent.
func TestClientHangUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		logs := &logBuffer{}
		e := newEnv(t, engine, withOrigins(appOrigin), withLog(logs))
		e.app.Frontend.SignInLimit, e.app.Frontend.AttemptLimit = nil, nil
		for i := range 300 {
			if st, b := e.do("POST", "/v1/users", map[string]any{"email_address": []string{fmt.Sprintf("seed%03d@example.com", i)},
				"skip_password_requirement": true, "first_name": strings.Repeat("n", 50), "public_metadata": map[string]any{"note": strings.Repeat("x", 500)}}); st != 200 {
				t.Fatalf("seed: %d %s", st, b)
			}
		}
		e.userWithPassword("ada@example.com")

		client := &http.Client{Transport: &http.Transport{}}
		// send gives up after d; it reports whether the client gave up.
		send := func(d time.Duration, method, path, ctype, body string, secret bool) bool {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, method, e.url+path, strings.NewReader(body))
			if secret {
				req.Header.Set("Authorization", "Bearer "+testKey)
			} else {
				req.Header.Set("Origin", appOrigin)
			}
			if body != "" {
				req.Header.Set("Content-Type", ctype)
			}
			res, err := client.Do(req)
			if err != nil {
				return true
			}
			res.Body.Close()
			return false
		}
		hangUps := func() int {
			n := 0
			for _, l := range logs.lines(t) {
				if l["msg"] == "request" && l["status"] == float64(499) {
					n++
				}
			}
			return n
		}
		// Timeouts from 1 ms up by a tenth each time, round again, until
		// enough requests were seen by the server and then abandoned
		// (when they are, depends on the machine).
		var creates []string
		for round, d := 0, time.Millisecond; hangUps() < 15 && round < 600; round++ {
			send(d, "GET", "/v1/users?limit=500&order_by=-created_at", "", "", true)
			form := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}}
			send(d, "POST", "/v1/client/sign_ins?__clerk_api_version=2026-08-20", "application/x-www-form-urlencoded", form.Encode(), false)
			email := fmt.Sprintf("cut%03d@example.com", round)
			creates = append(creates, email)
			send(d, "POST", "/v1/users", "application/json",
				fmt.Sprintf(`{"email_address":[%q],"first_name":"Cut","password":%q}`, email, pw), true)
			if d = d + d/10 + time.Millisecond/10; d > 150*time.Millisecond {
				d = time.Millisecond
			}
		}
		if n := hangUps(); n < 15 {
			t.Fatalf("only %d requests were abandoned mid-way", n)
		}
		// The server still serves, and every request has ended once it
		// has stopped (httptest's Close waits for them).
		if st, b := e.do("GET", "/v1/users/count", nil); st != 200 {
			t.Fatalf("after the hang-ups: %d %s", st, b)
		}
		for _, email := range creates {
			st, b := e.do("GET", "/v1/users?email_address="+url.QueryEscape(email), nil)
			var got []struct {
				ID     string `json:"id"`
				Emails []struct {
					EmailAddress string `json:"email_address"`
				} `json:"email_addresses"`
				PasswordEnabled bool `json:"password_enabled"`
			}
			if st != 200 || json.Unmarshal(b, &got) != nil || len(got) > 1 {
				t.Fatalf("%s: %d %s", email, st, b)
			}
			if len(got) == 1 && (len(got[0].Emails) != 1 || got[0].Emails[0].EmailAddress != email || !got[0].PasswordEnabled) {
				t.Fatalf("%s was created in part: %s", email, b)
			}
		}
		e.stop()
		var statuses = map[float64]int{}
		for _, l := range logs.lines(t) {
			if l["level"] == "ERROR" {
				t.Errorf("error logged: %v", l)
			}
			if l["msg"] == "request" {
				statuses[l["status"].(float64)]++
				if s := l["status"].(float64); s >= 500 {
					t.Errorf("a %v in the access log: %v", s, l)
				}
			}
		}
		t.Logf("%s: access log statuses %v", engine, statuses)
	})
}
