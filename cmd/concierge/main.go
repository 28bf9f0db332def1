// Command concierge runs the Concierge server: it reads the configuration,
// opens and migrates the database, and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/sdk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "concierge:", err)
		os.Exit(1)
	}
}

// run wires everything by hand and serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "keys" {
		return keysCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backup" {
		return backupCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "bundles" {
		return bundlesCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "import" {
		return importCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "export" {
		return exportCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "operators" {
		return operatorsCommand(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	}
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	db, err := openDB(openCtx, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()

	if err := bootstrapKey(ctx, db, cfg, stdout); err != nil {
		return err
	}

	opts, err := app.OptionsFrom(cfg, log)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, db, opts)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("CONCIERGE_TLS_CERT/CONCIERGE_TLS_KEY: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"}})
	}
	// Other processes may rotate or retire signing keys: reload them.
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.Keys.Refresh(ctx); err != nil && ctx.Err() == nil {
					log.Error("reloading signing keys failed", "err", err)
				}
			}
		}
	}()
	// The dispatcher starts with the server and resumes whatever a
	// previous run left queued; on shutdown it finishes the sends in
	// flight after the HTTP server has drained.
	dispCtx, stopDisp := context.WithCancel(context.WithoutCancel(ctx))
	dispDone := make(chan struct{})
	hooksDone := make(chan struct{})
	go func() { defer close(dispDone); a.Dispatcher.Run(dispCtx) }()
	go func() { defer close(hooksDone); a.Webhooks.Run(dispCtx) }()
	janitorDone := make(chan struct{})
	go func() { defer close(janitorDone); a.Janitor.Run(dispCtx) }()
	defer func() { stopDisp(); <-dispDone; <-hooksDone; <-janitorDone }()

	log.Info("concierge listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "database", db.Engine(),
		"instance", cfg.InstanceType(), "publishable_key", sdk.PublishableKeyFor(cfg.PublicURL, cfg.Production),
		"email", transportName(a.Dispatcher.Email), "sms", transportName(a.Dispatcher.SMS))
	// What start-up allocated (migrations, settings, prepared statements)
	// is garbage now: hand its pages back rather than carry them idle.
	go debug.FreeOSMemory()
	return server.Run(ctx, ln, a.Handler, cfg.ShutdownTimeout, log)
}

func transportName(t delivery.Transport) string {
	if n := t.Name(); n != "outbox" {
		return n
	}
	return "development outbox (log)"
}

// bootstrapKey makes the first secret key when none is configured or
// stored, and prints it once: only its hash is kept.
func bootstrapKey(ctx context.Context, db *sqlstore.DB, cfg config.Config, stdout io.Writer) error {
	if cfg.SecretKey != "" {
		return nil
	}
	keys, err := db.ActiveSecretKeys(ctx)
	if err != nil {
		return fmt.Errorf("secret keys: %w", err)
	}
	if len(keys) > 0 {
		return nil
	}
	key := apikey.GenerateFor(cfg.Production)
	if err := db.CreateSecretKey(ctx, apikey.NewKey(key, time.Now())); err != nil {
		return fmt.Errorf("secret keys: %w", err)
	}
	fmt.Fprintf(stdout, "Created the instance's secret key (shown only this once; store it safely):\n\n    %s\n\n", key)
	fmt.Fprintf(stdout, "Use it as a bearer token: curl -H 'Authorization: Bearer %s' %s/v1/users\n\n", key, cfg.PublicURL)
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database with its engine settings.
func openDB(ctx context.Context, cfg config.Config) (*sqlstore.DB, error) {
	return sqlstore.OpenWith(ctx, cfg.Database, sqlstore.Options{Synchronous: cfg.SQLiteSynchronous, CacheBytes: cfg.SQLiteCache, MmapBytes: config.Option(cfg.SQLiteMmap)})
}
