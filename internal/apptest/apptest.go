// Package apptest runs a whole Concierge (router, services, outbox
// dispatcher) on a real database and a loopback port, for the tests of
// every package that talks to it over HTTP.
package apptest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// Server is a running Concierge.
type Server struct {
	URL string
	App *app.App
	// Stop shuts the server and its dispatcher down (also at cleanup).
	Stop func()
}

// Config tunes Start.
type Config struct {
	// Options are the app's; PublicURL is set by Start and Log defaults
	// to a discarding logger.
	Options app.Options
	// NoDispatcher leaves queued messages alone.
	NoDispatcher bool
	// Wrap, if set, wraps the handler (to record requests, say).
	Wrap func(http.Handler) http.Handler
}

// Start serves a Concierge on db until the test ends. The dispatcher
// retries fast (10 ms doubling to 100 ms, 50 attempts) and polls every
// 20 ms: the schedule's shape, quicker.
func Start(t testing.TB, db *sqlstore.DB, c Config) *Server {
	t.Helper()
	// The public URL is part of the wiring: listen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options
	o.PublicURL = "http://" + ln.Addr().String()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.New(ctx, db, o)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	var h http.Handler = a.Handler
	if c.Wrap != nil {
		h = c.Wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()

	d := a.Dispatcher
	d.BaseDelay, d.MaxDelay, d.Poll, d.MaxAttempts = 10*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond, 50
	dctx, dstop := context.WithCancel(context.Background())
	done := make(chan struct{})
	if c.NoDispatcher {
		close(done)
	} else {
		go func() { defer close(done); d.Run(dctx) }()
	}
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close(); dstop(); <-done }) }
	t.Cleanup(stop)
	return &Server{URL: srv.URL, App: a, Stop: stop}
}
