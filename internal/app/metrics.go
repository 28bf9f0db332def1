package app

import (
	"context"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/metrics"
	"github.com/conciergehq/concierge/internal/ratelimit"
	"github.com/conciergehq/concierge/internal/revcache"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// newMetrics is the server's /metrics: its requests (counted by the
// server), and read at each scrape the outbox, this process's delivery
// attempts and rate-limit refusals, and the database pools.
func newMetrics(db *sqlstore.DB, disp *delivery.Dispatcher, limits map[string]*ratelimit.Limiter, users *revcache.Cache, now func() time.Time) *metrics.Metrics {
	m := metrics.New()
	m.Collect(func(ctx context.Context) ([]metrics.Sample, error) {
		queued, oldest, err := db.OutboxStats(ctx)
		if err != nil {
			return nil, err
		}
		age := 0.0
		if oldest > 0 {
			age = max(0, now().Sub(time.UnixMilli(oldest)).Seconds())
		}
		return []metrics.Sample{
			{Name: "concierge_outbox_queued", Help: "Emails and SMS waiting to be sent (all processes).", Type: "gauge", Value: float64(queued)},
			{Name: "concierge_outbox_oldest_age_seconds", Help: "Age of the oldest message waiting (0: none).", Type: "gauge", Value: age},
		}, nil
	})
	m.Collect(func(context.Context) ([]metrics.Sample, error) {
		sent, retried, failed := disp.Attempts()
		const name, help = "concierge_delivery_attempts_total", "This process's delivery attempts, by outcome (retry: failed, to be tried again; failed: given up)."
		return []metrics.Sample{
			{Name: name, Help: help, Type: "counter", Labels: map[string]string{"outcome": "sent"}, Value: float64(sent)},
			{Name: name, Help: help, Type: "counter", Labels: map[string]string{"outcome": "retry"}, Value: float64(retried)},
			{Name: name, Help: help, Type: "counter", Labels: map[string]string{"outcome": "failed"}, Value: float64(failed)},
		}, nil
	})
	m.Collect(func(context.Context) ([]metrics.Sample, error) {
		var out []metrics.Sample
		for name, l := range limits {
			out = append(out, metrics.Sample{Name: "concierge_rate_limited_total", Help: "Requests this process refused for a rate limit, by limit.",
				Type: "counter", Labels: map[string]string{"limit": name}, Value: float64(l.Refused())})
		}
		return out, nil
	})
	m.Collect(func(context.Context) ([]metrics.Sample, error) {
		var out []metrics.Sample
		for pool, s := range db.PoolStats() {
			l := map[string]string{"pool": pool}
			out = append(out,
				metrics.Sample{Name: "concierge_db_connections_open", Help: "Open database connections.", Type: "gauge", Labels: l, Value: float64(s.OpenConnections)},
				metrics.Sample{Name: "concierge_db_connections_in_use", Help: "Database connections in use.", Type: "gauge", Labels: l, Value: float64(s.InUse)},
				metrics.Sample{Name: "concierge_db_connections_max", Help: "The pool's bound.", Type: "gauge", Labels: l, Value: float64(s.MaxOpenConnections)},
				metrics.Sample{Name: "concierge_db_waits_total", Help: "Times a request waited for a free connection.", Type: "counter", Labels: l, Value: float64(s.WaitCount)},
				metrics.Sample{Name: "concierge_db_wait_seconds_total", Help: "Time spent waiting for a free connection.", Type: "counter", Labels: l, Value: s.WaitDuration.Seconds()})
		}
		return out, nil
	})
	m.Collect(func(context.Context) ([]metrics.Sample, error) {
		st := users.Stats()
		const name, help = "concierge_user_cache_reads_total", "Backend API user reads that found a rendered copy at the user's revision (hit) or not (miss)."
		return []metrics.Sample{
			{Name: "concierge_user_cache_bytes", Help: "Bytes of rendered users kept (CONCIERGE_USER_CACHE bounds them).", Type: "gauge", Value: float64(st.Bytes)},
			{Name: "concierge_user_cache_entries", Help: "Rendered users kept.", Type: "gauge", Value: float64(st.Entries)},
			{Name: name, Help: help, Type: "counter", Labels: map[string]string{"outcome": "hit"}, Value: float64(st.Hits)},
			{Name: name, Help: help, Type: "counter", Labels: map[string]string{"outcome": "miss"}, Value: float64(st.Misses)},
		}, nil
	})
	return m
}
