package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
)

// serverTally counts what the server's log says of the run: its access
// log's statuses by class, and the lines logged as errors. Each run ends
// by dropping its connections in flight, as load generators do; those
// requests must show as 499s (client closed), not as 5xx or errors.
type serverTally struct {
	requests, closed, fivexx, errors atomic.Int64
	// show, if set, receives the first error lines.
	show io.Writer
}

func (s *serverTally) String() string {
	return fmt.Sprintf("server log: %d requests, %d 5xx, %d client-closed (499), %d error lines",
		s.requests.Load(), s.fivexx.Load(), s.closed.Load(), s.errors.Load())
}

// handler formats nothing: it only counts.
func (s *serverTally) handler() slog.Handler { return tallyHandler{s} }

type tallyHandler struct{ s *serverTally }

func (h tallyHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h tallyHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		// The first few are shown, to say what went wrong.
		if h.s.errors.Add(1) <= 5 && h.s.show != nil {
			var b strings.Builder
			fmt.Fprintf(&b, "server error: %s", r.Message)
			r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
			fmt.Fprintln(h.s.show, b.String())
		}
	}
	if r.Message != "request" {
		return nil
	}
	h.s.requests.Add(1)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "status" {
			return true
		}
		switch st := a.Value.Int64(); {
		case st == 499:
			h.s.closed.Add(1)
		case st >= 500:
			h.s.fivexx.Add(1)
		}
		return false
	})
	return nil
}

func (h tallyHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h tallyHandler) WithGroup(string) slog.Handler      { return h }
