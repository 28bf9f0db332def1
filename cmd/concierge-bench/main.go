// Command concierge-bench measures the Users Backend API over HTTP on
// loopback. It seeds a fresh database with N users straight through the
// store, starts the real server handler on 127.0.0.1, and drives each
// operation from concurrent keep-alive clients for a fixed time, printing
// requests per second and latency percentiles as a Markdown table.
//
//	go run ./cmd/concierge-bench -engine sqlite -users 100000
//
// With -ceiling it measures each workload against what the machine does
// without Concierge (see ceiling.go), the server in a process of its own;
// -quick is a seconds-long ceiling run that checks for errors only.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/user"
)

const key = "sk_test_benchbenchbenchbenchbenchbenchbench"

// profile, when set, receives a CPU profile of the measured runs.
var profile io.Writer

func main() {
	if os.Getenv(serveEnv) != "" {
		os.Exit(serveMain())
	}
	engine := flag.String("engine", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", "", "database (default: a fresh SQLite file in a temp dir; required for postgres: a URL to a fresh, empty database)")
	n := flag.Int("users", 100_000, "users to seed")
	dur := flag.Duration("duration", 10*time.Second, "how long each operation runs")
	conc := flag.Int("concurrency", 16, "concurrent clients")
	ops := flag.String("ops", "get,create,list100,email,query,count_query,query@1,count_query@1",
		"operations to run, comma-separated; name@N runs one with N clients")
	sqliteSync = flag.String("sqlite-synchronous", "full", "SQLite's synchronous mode for the writer: full or normal (CONCIERGE_SQLITE_SYNCHRONOUS)")
	sqliteCacheMiB = flag.Int64("sqlite-cache", sqlstore.DefaultCacheBytes>>20, "SQLite's page cache of all connections together, MiB (CONCIERGE_SQLITE_CACHE)")
	reuse := flag.Bool("reuse", false, "the database given by -dsn was seeded by an earlier run with the same -users: skip seeding")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured runs to this file (with -ceiling: of the server process)")
	importFile := flag.String("write-import", "", "write -users users to this file as Clerk's export CSV (for timing concierge import) and exit")
	ceilingMode := flag.Bool("ceiling", false, "measure every workload against its ceiling (ignores -ops and -concurrency; see -clients)")
	clientsList := flag.String("clients", "32,1", "with -ceiling: the client counts, comma-separated")
	only := flag.String("only", "", "with -ceiling: run only these workloads (get, email, list100, create, signin, create_pw) and their ceilings")
	processes := flag.Int("processes", 1, "with -ceiling on postgres: also measure get and email spread over this many Concierge processes on the one database")
	quick := flag.Bool("quick", false, "a few seconds' ceiling run on few users that fails on errors only, never on speed")
	flag.Parse()
	if *ceilingMode || *quick {
		c := ceilingRun{engine: *engine, dsn: *dsn, users: *n, reuse: *reuse, dur: *dur, sync: *sqliteSync, cache: *sqliteCacheMiB << 20,
			cost: password.DefaultCost, processes: *processes, out: os.Stdout}
		if c.processes > 1 && c.engine != sqlstore.Postgres {
			fmt.Fprintln(os.Stderr, "concierge-bench: -processes needs -engine postgres: a SQLite file is served by one process")
			os.Exit(2)
		}
		for _, f := range strings.Split(*clientsList, ",") {
			var k int
			if _, err := fmt.Sscan(f, &k); err != nil || k < 1 {
				fmt.Fprintf(os.Stderr, "concierge-bench: bad -clients %q\n", *clientsList)
				os.Exit(2)
			}
			c.clients = append(c.clients, k)
		}
		if *only != "" {
			c.only = map[string]bool{}
			for _, w := range strings.Split(*only, ",") {
				c.only[strings.TrimSpace(w)] = true
			}
		}
		c.cpuprofile = *cpuprofile
		if *quick {
			c = c.quick()
		}
		if err := c.check(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "concierge-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *importFile != "" {
		if err := writeImportFile(*importFile, *n); err != nil {
			fmt.Fprintln(os.Stderr, "concierge-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "concierge-bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		profile = f
	}
	if err := run(*engine, *dsn, *n, *dur, *conc, strings.Split(*ops, ","), *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "concierge-bench:", err)
		os.Exit(1)
	}
}

var sqliteSync *string

// sqliteCacheMiB is -sqlite-cache.
var sqliteCacheMiB *int64

func run(engine, dsn string, n int, dur time.Duration, conc int, ops []string, reuse bool) error {
	ctx := context.Background()
	if dsn == "" {
		if engine != sqlstore.SQLite {
			return fmt.Errorf("-dsn is required for %s", engine)
		}
		dir, err := os.MkdirTemp("", "concierge-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "bench.db")
	}
	db, err := sqlstore.OpenWith(ctx, dsn, sqlstore.Options{Synchronous: *sqliteSync, CacheBytes: *sqliteCacheMiB << 20})
	if err != nil {
		return err
	}
	defer db.Close()

	seedStart := time.Now()
	var seeded *seeded
	if reuse {
		seeded, err = reload(ctx, db, n)
	} else {
		seeded, err = seed(ctx, db, n)
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if !reuse {
		if err := db.Analyze(ctx); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "seeded %d users on %s in %s (reuse=%v)\n", n, db.Engine(), time.Since(seedStart).Round(time.Second), reuse)

	// The server's log is counted, not kept (see serverTally).
	tally := &serverTally{show: os.Stderr}
	log := slog.New(tally.handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	a, err := app.New(ctx, db, app.Options{PublicURL: base, SecretKey: key, EmailDomain: "localhost", Log: log})
	if err != nil {
		return err
	}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan struct{})
	go func() { defer close(served); server.Run(srvCtx, ln, a.Handler, time.Second, log) }()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	fmt.Printf("\n%d users, %s, %d cores (GOMAXPROCS %d), %s per operation\n\n",
		n, db.Engine(), runtime.NumCPU(), runtime.GOMAXPROCS(0), dur)
	fmt.Println("| operation | clients | requests | req/s | p50 | p90 | p99 | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	var created atomic.Int64
	if profile != nil {
		pprof.StartCPUProfile(profile)
		defer pprof.StopCPUProfile()
	}
	for _, op := range ops {
		// "name@N" runs the operation with N clients instead of -concurrency.
		name, clients := strings.TrimSpace(op), conc
		if n, c, ok := strings.Cut(name, "@"); ok {
			if _, err := fmt.Sscan(c, &clients); err != nil || clients < 1 {
				return fmt.Errorf("bad client count in %q", op)
			}
			name = n
		}
		mk, ok := operations(base, seeded, &created)[name]
		if !ok {
			return fmt.Errorf("unknown operation %q", op)
		}
		r := drive(client, mk, dur, clients)
		fmt.Printf("| %s | %d | %d | %.0f | %s | %s | %s | %d |\n", name, clients, r.count, float64(r.count)/r.elapsed.Seconds(),
			ms(r.pct(50)), ms(r.pct(90)), ms(r.pct(99)), r.errors)
	}
	stop()
	<-served // every request has ended and logged its line
	fmt.Printf("\n%s\n", tally)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

var firstNames = strings.Fields("james mary robert patricia john jennifer michael linda david elizabeth william barbara richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth carol kevin amanda brian melissa george deborah")
var lastNames = strings.Fields("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts")

// seeded is what the operations need to know about the seeded users.
type seeded struct {
	ids    []string
	emails []string
	n      int
}

// person returns the deterministic name parts of seeded user i.
func person(i int) (first, last, email string) {
	first, last = firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
	return first, last, fmt.Sprintf("%s.%s%d@example%d.com", first, last, i, i%97)
}

func seed(ctx context.Context, db *sqlstore.DB, n int) (*seeded, error) {
	s := &seeded{n: n, ids: make([]string, n), emails: make([]string, n)}
	const batch = 5000
	start := time.Now().Add(-time.Duration(n) * time.Second)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		users := make([]*user.User, 0, hi-lo)
		for i := lo; i < hi; i++ {
			at := start.Add(time.Duration(i) * time.Second)
			ms := at.UnixMilli()
			first, last, email := person(i)
			u := &user.User{
				ID: id.NewAt(id.User, at), FirstName: &first, LastName: &last,
				PublicMetadata: []byte(`{}`), PrivateMetadata: []byte(`{}`), UnsafeMetadata: []byte(`{}`),
				DeleteSelfEnabled: true, CreateOrganizationEnabled: true, CreatedAt: ms, UpdatedAt: ms,
			}
			idn := user.Identifier{ID: id.NewAt(id.Identifier, at), UserID: u.ID, Kind: user.EmailAddress, Value: email,
				VerificationStatus: user.StatusVerified, VerificationStrategy: user.StrategyAdmin, CreatedAt: ms, UpdatedAt: ms}
			u.Identifiers = []user.Identifier{idn}
			u.PrimaryEmailAddressID = &u.Identifiers[0].ID
			users = append(users, u)
			s.ids[i], s.emails[i] = u.ID, email
		}
		if err := db.CreateUsers(ctx, users); err != nil {
			return nil, err
		}
		if hi%100_000 == 0 {
			fmt.Fprintf(os.Stderr, "  %d users\n", hi)
		}
	}
	return s, nil
}

// reload reads back the IDs and emails of users seeded by an earlier run:
// they are the n oldest, in seeding order.
func reload(ctx context.Context, db *sqlstore.DB, n int) (*seeded, error) {
	s := &seeded{n: n, ids: make([]string, 0, n), emails: make([]string, 0, n)}
	after := ""
	for len(s.ids) < n {
		page, err := db.ListUsers(ctx, user.Query{OrderBy: user.OrderCreatedAt, Limit: user.MaxLimit, StartingAfter: after})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, fmt.Errorf("database holds %d users, want %d", len(s.ids), n)
		}
		for _, u := range page {
			if len(s.ids) == n {
				break
			}
			_, _, email := person(len(s.ids))
			s.ids, s.emails = append(s.ids, u.ID), append(s.emails, email)
		}
		after = page[len(page)-1].ID
	}
	return s, nil
}

// request makes one request; it is called concurrently.
type request func(r *rand.Rand) (*http.Request, error)

func operations(base string, s *seeded, created *atomic.Int64) map[string]request {
	get := func(path string) (*http.Request, error) {
		req, err := http.NewRequest("GET", base+path, nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		return req, err
	}
	// substring picks "<last name><digits>" from a random user's email:
	// a realistic search that matches a handful of users.
	substring := func(r *rand.Rand) string {
		i := r.IntN(s.n)
		_, last, _ := person(i)
		d := fmt.Sprint(i)
		return last + d[:min(len(d), 3)]
	}
	return map[string]request{
		"get": func(r *rand.Rand) (*http.Request, error) { return get("/v1/users/" + s.ids[r.IntN(s.n)]) },
		"create": func(r *rand.Rand) (*http.Request, error) {
			body, _ := json.Marshal(map[string]any{
				"email_address":             []string{fmt.Sprintf("new%d-%d@bench.example.com", created.Add(1), r.Int64())},
				"first_name":                "Bench",
				"skip_password_requirement": true,
			})
			req, err := http.NewRequest("POST", base+"/v1/users", strings.NewReader(string(body)))
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		},
		"list100": func(r *rand.Rand) (*http.Request, error) { return get("/v1/users?limit=100") },
		"email": func(r *rand.Rand) (*http.Request, error) {
			return get("/v1/users?email_address=" + url.QueryEscape(s.emails[r.IntN(s.n)]))
		},
		"query": func(r *rand.Rand) (*http.Request, error) {
			return get("/v1/users?query=" + url.QueryEscape(substring(r)))
		},
		"count_query": func(r *rand.Rand) (*http.Request, error) {
			return get("/v1/users/count?query=" + url.QueryEscape(substring(r)))
		},
	}
}

type result struct {
	count, errors int
	elapsed       time.Duration
	lat           []time.Duration
}

func (r *result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, len(r.lat)*p/100)]
}

// drive runs mk from conc goroutines for dur and collects latencies.
func drive(client *http.Client, mk request, dur time.Duration, conc int) *result {
	return driveWith(client, mk, dur, conc, driveOptions{})
}

type driveOptions struct {
	// minEach: each goroutine goes on past the duration until it has made
	// this many requests (the quick mode's slowest workloads under -race).
	minEach int
	// drain: at the end, the requests in flight are waited for instead of
	// dropped, and counted, so that a server never carries the work of
	// one run into the next (a bcrypt is not stopped by a hang-up).
	drain bool
}

// driveWith is drive with options.
func driveWith(client *http.Client, mk request, dur time.Duration, conc int, o driveOptions) *result {
	minEach := o.minEach
	var mu sync.Mutex
	res := &result{}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	// At the deadline the requests in flight are dropped, as a load
	// generator's end does: the server must not count them as its faults.
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if o.drain {
		ctx = context.Background()
	}
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, seed*7+1))
			var lat []time.Duration
			errors := 0
			for made := 0; time.Now().Before(deadline) || made < minEach; made++ {
				req, err := mk(r)
				if err != nil {
					errors++
					continue
				}
				rctx := ctx
				if made < minEach {
					rctx = context.Background()
				}
				t0 := time.Now()
				resp, err := client.Do(req.WithContext(rctx))
				if err != nil {
					if rctx.Err() != nil {
						break
					}
					errors++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errors++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errors += errors
			mu.Unlock()
		}(uint64(time.Now().UnixNano()) + uint64(w))
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.count = len(res.lat)
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res
}
