package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/sqlstore"
)

// ceilingRun is one run of ceiling mode: every workload next to the
// ceiling it is measured against, at each client count.
type ceilingRun struct {
	engine, dsn string
	users       int
	reuse       bool
	dur         time.Duration
	clients     []int
	sync        string
	cache       int64 // SQLite page cache, bytes (0: the default)
	cost        int
	// minEach is how many requests each client makes at least.
	minEach int
	// only, if set, names the workloads to run (with their ceilings).
	only map[string]bool
	// cpuprofile, if set, is where the server writes a CPU profile.
	cpuprofile string
	// processes, if over 1, adds the read-scaling rows (see scale).
	processes int
	out       io.Writer
}

// ceilingReport is what a run found; the quick test fails on its errors.
type ceilingReport struct {
	rows []ceilingRow
	// errors counts failed requests of all workloads and ceilings.
	errors int
	tally  serveTally
}

type ceilingRow struct {
	name, ceiling string
	clients       int
	res           *result
	cpu           time.Duration // server CPU over the run
}

func (r ceilingRow) rate() float64 { return float64(r.res.count) / r.res.elapsed.Seconds() }

// cpuPer is the server's CPU time per answered request.
func (r ceilingRow) cpuPer() time.Duration {
	if r.res.count == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.res.count)
}

// ceilingGroups pairs each ceiling with the workloads measured against it.
// A group runs longer times the duration: at 32 clients one bcrypt
// round takes seconds on two cores, and a short run holds too few.
var ceilingGroups = []struct {
	ceiling   string
	workloads []string
	longer    int
}{
	{"json", nil, 1},
	{"read", []string{"get", "email"}, 1},
	{"list", []string{"list100"}, 1},
	{"insert", []string{"create"}, 1},
	{"bcrypt", []string{"signin", "create_pw"}, 3},
}

func (c ceilingRun) run(ctx context.Context) (*ceilingReport, error) {
	if c.dsn == "" {
		if c.engine != sqlstore.SQLite {
			return nil, fmt.Errorf("-dsn is required for %s", c.engine)
		}
		dir, err := os.MkdirTemp("", "concierge-bench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		c.dsn = filepath.Join(dir, "bench.db")
	}
	db, err := sqlstore.OpenWith(ctx, c.dsn, sqlstore.Options{Synchronous: c.sync, CacheBytes: c.cache})
	if err != nil {
		return nil, err
	}
	var s *seeded
	if c.reuse {
		s, err = reload(ctx, db, c.users)
	} else if s, err = seed(ctx, db, c.users); err == nil {
		err = db.Analyze(ctx)
	}
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if err := seedCeiling(ctx, c.engine, ceilingDSN(c.engine, c.dsn), s.ids); err != nil {
		return nil, err
	}
	cfg := serveConfig{Engine: c.engine, DSN: c.dsn, Synchronous: c.sync, CacheBytes: c.cache, BcryptCost: c.cost, SampleID: s.ids[len(s.ids)/2]}
	first := cfg
	first.CPUProfile = c.cpuprofile
	ch, err := startChild(first)
	if err != nil {
		return nil, err
	}
	rep := &ceilingReport{}
	stopped := false
	defer func() {
		if !stopped {
			ch.stop()
		}
	}()
	maxc := 1
	for _, n := range c.clients {
		maxc = max(maxc, n)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxc, MaxConnsPerHost: maxc}}
	reqs, err := ceilingRequests(client, ch.addrs, s)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.out, "\n%d users, %s, %d cores (GOMAXPROCS %d), %s per workload (bcrypt's %s), bcrypt cost %d; server in its own process;\n"+
		"the ceilings answer %d bytes (a user) and %d bytes (a page of 100), as Concierge did\n\n",
		c.users, c.engine, runtime.NumCPU(), runtime.GOMAXPROCS(0), c.dur, 3*c.dur, c.cost, ch.addrs.UserBytes, ch.addrs.PageBytes)
	fmt.Fprintln(c.out, "| workload | clients | req/s | p50 | p99 | server CPU/req | errors | ceiling | ceiling req/s | % of ceiling |")
	fmt.Fprintln(c.out, "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
	for _, clients := range c.clients {
		for _, g := range ceilingGroups {
			if !c.selected(g.ceiling, g.workloads) {
				continue
			}
			dur := c.dur * time.Duration(max(g.longer, 1))
			ceil, err := c.measure(ch, client, reqs, "ceiling:"+g.ceiling, "", clients, dur)
			if err != nil {
				return nil, err
			}
			rep.add(c.out, ceil, nil)
			for _, w := range g.workloads {
				if c.only != nil && !c.only[w] {
					continue
				}
				row, err := c.measure(ch, client, reqs, w, g.ceiling, clients, dur)
				if err != nil {
					return nil, err
				}
				rep.add(c.out, row, &ceil)
			}
		}
	}
	var extra serveTally
	if c.processes > 1 {
		if err := c.scale(ch, cfg, c.processes, reqs, maxc, rep, &extra); err != nil {
			return nil, err
		}
	}
	stopped = true
	if rep.tally, err = ch.stop(); err != nil {
		return nil, fmt.Errorf("server process: %w", err)
	}
	rep.tally.Requests, rep.tally.FiveXX, rep.tally.Closed, rep.tally.Errors = rep.tally.Requests+extra.Requests,
		rep.tally.FiveXX+extra.FiveXX, rep.tally.Closed+extra.Closed, rep.tally.Errors+extra.Errors
	fmt.Fprintf(c.out, "\nserver log: %d requests, %d 5xx, %d client-closed (499), %d error lines\n",
		rep.tally.Requests, rep.tally.FiveXX, rep.tally.Closed, rep.tally.Errors)
	return rep, nil
}

func (c ceilingRun) measure(ch *child, client *http.Client, reqs map[string]request, name, ceiling string, clients int, dur time.Duration) (ceilingRow, error) {
	row, err := c.measureOn([]*child{ch}, client, reqs[name], name, clients, dur)
	row.ceiling = ceiling
	return row, err
}

func (rep *ceilingReport) add(out io.Writer, r ceilingRow, ceil *ceilingRow) {
	rep.rows = append(rep.rows, r)
	rep.errors += r.res.errors
	cname, crate, pct := "", "", ""
	if ceil != nil {
		cname, crate = ceil.name, fmt.Sprintf("%.0f", ceil.rate())
		if ceil.rate() > 0 {
			pct = fmt.Sprintf("%.0f %%", 100*r.rate()/ceil.rate())
		}
	}
	fmt.Fprintf(out, "| %s | %d | %.0f | %s | %s | %.0f µs | %d | %s | %s | %s |\n", r.name, r.clients, r.rate(),
		ms(r.res.pct(50)), ms(r.res.pct(99)), float64(r.cpuPer().Nanoseconds())/1000, r.res.errors, cname, crate, pct)
}

// ceilingRequests makes the requests of every workload and ceiling, and
// creates the user the sign-ins sign in as.
func ceilingRequests(client *http.Client, addrs serveAddrs, s *seeded) (map[string]request, error) {
	var created atomic.Int64
	base, cbase := addrs.Concierge, addrs.Ceiling
	reqs := operations(base, s, &created)
	newReq := func(method, url, ctype, body string) (*http.Request, error) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err == nil && ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return req, err
	}
	createBody := func(r *rand.Rand, withPassword bool) string {
		m := map[string]any{
			"email_address": []string{fmt.Sprintf("new%d-%d@bench.example.com", created.Add(1), r.Int64())},
			"first_name":    "Bench",
		}
		if withPassword {
			m["password"] = benchPassword
		} else {
			m["skip_password_requirement"] = true
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	// Unique to the run, so that a reused database takes it too.
	signInEmail := fmt.Sprintf("signin%d@bench.example.com", time.Now().UnixNano())
	signInForm := url.Values{"identifier": {signInEmail}, "strategy": {"password"}, "password": {benchPassword}}.Encode()
	reqs["create_pw"] = func(r *rand.Rand) (*http.Request, error) {
		req, err := newReq("POST", base+"/v1/users", "application/json", createBody(r, true))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		return req, err
	}
	reqs["signin"] = func(r *rand.Rand) (*http.Request, error) {
		// A new browser each time: no cookie, so each signs in afresh.
		req, err := newReq("POST", base+"/v1/client/sign_ins", "application/x-www-form-urlencoded", signInForm)
		if err == nil {
			req.Header.Set("Origin", benchOrigin)
		}
		return req, err
	}
	reqs["ceiling:json"] = func(r *rand.Rand) (*http.Request, error) { return newReq("GET", cbase+"/json", "", "") }
	reqs["ceiling:read"] = func(r *rand.Rand) (*http.Request, error) {
		return newReq("GET", cbase+"/read/"+s.ids[r.IntN(s.n)], "", "")
	}
	reqs["ceiling:list"] = func(r *rand.Rand) (*http.Request, error) { return newReq("GET", cbase+"/list", "", "") }
	reqs["ceiling:insert"] = func(r *rand.Rand) (*http.Request, error) {
		return newReq("POST", cbase+"/insert", "application/json", createBody(r, false))
	}
	reqs["ceiling:bcrypt"] = func(r *rand.Rand) (*http.Request, error) {
		return newReq("POST", cbase+"/bcrypt", "application/x-www-form-urlencoded", signInForm)
	}

	// The user who signs in.
	body, _ := json.Marshal(map[string]any{"email_address": []string{signInEmail}, "password": benchPassword})
	req, err := newReq("POST", base+"/v1/users", "application/json", string(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("create the sign-in user: %d %s", res.StatusCode, b)
	}
	return reqs, nil
}

// quick shrinks the run to seconds: few users, short workloads, a few
// clients, bcrypt at its lowest cost. It is for finding errors, not speed.
func (c ceilingRun) quick() ceilingRun {
	c.users, c.dur, c.clients, c.cost, c.reuse, c.minEach = 200, 100*time.Millisecond, []int{4}, bcrypt.MinCost, false, 2
	return c
}

// check runs c and fails on any error: a failed request, a 5xx or an
// error line in the server's log.
func (c ceilingRun) check(ctx context.Context) error {
	rep, err := c.run(ctx)
	if err != nil {
		return err
	}
	if rep.errors > 0 || rep.tally.FiveXX > 0 || rep.tally.Errors > 0 {
		return fmt.Errorf("%d failed requests, %d 5xx, %d error lines in the server's log", rep.errors, rep.tally.FiveXX, rep.tally.Errors)
	}
	for _, r := range rep.rows {
		if r.res.count == 0 {
			return fmt.Errorf("%s: no request answered", r.name)
		}
	}
	return nil
}

// selected tells whether a group runs: its ceiling or one of its workloads
// is named by -only (or -only is not set).
func (c ceilingRun) selected(ceiling string, workloads []string) bool {
	if c.only == nil || c.only[ceiling] {
		return true
	}
	for _, w := range workloads {
		if c.only[w] {
			return true
		}
	}
	return false
}
