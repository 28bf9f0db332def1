// Package ratelimit counts requests per key (a client IP) in fixed
// windows: in memory, each process limiting what it serves, or in a
// shared store, so that several processes on one database limit in total.
package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Store counts events for every process on one database.
type Store interface {
	// CountEvent counts one event for key and returns the events counted
	// in key's current window (which starts anew once window has passed)
	// and when that window started.
	CountEvent(ctx context.Context, key string, now time.Time, window time.Duration) (n int, start time.Time, err error)
}

// Limiter allows Limit events per key in each Window.
type Limiter struct {
	Limit  int
	Window time.Duration
	Now    func() time.Time
	// Name tells this limiter's keys from others' in Shared.
	Name string
	// Shared, if set, holds the counts; if it fails, the limiter counts
	// in memory for that event rather than refuse or wave it through.
	Shared Store

	refused atomic.Uint64

	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	n     int
}

// New returns a Limiter of limit events per window.
func New(limit int, w time.Duration) *Limiter {
	return &Limiter{Limit: limit, Window: w, Now: time.Now, windows: map[string]*window{}}
}

// Allow counts an event for key and reports whether it is within the
// limit; if not, retryAfter is when the window ends.
func (l *Limiter) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration) {
	ok, retryAfter = l.allow(ctx, key)
	if !ok {
		l.refused.Add(1)
	}
	return ok, retryAfter
}

// Refused counts the events this limiter refused in this process.
func (l *Limiter) Refused() uint64 { return l.refused.Load() }

func (l *Limiter) allow(ctx context.Context, key string) (bool, time.Duration) {
	now := l.Now()
	if l.Shared != nil {
		n, start, err := l.Shared.CountEvent(ctx, l.Name+" "+key, now, l.Window)
		if err == nil {
			if n > l.Limit {
				return false, start.Add(l.Window).Sub(now)
			}
			return true, 0
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.Window {
		// Forget finished windows, so that the map holds only recent keys.
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.Window {
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.Window {
		w = &window{start: now}
		l.windows[key] = w
	}
	if w.n >= l.Limit {
		return false, w.start.Add(l.Window).Sub(now)
	}
	w.n++
	return true, 0
}
