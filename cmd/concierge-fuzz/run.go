package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// refreshEvery is how many requests go by between rounds of fixtures:
// the fuzzer deletes and revokes its own resources as it goes.
const refreshEvery = 1500

// signInEvery is how often the frontend client signs in again: the run
// signs it out and deletes its user far more often.
const signInEvery = 150

// failure is one request the server failed.
type failure struct {
	index   uint64
	request *request
	outcome outcome
}

func (f failure) String() string {
	what := fmt.Sprintf("status %d", f.outcome.status)
	if f.outcome.err != nil {
		what = fmt.Sprintf("status %d, %v", f.outcome.status, f.outcome.err)
	}
	name := fmt.Sprintf("request %d", f.index)
	if f.request.route == "set-up" {
		name = "set-up request"
	}
	return fmt.Sprintf("%s (%s): %s\n%sanswer: %s\n", name, strings.Join(f.request.mutations, ", "), what,
		f.request.dump(), short(string(f.outcome.body), 500))
}

// report is a run's result.
type report struct {
	requests int
	took     time.Duration
	byStatus map[int]int
	cut      int // connections closed on an oversized request, unanswered
	failures []failure
	fixtures int
	// slowest is the longest a request took, and which.
	slowest   time.Duration
	slowestAt string
	routes    int
	// reached are the routes that answered 2xx at least once: how far
	// past the decoders the run got.
	reached map[string]bool
}

// run sends the run's requests from c.concurrency workers.
func run(ctx context.Context, c *config, log io.Writer) (*report, error) {
	target, err := url.Parse(c.url)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("-url %q: not an absolute URL", c.url)
	}
	fx := &fixtures{pools: map[string][]string{}}
	fx.setup(ctx, c, 0)
	if len(fx.pool("user_id")) == 0 {
		return nil, fmt.Errorf("could not create a user through %s/v1/users: is the server up and the secret key right?", c.url)
	}
	g := &generator{seed: c.seed, routes: c.routes(), fx: fx, cfg: c}
	if len(g.routes) == 0 {
		return nil, fmt.Errorf("no route matches -route %q", c.only)
	}
	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	rep := &report{byStatus: map[int]int{}, routes: len(g.routes), reached: map[string]bool{}}
	var (
		mu    sync.Mutex
		next  atomic.Uint64
		round atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < c.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &conn{target: target, timeout: c.timeout}
			defer k.close()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if c.n > 0 && i >= uint64(c.n) {
					return
				}
				switch {
				case i > 0 && i%refreshEvery == 0:
					fx.setup(ctx, c, int(round.Add(1)))
				case i > 0 && i%signInEvery == 0:
					fx.resignIn(ctx, c)
				}
				q := g.request(i)
				t0 := time.Now()
				o := k.do(ctx, q)
				took := time.Since(t0)
				if o.err != nil && ended(ctx) {
					return // the run ended under this request
				}
				mu.Lock()
				rep.requests++
				rep.byStatus[o.status]++
				if c.verbose {
					fmt.Fprintf(log, "%d %d %s %s (%s)\n", i, o.status, q.method, short(q.target, 120), strings.Join(q.mutations, ", "))
				}
				if took > rep.slowest {
					rep.slowest, rep.slowestAt = took, fmt.Sprintf("request %d, %s (%s)", i, q.route, strings.Join(q.mutations, ", "))
				}
				if o.cut {
					rep.cut++
				} else if o.status >= 500 || o.err != nil {
					f := failure{index: i, request: q, outcome: o}
					rep.failures = append(rep.failures, f)
					if c.verbose {
						fmt.Fprint(log, f)
					}
				}
				if o.status >= 200 && o.status < 300 {
					rep.reached[q.route] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rep.took = time.Since(start)
	fx.mu.RLock()
	rep.fixtures = fx.made
	rep.failures = append(rep.failures, fx.failed...)
	fx.mu.RUnlock()
	sort.Slice(rep.failures, func(i, j int) bool { return rep.failures[i].index < rep.failures[j].index })
	return rep, nil
}

// ended reports whether the run is over (its deadline may have cut a
// request off a moment before the context says so).
func ended(ctx context.Context) bool {
	end, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(end)
}

// print writes the summary: requests, answers by status, failures.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "%d requests over %d routes in %s (%.0f/s), %d resources made\n", r.requests, r.routes,
		r.took.Round(time.Millisecond), float64(r.requests)/r.took.Seconds(), r.fixtures)
	var codes []int
	for s := range r.byStatus {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	var parts []string
	for _, s := range codes {
		name := fmt.Sprint(s)
		if s == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, r.byStatus[s]))
	}
	fmt.Fprintf(w, "by status: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "routes that answered 2xx at least once: %d of %d\n", len(r.reached), r.routes)
	fmt.Fprintf(w, "slowest: %s, %s\n", r.slowest.Round(time.Millisecond), r.slowestAt)
	if r.cut > 0 {
		fmt.Fprintf(w, "%d oversized requests cut off unanswered (allowed)\n", r.cut)
	}
	if len(r.failures) == 0 {
		fmt.Fprintln(w, "failures: 0 (no answer ≥ 500, no reset, no hang)")
		return
	}
	fmt.Fprintf(w, "failures: %d\n", len(r.failures))
	for i, f := range r.failures {
		if i == 20 {
			fmt.Fprintf(w, "… and %d more\n", len(r.failures)-20)
			break
		}
		fmt.Fprint(w, f)
	}
}
