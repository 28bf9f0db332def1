package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	testKey      = "sk_test_fuzz0123456789abcdefghijklmnop"
	testOrigin   = "http://app.fuzz.test"
	testOperator = "operator@example.com"
	testPassword = "fuzz operator password"
)

// errorLog keeps the server's ERROR records: a request the fuzzer sends
// may be refused, never make the server log an error.
type errorLog struct {
	mu   sync.Mutex
	recs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs(as []slog.Attr) slog.Handler { return &attrLog{l, as} }
func (l *errorLog) WithGroup(string) slog.Handler         { return l }

// attrLog is errorLog with a logger's attributes (the request ID).
type attrLog struct {
	*errorLog
	attrs []slog.Attr
}

func (l *attrLog) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(l.attrs...)
	return l.errorLog.Handle(ctx, r)
}
func (l *attrLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &attrLog{l.errorLog, append(append([]slog.Attr{}, l.attrs...), as...)}
}

// TestQuick is the quick mode CI runs on every engine: a few thousand
// mutated requests over every route, and not one answer of 500 or more,
// reset connection, hang, or ERROR in the server's log.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the fuzz run takes seconds")
	}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		logs := &errorLog{}
		srv := apptest.Start(t, dbtest.Open(t, engine), apptest.Config{Options: app.Options{SecretKey: testKey,
			AllowedOrigins: []string{testOrigin}, EmailDomain: "concierge.test", SMSFrom: "+15005550006", Log: slog.New(logs),
			// The Frontend API's organization routes, past their switch.
			Settings: map[string]string{instance.Organizations: "true", instance.OrganizationDomains: "true"}}})
		ctx := context.Background()
		if _, err := srv.App.Operators.Create(ctx, testOperator, testPassword); err != nil {
			t.Fatal(err)
		}
		c := &config{url: srv.URL, secretKey: testKey, appOrigin: testOrigin, operatorEmail: testOperator,
			operatorPassword: testPassword, seed: 1, n: 4000, duration: 12 * time.Second, concurrency: 4, timeout: 20 * time.Second}
		rep, err := run(ctx, c, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		rep.print(&out)
		t.Log(out.String())
		if len(rep.failures) > 0 {
			t.Errorf("%d failures", len(rep.failures))
		}
		if rep.requests < 50 {
			t.Errorf("only %d requests", rep.requests)
		}
		logs.mu.Lock()
		defer logs.mu.Unlock()
		for i, r := range logs.recs {
			if i == 20 {
				t.Errorf("… %d more ERROR lines", len(logs.recs)-20)
				break
			}
			t.Errorf("server logged: %s", r)
		}
	})
}
