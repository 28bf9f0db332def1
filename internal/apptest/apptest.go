// Package apptest runs a whole Concierge (router, services, outbox
// dispatcher) on a real database and a loopback port, for the tests of
// every package that talks to it over HTTP.
package apptest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// Server is a running Concierge.
type Server struct {
	// URL is the public URL (Options.PublicURL); Loopback is the same
	// server by its listening address, for clients that cannot resolve
	// Config.Host (they differ only when Host is set).
	URL, Loopback string
	App           *app.App
	// Clock is the sessions' clock (App.API.Sessions.Now).
	Clock *Clock
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
	// Before, if set, adjusts the app (clocks, say) before it serves
	// and its dispatchers run.
	Before func(*app.App)
	// TLS, if set, serves HTTPS with this configuration (its
	// Certificates; else httptest's) and the public URL is https.
	TLS *tls.Config
	// Host, if set, names the server in the public URL instead of
	// 127.0.0.1 (the listener stays on 127.0.0.1:<port>; the clients
	// map the name there, e.g. Chromium's --host-resolver-rules).
	Host string
}

// Suites that start servers hash at bcrypt's minimum cost (see
// password.Cost); benchmarks of sign-in restore password.DefaultCost.
func init() { password.Cost = bcrypt.MinCost }

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
	scheme, host := "http://", ln.Addr().String()
	if c.TLS != nil {
		scheme = "https://"
	}
	if c.Host != "" {
		_, port, _ := net.SplitHostPort(host)
		host = net.JoinHostPort(c.Host, port)
	}
	o.PublicURL = scheme + host
	// The new-device check (on for a new instance) would add an email
	// code to every password sign-in of a fresh test browser: tests of
	// other flows start without it, the check's own tests turn it on.
	if _, set := o.Settings[instance.ClientTrust]; !set {
		settings := map[string]string{instance.ClientTrust: "false"}
		for k, v := range o.Settings {
			settings[k] = v
		}
		o.Settings = settings
	}
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
	clock := &Clock{}
	a.API.Sessions.Now = clock.Now
	if c.Before != nil {
		c.Before(a)
	}
	var h http.Handler = a.Handler
	if c.Wrap != nil {
		h = c.Wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	if c.TLS != nil {
		srv.TLS = c.TLS
		srv.StartTLS()
	} else {
		srv.Start()
	}

	d := a.Dispatcher
	d.BaseDelay, d.MaxDelay, d.Poll, d.MaxAttempts = 10*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond, 50
	dctx, dstop := context.WithCancel(context.Background())
	done, hooksDone := make(chan struct{}), make(chan struct{})
	a.Webhooks.Poll = 20 * time.Millisecond
	if c.NoDispatcher {
		close(done)
		close(hooksDone)
	} else {
		go func() { defer close(done); d.Run(dctx) }()
		go func() { defer close(hooksDone); a.Webhooks.Run(dctx) }()
	}
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close(); dstop(); <-done; <-hooksDone }) }
	t.Cleanup(stop)
	return &Server{URL: o.PublicURL, Loopback: srv.URL, App: a, Clock: clock, Stop: stop}
}
