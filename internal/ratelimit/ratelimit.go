// Package ratelimit counts requests per key (a client IP) in fixed
// windows, in memory: each process limits what it serves.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows Limit events per key in each Window.
type Limiter struct {
	Limit  int
	Window time.Duration
	Now    func() time.Time

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
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.Now()
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
