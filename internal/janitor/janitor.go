// Package janitor purges what has outlived its use — finished sign-in
// and sign-up attempts, long-ended sessions, clients left with none,
// expired tokens, nonces and rate-limit windows, audit events past their
// retention — on a schedule, under a lease so that of several processes
// on one database one does it.
package janitor

import (
	"context"
	"log/slog"
	"time"
)

// Policy says how old each kind of thing must be to go.
type Policy struct {
	// Attempts: sign-ins and sign-ups not touched for this long (Clerk
	// abandons them after a day).
	Attempts time.Duration
	// Sessions: sessions ended, revoked, removed, expired or abandoned,
	// and not changed for this long; and then clients with no session
	// left, not changed for this long (development browsers included).
	Sessions time.Duration
	// Expired: tokens, nonces and states this long past their expiry.
	Expired time.Duration
	// Audit: audit events older than this (CONCIERGE_AUDIT_RETENTION);
	// 0 keeps them for ever.
	Audit time.Duration
}

// DefaultAuditRetention is how long audit events are kept unless set: a
// year, long enough to answer "who did this?" about last quarter.
const DefaultAuditRetention = 365 * 24 * time.Hour

// DefaultPolicy keeps a month of ended sessions and a year of audit events.
var DefaultPolicy = Policy{Attempts: 7 * 24 * time.Hour, Sessions: 30 * 24 * time.Hour, Expired: 24 * time.Hour,
	Audit: DefaultAuditRetention}

// Store is what the janitor needs of the database.
type Store interface {
	// AcquireLease takes or renews the lease name for holder until
	// now+d, unless another holder has it; it reports whether holder has it.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, d time.Duration) (bool, error)
	// Purge deletes what p lets go as of now and returns how many rows
	// went, by table.
	Purge(ctx context.Context, now time.Time, p Policy) (map[string]int64, error)
}

// Janitor runs Purge every Interval.
type Janitor struct {
	Store    Store
	Policy   Policy
	Interval time.Duration
	// Holder names this process in the lease.
	Holder string
	Log    *slog.Logger
	Now    func() time.Time
}

const leaseName = "janitor"

// RunOnce purges if this process gets the lease. ran reports whether it
// did; the lease outlives the run, so the next process to try waits for
// the next interval.
func (j *Janitor) RunOnce(ctx context.Context) (purged map[string]int64, ran bool, err error) {
	now := j.Now()
	ok, err := j.Store.AcquireLease(ctx, leaseName, j.Holder, now, j.Interval)
	if err != nil || !ok {
		return nil, false, err
	}
	purged, err = j.Store.Purge(ctx, now, j.Policy)
	return purged, true, err
}

// Run purges a minute after start, then every Interval, until ctx ends.
func (j *Janitor) Run(ctx context.Context) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		purged, ran, err := j.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("janitor: purge failed", "err", err)
		case ran:
			args := []any{}
			for table, n := range purged {
				args = append(args, table, n)
			}
			j.Log.Info("janitor: purged", args...)
		}
		t.Reset(j.Interval)
	}
}
