// Package metrics counts what the server does and writes it in
// Prometheus's text exposition format at /metrics: requests by route,
// method and status with latency histograms, and whatever the wiring
// adds as scrape-time samples (outbox depth, deliveries, rate-limit
// refusals, database pools).
//
// It is written on the standard library: the format is a few lines of
// text per series, and Prometheus's client library would bring a dozen
// modules for what is here a map and a mutex.
package metrics

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// buckets are the latency histogram's upper bounds, in seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// maxRoutes bounds the route label's values: past it, new paths count
// as "other", so that a scan of random paths cannot grow memory.
const maxRoutes = 500

// Sample is one value of a gauge or counter read at scrape time.
type Sample struct {
	Name, Help, Type string // Type: "gauge" or "counter"
	Labels           map[string]string
	Value            float64
}

// Collector reads samples at scrape time.
type Collector func(ctx context.Context) ([]Sample, error)

// Metrics is the server's set. The zero value is not usable: use New.
type Metrics struct {
	mu         sync.Mutex
	routes     map[string]bool
	requests   map[reqKey]uint64
	latency    map[latKey]*histogram
	collectors []Collector
}

type reqKey struct{ route, method, status string }
type latKey struct{ route, method string }

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

// New returns an empty set.
func New() *Metrics {
	return &Metrics{routes: map[string]bool{}, requests: map[reqKey]uint64{}, latency: map[latKey]*histogram{}}
}

// Collect adds a scrape-time source of samples.
func (m *Metrics) Collect(c Collector) {
	m.mu.Lock()
	m.collectors = append(m.collectors, c)
	m.mu.Unlock()
}

// Observe counts one answered request.
func (m *Metrics) Observe(method, path string, status int, d time.Duration) {
	route, method := Route(path), Method(method)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.routes[route] {
		if len(m.routes) >= maxRoutes {
			route = "other"
		}
		m.routes[route] = true
	}
	m.requests[reqKey{route, method, strconv.Itoa(status)}]++
	h := m.latency[latKey{route, method}]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.latency[latKey{route, method}] = h
	}
	if i, _ := slices.BinarySearch(buckets, d.Seconds()); i < len(buckets) {
		h.counts[i]++
	}
	h.sum += d.Seconds()
	h.n++
}

// Method is the method label: HTTP's own methods as they are, any other
// token a client sends as "other", so that random methods cannot grow
// the series (routes × methods × statuses) without bound.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// Route is path with its IDs replaced by {id}: the route label, of few
// values whatever the IDs.
func Route(path string) string {
	if !strings.Contains(path, "_") && !strings.ContainsAny(path, "0123456789") {
		return path
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if isID(p) {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// isID: a prefixed ID (user_2bV…, sess_…, and the like), a number, or
// anything long enough to be a token or digest.
func isID(s string) bool {
	if len(s) >= 24 {
		return true
	}
	if pre, rest, ok := strings.Cut(s, "_"); ok && pre != "" && len(rest) >= 8 && !strings.Contains(rest, "_") {
		return true
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Handler serves the set; if token is set, only to a request bearing
// it (Authorization: Bearer <token>).
func (m *Metrics) Handler(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "Unauthorized: give the metrics token.", http.StatusUnauthorized)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.Write(ctx, w)
	})
}

// Write writes every series in the text format. A collector that fails
// is reported as concierge_scrape_errors_total, not as an empty scrape.
func (m *Metrics) Write(ctx context.Context, w io.Writer) {
	m.mu.Lock()
	reqs := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		reqs = append(reqs, k)
	}
	sort.Slice(reqs, func(i, j int) bool {
		a, b := reqs[i], reqs[j]
		return a.route+a.method+a.status < b.route+b.method+b.status
	})
	var b strings.Builder
	b.WriteString("# HELP concierge_http_requests_total Requests answered, by route (IDs as {id}), method and status (499: the client hung up).\n")
	b.WriteString("# TYPE concierge_http_requests_total counter\n")
	for _, k := range reqs {
		fmt.Fprintf(&b, "concierge_http_requests_total{route=%s,method=%s,status=%s} %d\n",
			quote(k.route), quote(k.method), quote(k.status), m.requests[k])
	}
	lats := make([]latKey, 0, len(m.latency))
	for k := range m.latency {
		lats = append(lats, k)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i].route+lats[i].method < lats[j].route+lats[j].method })
	b.WriteString("# HELP concierge_http_request_duration_seconds Time to answer, by route and method.\n")
	b.WriteString("# TYPE concierge_http_request_duration_seconds histogram\n")
	for _, k := range lats {
		h := m.latency[k]
		labels := "route=" + quote(k.route) + ",method=" + quote(k.method)
		var cum uint64
		for i, le := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "concierge_http_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", labels, le, cum)
		}
		fmt.Fprintf(&b, "concierge_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.n)
		fmt.Fprintf(&b, "concierge_http_request_duration_seconds_sum{%s} %g\n", labels, h.sum)
		fmt.Fprintf(&b, "concierge_http_request_duration_seconds_count{%s} %d\n", labels, h.n)
	}
	collectors := m.collectors
	m.mu.Unlock()

	var samples []Sample
	failed := 0
	for _, c := range collectors {
		s, err := c(ctx)
		if err != nil {
			failed++
			continue
		}
		samples = append(samples, s...)
	}
	seen := map[string]bool{}
	for _, s := range samples {
		if !seen[s.Name] {
			seen[s.Name] = true
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", s.Name, s.Help, s.Name, s.Type)
		}
		b.WriteString(s.Name)
		if len(s.Labels) > 0 {
			keys := make([]string, 0, len(s.Labels))
			for k := range s.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(k + "=" + quote(s.Labels[k]))
			}
			b.WriteByte('}')
		}
		fmt.Fprintf(&b, " %g\n", s.Value)
	}
	b.WriteString("# HELP concierge_scrape_errors_total Sources that could not be read for this scrape.\n")
	b.WriteString("# TYPE concierge_scrape_errors_total gauge\n")
	fmt.Fprintf(&b, "concierge_scrape_errors_total %d\n", failed)
	io.WriteString(w, b.String())
}

// quote is a label value in the format's quotes and escapes.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
