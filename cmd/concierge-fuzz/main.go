// Command concierge-fuzz sends malformed requests to every route of a
// running Concierge and reports every answer of 500 or more, and every
// connection the server reset or left hanging: a 500 a client can
// provoke is a bug.
//
// Every route comes from the route tables themselves (the Backend API,
// the Frontend API, the dashboard) and the server's own few. Before and
// during the run it makes real resources (users, an organization, a
// signed-in client …) so that the mutated requests carry IDs that exist.
// Request i depends only on -seed and i: a failure is reported with its
// number, and -replay sends that request again.
//
//	concierge-fuzz -url http://127.0.0.1:8080 -secret-key sk_test_… -n 2000
//	concierge-fuzz -url … -secret-key … -duration 10m -c 8
//
// Run it against a throwaway instance: it changes settings, creates and
// deletes users, and queues email to example.com addresses.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// config is the run's settings (the flags).
type config struct {
	url       string
	secretKey string
	// appOrigin is an application origin the Frontend API allows
	// (CONCIERGE_ALLOWED_ORIGINS), for browser-like calls.
	appOrigin                       string
	operatorEmail, operatorPassword string
	seed                            uint64
	n                               int
	duration                        time.Duration
	concurrency                     int
	timeout                         time.Duration
	replay                          int64
	// nonce tells this run's fixtures from an earlier run's.
	nonce string
	// only keeps the routes whose pattern contains it.
	only    string
	verbose bool
}

// origin is the server's own origin (for the dashboard's forms).
func (c *config) origin() string {
	u, err := url.Parse(c.url)
	if err != nil {
		return c.url
	}
	return u.Scheme + "://" + u.Host
}

// routes are the run's routes: all, or those -route names.
func (c *config) routes() []route {
	var out []route
	for _, r := range allRoutes() {
		if strings.Contains(strings.TrimSpace(r.method+" "+r.path), c.only) {
			out = append(out, r)
		}
	}
	return out
}

func main() {
	var c config
	fs := flag.NewFlagSet("concierge-fuzz", flag.ExitOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the server's base URL")
	fs.StringVar(&c.secretKey, "secret-key", os.Getenv("CONCIERGE_SECRET_KEY"), "a Backend API secret key (default $CONCIERGE_SECRET_KEY)")
	fs.StringVar(&c.appOrigin, "origin", "", "an application origin the Frontend API allows, for browser-like calls")
	fs.StringVar(&c.operatorEmail, "operator-email", "", "a dashboard operator's email, to fuzz the signed-in dashboard")
	fs.StringVar(&c.operatorPassword, "operator-password", os.Getenv("CONCIERGE_FUZZ_OPERATOR_PASSWORD"), "that operator's password (default $CONCIERGE_FUZZ_OPERATOR_PASSWORD)")
	fs.Uint64Var(&c.seed, "seed", 1, "the run's seed: the same seed sends the same requests")
	fs.IntVar(&c.n, "n", 0, "requests to send (0: until -duration, or 2000 when neither is set)")
	fs.DurationVar(&c.duration, "duration", 0, "how long to run (the long mode: e.g. 10m)")
	fs.IntVar(&c.concurrency, "c", 4, "requests in flight")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Second, "how long a request may take before it counts as a hang (above the server's 10 s body deadline)")
	fs.Int64Var(&c.replay, "replay", -1, "send only request number N of the seed's sequence, and show the answer")
	fs.StringVar(&c.only, "route", "", "fuzz only the routes whose pattern contains this (\"/v1/me\", \"PATCH /v1/users/\")")
	fs.BoolVar(&c.verbose, "v", false, "print every request's status, and every failure in full as it happens")
	fs.Parse(os.Args[1:])
	if c.secretKey == "" {
		fmt.Fprintln(os.Stderr, "concierge-fuzz: -secret-key (or CONCIERGE_SECRET_KEY) is required")
		os.Exit(2)
	}
	c.url = strings.TrimSuffix(c.url, "/")
	c.nonce = strconv.FormatInt(time.Now().Unix()%1e6, 36)
	if c.n == 0 && c.duration == 0 {
		c.n = 2000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if c.replay >= 0 {
		os.Exit(replay(ctx, &c, os.Stdout))
	}
	rep, err := run(ctx, &c, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "concierge-fuzz:", err)
		os.Exit(2)
	}
	rep.print(os.Stdout)
	if len(rep.failures) > 0 {
		os.Exit(1)
	}
}

// replay sends one request of the sequence and prints it with its answer.
func replay(ctx context.Context, c *config, out io.Writer) int {
	fx := &fixtures{pools: map[string][]string{}}
	fx.setup(ctx, c, 0)
	g := &generator{seed: c.seed, routes: c.routes(), fx: fx, cfg: c}
	target, _ := url.Parse(c.url)
	q := g.request(uint64(c.replay))
	k := &conn{target: target, timeout: c.timeout}
	o := k.do(ctx, q)
	k.close()
	fmt.Fprintf(out, "request %d (%s):\n%s\n", c.replay, strings.Join(q.mutations, ", "), q.dump())
	fmt.Fprintf(out, "status %d err %v\n%s\n", o.status, o.err, short(string(o.body), 2000))
	if o.status >= 500 || o.err != nil && !o.cut {
		return 1
	}
	return 0
}
