package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/sqlstore"
)

// outcome is one request of the load and its answer.
type outcome struct {
	kind       string // read, create or token
	start, end time.Time
	status     int    // 0: no answer (transport error or client timeout)
	code       string // the first error's code, if the body was Clerk's envelope
	retryAfter string
	userID     string // a create's user
	err        error
}

// outageLoad is a Backend and Frontend API load on one process: readers
// of a user, creators of users, and a browser minting session tokens.
type outageLoad struct {
	mu       sync.Mutex
	outcomes []outcome
	stop     chan struct{}
	wg       sync.WaitGroup
}

// startOutageLoad runs the load against base until stopLoad. The client's
// timeout is well past the test's bound on an answer, so a slow answer is
// seen as slow rather than as no answer.
func startOutageLoad(base, userID, sessionID string, browser *http.Client) *outageLoad {
	l := &outageLoad{stop: make(chan struct{})}
	client := &http.Client{Timeout: 15 * time.Second}
	tokenClient := &http.Client{Jar: browser.Jar, Timeout: 15 * time.Second}
	worker := func(kind string, c *http.Client, req func(i int) *http.Request) {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(10 * time.Millisecond): // a load, not a flood of 503s
				}
				o := outcome{kind: kind, start: time.Now()}
				res, err := c.Do(req(i))
				if err != nil {
					o.err, o.end = err, time.Now()
					l.add(o)
					continue
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				o.end, o.status, o.retryAfter = time.Now(), res.StatusCode, res.Header.Get("Retry-After")
				var body struct {
					ID     string
					Errors []struct{ Code string }
				}
				if json.Unmarshal(raw, &body) == nil && len(body.Errors) == 1 {
					o.code = body.Errors[0].Code
				}
				if kind == "create" && o.status == 200 {
					o.userID = body.ID
				}
				l.add(o)
			}
		}()
	}
	backend := func(method, path, body string) *http.Request {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clusterKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	for range 2 {
		worker("read", client, func(int) *http.Request { return backend("GET", "/v1/users/"+userID, "") })
	}
	for w := range 3 {
		worker("create", client, func(i int) *http.Request {
			return backend("POST", "/v1/users", fmt.Sprintf(`{"email_address":["load%d-%d@example.com"],"skip_password_requirement":true}`, w, i))
		})
	}
	worker("token", tokenClient, func(int) *http.Request {
		req, _ := http.NewRequest("POST", base+"/v1/client/sessions/"+sessionID+"/tokens?__clerk_api_version=2026-08-20&_clerk_js_version=6.40.0", nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", clusterOrigin)
		return req
	})
	return l
}

func (l *outageLoad) add(o outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
}

func (l *outageLoad) stopLoad() []outcome {
	close(l.stop)
	l.wg.Wait()
	return l.outcomes
}

// servedSince reports whether every kind of request has been answered
// 200 since t.
func (l *outageLoad) servedSince(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok := map[string]bool{}
	for _, o := range l.outcomes {
		if o.status == 200 && o.start.After(t) {
			ok[o.kind] = true
		}
	}
	return ok["read"] && ok["create"] && ok["token"]
}

// outage is one stop of the database: from the moment it was down to the
// moment it was started again.
type outage struct {
	mode             string
	down, restarting time.Time
	starting         time.Duration // pg_ctl start, until it accepted connections
	recovered        time.Duration // from then to every kind of request served
	unavailable      int           // 503s to requests made and answered while down
}

// TestDatabaseRestart stops the real PostgreSQL server of a running
// Concierge process under a mixed load, once with a fast shutdown and
// once with an immediate one (crash recovery on restart), and starts it
// again on the same port and data directory. While it is down every
// request is answered 503 in Clerk's envelope (service_unavailable, with
// Retry-After) within 3 s, and /readyz is not ready; no request is ever
// answered 500 or left hanging; the same process serves every kind of
// request again within 10 s of the database's return; and every user
// whose creation was acknowledged, before, between or after the outages,
// is in the database at the end.
func TestDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a PostgreSQL server")
	}
	pg := startPrivatePostgres(t)
	_, bin := build(t)
	n := startNode(t, bin, "CONCIERGE_DATABASE="+pg.DSN(), "CONCIERGE_SECRET_KEY="+clusterKey, "CONCIERGE_SMTP_URL=",
		"CONCIERGE_ALLOWED_ORIGINS="+clusterOrigin, "CONCIERGE_CLIENT_TRUST=false")
	st, out := api(t, clusterKey, "POST", n.url+"/v1/users", `{"email_address":["ada@example.com"],"password":"a long enough password"}`)
	userID, _ := out["id"].(string)
	if st != 200 || userID == "" {
		t.Fatalf("create user: %d %v", st, out)
	}
	b := newFrontend(t)
	st, out = b.call(n.url, "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"a long enough password"}})
	resp, _ := out["response"].(map[string]any)
	sessionID, _ := resp["created_session_id"].(string)
	if st != 200 || sessionID == "" {
		t.Fatalf("sign-in: %d %v", st, out)
	}

	load := startOutageLoad(n.url, userID, sessionID, b.client)
	var outages []outage
	for _, mode := range []string{"fast", "immediate"} {
		time.Sleep(time.Second)
		o := outage{mode: mode}
		pg.stop(mode)
		o.down = time.Now()
		probeDown(t, n.url, mode)
		time.Sleep(time.Until(o.down.Add(1500 * time.Millisecond)))
		o.restarting = time.Now()
		pg.start()
		up := time.Now()
		o.starting = up.Sub(o.restarting)
		for !load.servedSince(up) {
			if time.Since(up) > 10*time.Second {
				load.stopLoad()
				t.Fatalf("after the %s stop: not serving every kind of request 10 s after PostgreSQL was back\n%s", mode, n.log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		o.recovered = time.Since(up)
		outages = append(outages, o)
	}
	time.Sleep(time.Second)
	outcomes := load.stopLoad()
	if err := n.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the process is gone: %v", err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if res, err := http.Get(n.url + path); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s after the outages: %v %v", path, res, err)
		} else {
			res.Body.Close()
		}
	}
	acked := checkOutcomes(t, outcomes, outages)
	if strings.Contains(n.log.String(), "panic") {
		t.Errorf("the process logged a panic:\n%s", n.log.String())
	}

	db, err := sqlstore.Open(context.Background(), pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range acked {
		if _, err := db.User(context.Background(), id); err != nil {
			t.Fatalf("user %s, whose creation was acknowledged: %v", id, err)
		}
	}
	t.Logf("%d users acknowledged and present", len(acked))
}

// probeDown checks the health endpoints while the database is down:
// /readyz is not ready, and /healthz (which pings the database, so it is
// 503 too) answers promptly: the process is alive and not stuck.
func probeDown(t *testing.T, base, mode string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/readyz", "/healthz"} {
		start := time.Now()
		res, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("%s with the database stopped (%s): %v", path, mode, err)
		}
		res.Body.Close()
		if took := time.Since(start); res.StatusCode != 503 || took > 3*time.Second {
			t.Errorf("%s with the database stopped (%s): %d after %s, want 503 within 3 s", path, mode, res.StatusCode, took)
		}
	}
}

// checkOutcomes fails the test for a 500, an unanswered or slow request,
// or a 503 outside Clerk's envelope, at any time; and for anything but
// such a 503 to a request made and answered while the database was down.
// It returns the users whose creation was acknowledged.
func checkOutcomes(t *testing.T, outcomes []outcome, outages []outage) (acked []string) {
	t.Helper()
	unavailable, bad := 0, 0
	seen := map[string]map[int]int{}
	for _, o := range outcomes {
		if seen[o.kind] == nil {
			seen[o.kind] = map[int]int{}
		}
		seen[o.kind][o.status]++
		fail := func(why string) {
			if bad++; bad <= 10 {
				t.Errorf("%s at %s: %s (status %d, code %q, Retry-After %q, took %s, err %v)",
					o.kind, o.start.Format("15:04:05.000"), why, o.status, o.code, o.retryAfter, o.end.Sub(o.start), o.err)
			}
		}
		if took := o.end.Sub(o.start); took > 3*time.Second {
			fail("answered after more than 3 s")
		}
		switch {
		case o.status == 200:
			if o.userID != "" {
				acked = append(acked, o.userID)
			}
		case o.status == 503:
			unavailable++
			if o.code != "service_unavailable" || o.retryAfter == "" {
				fail("a 503 without Clerk's service_unavailable envelope and Retry-After")
			}
		default:
			fail("neither 200 nor 503")
		}
		for i, d := range outages {
			if o.start.After(d.down) && o.end.Before(d.restarting) {
				if o.status != 503 {
					fail("not 503 while the database was down (" + d.mode + " stop)")
				}
				outages[i].unavailable++
			}
		}
	}
	for _, d := range outages {
		t.Logf("%s stop: %d requests answered 503 while down; PostgreSQL started in %s, every kind of request served %s later",
			d.mode, d.unavailable, d.starting.Round(time.Millisecond), d.recovered.Round(time.Millisecond))
		if d.unavailable == 0 {
			t.Errorf("%s stop: no request was made and answered while the database was down", d.mode)
		}
	}
	t.Logf("%d requests, %d answered 503; by kind and status: %v", len(outcomes), unavailable, seen)
	if unavailable == 0 {
		t.Error("no 503 seen")
	}
	return acked
}
