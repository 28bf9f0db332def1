package browsertest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// StatusWriter is an http.ResponseWriter that remembers the status it
// sent, for middleware that looks at the answer after the handler ran.
type StatusWriter struct {
	http.ResponseWriter
	// Status is the status sent, 0 while nothing has been written.
	Status int
}

// WriteHeader keeps the first status only: net/http ignores later ones.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implies 200, as net/http does when no status was sent.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through, so that wrapping a handler does not stop it from
// streaming.
func (w *StatusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Recorder keeps the requests a server answered, as "METHOD path status":
// the tests count them (did the SDK go through the handshake?) and print
// them when they fail.
type Recorder struct {
	// Omit, if set, leaves out the requests it returns true for (those
	// too many to be useful in a report).
	Omit func(r *http.Request, status int) bool

	mu    sync.Mutex
	calls []string
}

// Wrap records the requests next serves (an apptest.Config's Wrap).
func (rec *Recorder) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if rec.Omit != nil && rec.Omit(r, sw.Status) {
			return
		}
		rec.mu.Lock()
		rec.calls = append(rec.calls, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, sw.Status))
		rec.mu.Unlock()
	})
}

// Count returns how many requests there were to a method and path, given
// as "GET /v1/client/handshake", whatever their status.
func (rec *Recorder) Count(prefix string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, c := range rec.calls {
		if strings.HasPrefix(c, prefix+" ") {
			n++
		}
	}
	return n
}

// String lists the requests, one a line, indented for a failure report.
func (rec *Recorder) String() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.calls, "\n  ")
}
