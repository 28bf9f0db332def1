// Package server assembles Concierge's HTTP surfaces behind one handler
// with request IDs, structured access logs and panic recovery, and runs
// it with a graceful shutdown.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/frontendapi"
	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/metrics"
	"github.com/conciergehq/concierge/internal/respond"
)

// Pinger reports whether the database answers (liveness), and whether
// it does with this build's schema (readiness).
type Pinger interface {
	Ping(ctx context.Context) error
	Ready(ctx context.Context) error
}

// Config is what the handler is built from.
type Config struct {
	Backend  *backendapi.API
	Frontend *frontendapi.API
	// Pages are the hosted pages (/sign-in, /sign-up, /user), if any.
	Pages http.Handler
	// Dashboard is the operators' UI at /dashboard, if any.
	Dashboard http.Handler
	// Bundles serves Clerk's browser bundles at /npm/, if any.
	Bundles http.Handler
	DB      Pinger
	// Images serves uploaded pictures at /images/, if set.
	Images images.Store
	Log    *slog.Logger
	// Metrics, if set, counts every request and is served at /metrics,
	// to requests bearing MetricsToken when that is set.
	Metrics      *metrics.Metrics
	MetricsToken string
}

// Handler returns the whole server's handler.
func Handler(c Config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", check(c.DB.Ping, "ok"))
	mux.Handle("GET /readyz", check(c.DB.Ready, "ready"))
	if c.Metrics != nil {
		mux.Handle("GET /metrics", c.Metrics.Handler(c.MetricsToken))
	}
	mux.Handle("GET /avatars/{file}", http.HandlerFunc(avatar))
	mux.Handle("GET /avatars/avatar_placeholder/{file}", http.HandlerFunc(avatar))
	if c.Images != nil {
		mux.Handle("GET /images/{file}", images.Handler(c.Images))
	}
	backend := c.Backend.Handler()
	mux.Handle("/v1/", backend)
	if c.Frontend != nil {
		c.Frontend.Backend = backend // for the paths both APIs serve
		c.Frontend.Routes(mux)
	}
	if c.Pages != nil {
		for _, p := range []string{"/sign-in", "/sign-in/", "/sign-up", "/sign-up/", "/user", "/user/", "/sign-out"} {
			mux.Handle(p, c.Pages)
		}
	}
	if c.Bundles != nil {
		mux.Handle("GET /npm/", c.Bundles)
	}
	if c.Dashboard != nil {
		mux.Handle("/dashboard", c.Dashboard)
		mux.Handle("/dashboard/", c.Dashboard)
	}
	mux.Handle("/", backendapi.Fallback(mux))
	return withRequest(c.Log, c.Metrics, bodyDeadline(backendapi.CleanParams(frontendapi.Tunnel(mux)), JSONBody, UploadBody))
}

// check answers 200 {"status": ok} when probe succeeds within 2 s, else
// 503 {"status": "unavailable"}, logging why (not telling the prober).
func check(probe func(context.Context) error, ok string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := probe(ctx); err != nil {
			if respond.Gone(w, r) {
				return
			}
			respond.Logger(r.Context()).Error("health check failed", "path", r.URL.Path, "err", err)
			respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		respond.JSON(w, http.StatusOK, map[string]string{"status": ok})
	})
}

// statusWriter records the status and size of a response for the log,
// and whether its client went away (respond.Gone, or a failed write).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	gone   bool
}

// Abandon records that the client hung up before the answer.
func (w *statusWriter) Abandon() { w.gone = true }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	if err != nil {
		w.gone = true // net/http's writes fail only when the connection did
	}
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequest gives each request an ID (echoed in Clerk-Trace-Id), logs
// one line when it ends, and turns a panic into a logged 500. The query
// string is not logged: it may hold email addresses.
func withRequest(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := newRequestID()
		reqLog := log.With("request_id", rid)
		r = r.WithContext(respond.WithRequest(r.Context(), rid, reqLog))
		w.Header().Set("Clerk-Trace-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				reqLog.Error("panic", "panic", p)
				if sw.status == 0 {
					respond.Error(sw, r, errors.New("panic"))
				}
			}
			status, level := sw.status, slog.LevelInfo
			if sw.gone {
				status = respond.StatusClientClosed
			} else if status >= 500 {
				level = slog.LevelError
			}
			took := time.Since(start)
			reqLog.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int("bytes", sw.bytes),
				slog.Duration("duration", took))
			if m != nil {
				m.Observe(r.Method, r.URL.Path, status, took)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// Run serves h on ln until ctx is done, then stops accepting connections
// and waits up to drain for in-flight requests.
func Run(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
