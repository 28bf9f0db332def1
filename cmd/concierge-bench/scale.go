package main

import (
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Read scaling (-processes N, PostgreSQL): the same reads against one
// Concierge process and then spread over N processes serving the one
// database, each client's requests going round-robin across them. The
// row for N processes is reported as a multiple of the one-process row
// measured just before it.

// spread is a RoundTripper sending each request to the next of hosts.
type spread struct {
	hosts []string
	next  atomic.Uint64
	rt    http.RoundTripper
}

func (s *spread) RoundTrip(req *http.Request) (*http.Response, error) {
	host := s.hosts[s.next.Add(1)%uint64(len(s.hosts))]
	if req.URL.Host == host {
		return s.rt.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Host, r.Host = host, host
	return s.rt.RoundTrip(r)
}

// scale measures get and email over one process and over n, at each
// client count; first is the process the rest of the run used.
// Its rows and the logs of the processes it starts are added to rep.
func (c ceilingRun) scale(first *child, cfg serveConfig, n int, reqs map[string]request, maxc int, rep *ceilingReport, tally *serveTally) (err error) {
	children := []*child{first}
	defer func() {
		for _, ch := range children[1:] {
			t, serr := ch.stop()
			tally.Requests, tally.FiveXX, tally.Closed, tally.Errors = tally.Requests+t.Requests, tally.FiveXX+t.FiveXX,
				tally.Closed+t.Closed, tally.Errors+t.Errors
			if err == nil && serr != nil {
				err = fmt.Errorf("server process: %w", serr)
			}
		}
	}()
	for len(children) < n {
		ch, err := startChild(cfg)
		if err != nil {
			return err
		}
		children = append(children, ch)
	}
	var hosts []string
	for _, ch := range children {
		u, err := url.Parse(ch.addrs.Concierge)
		if err != nil {
			return err
		}
		hosts = append(hosts, u.Host)
	}
	one := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxc, MaxConnsPerHost: maxc}}
	many := &http.Client{Transport: &spread{hosts: hosts, rt: &http.Transport{MaxIdleConnsPerHost: maxc, MaxConnsPerHost: maxc}}}
	fmt.Fprintf(c.out, "\nreads over %d processes on one database, against the same reads on one\n\n", n)
	fmt.Fprintln(c.out, "| workload | processes | clients | req/s | p50 | p99 | server CPU/req | errors | × one process |")
	fmt.Fprintln(c.out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, clients := range c.clients {
		for _, w := range []string{"get", "email"} {
			if c.only != nil && !c.only[w] {
				continue
			}
			var base float64
			for _, set := range [][]*child{children[:1], children} {
				client := one
				if len(set) > 1 {
					client = many
				}
				row, err := c.measureOn(set, client, reqs[w], w, clients, c.dur)
				if err != nil {
					return err
				}
				rep.rows, rep.errors = append(rep.rows, row), rep.errors+row.res.errors
				times := ""
				if len(set) == 1 {
					base = row.rate()
				} else if base > 0 {
					times = fmt.Sprintf("%.2f ×", row.rate()/base)
				}
				fmt.Fprintf(c.out, "| %s | %d | %d | %.0f | %s | %s | %.0f µs | %d | %s |\n", w, len(set), clients, row.rate(),
					ms(row.res.pct(50)), ms(row.res.pct(99)), float64(row.cpuPer().Nanoseconds())/1000, row.res.errors, times)
			}
		}
	}
	return nil
}

// measureOn is measure with the CPU of every process in set.
func (c ceilingRun) measureOn(set []*child, client *http.Client, mk request, name string, clients int, dur time.Duration) (ceilingRow, error) {
	cpu := func() (time.Duration, error) {
		var sum time.Duration
		for _, ch := range set {
			t, err := ch.cpu()
			if err != nil {
				return 0, err
			}
			sum += t
		}
		return sum, nil
	}
	before, err := cpu()
	if err != nil {
		return ceilingRow{}, err
	}
	res := driveWith(client, mk, dur, clients, driveOptions{minEach: c.minEach, drain: true})
	after, err := cpu()
	if err != nil {
		return ceilingRow{}, err
	}
	return ceilingRow{name: name, clients: clients, res: res, cpu: after - before}, nil
}
