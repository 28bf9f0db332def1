package backendapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/smtptest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testKey = "sk_test_0123456789abcdefghijklmnopqrstuv"

// env is a running server, with its outbox dispatcher, on a fresh
// database of one engine.
type env struct {
	t           testing.TB
	url         string
	engine      string
	dsn         string
	db          *sqlstore.DB
	app         *app.App
	clock       *apptest.Clock
	users       *clerkuser.Client
	allowlist   *allowlistidentifier.Client
	invitations *invitation.Client
	stop        func()
}

// envConfig is what newEnv's options change.
type envConfig struct {
	dsn      string
	opts     app.Options
	dispatch bool
	before   func(*app.App)
}

type envOption func(*envConfig)

// withSMTP sends email to a test SMTP server.
func withSMTP(s *smtptest.Server) envOption {
	return func(c *envConfig) {
		t, err := delivery.ParseSMTPURL(s.URL(), "concierge.test")
		if err != nil {
			panic(err)
		}
		c.opts.Email = t
	}
}

// withSMS sends SMS through t.
func withSMS(t delivery.Transport) envOption { return func(c *envConfig) { c.opts.SMS = t } }

// withDSN opens an existing database instead of a fresh one.
func withDSN(dsn string) envOption { return func(c *envConfig) { c.dsn = dsn } }

// withSettings sets the environment's instance settings.
func withSettings(kv map[string]string) envOption { return func(c *envConfig) { c.opts.Settings = kv } }

// withOrigins allows application origins (CONCIERGE_ALLOWED_ORIGINS).
func withOrigins(o ...string) envOption { return func(c *envConfig) { c.opts.AllowedOrigins = o } }

// withApp adjusts the app before it serves (clocks, say).
func withApp(fn func(*app.App)) envOption { return func(c *envConfig) { c.before = fn } }

// withoutDispatcher leaves queued messages alone.
func withoutDispatcher() envOption { return func(c *envConfig) { c.dispatch = false } }

func newEnv(t testing.TB, engine string, options ...envOption) *env {
	t.Helper()
	cfg := envConfig{dispatch: true, opts: app.Options{SecretKey: testKey, EmailDomain: "concierge.test",
		SMSFrom: "+15005550006", Log: slog.New(slog.DiscardHandler)}}
	for _, o := range options {
		o(&cfg)
	}
	if cfg.dsn == "" {
		cfg.dsn = dbtest.DSN(t, engine)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlstore.Open(ctx, cfg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, db, apptest.Config{Options: cfg.opts, NoDispatcher: !cfg.dispatch, Before: cfg.before})
	// stop also closes this env's database, so that a second env can
	// open the same one (restart tests).
	stop := func() { srv.Stop(); db.Close() }
	t.Cleanup(stop)

	cc := &clerk.ClientConfig{}
	cc.URL = clerk.String(srv.URL + "/v1")
	cc.Key = clerk.String(testKey)
	cc.HTTPClient = sdkHTTP
	return &env{t: t, url: srv.URL, engine: engine, dsn: cfg.dsn, db: db, app: srv.App, clock: srv.Clock, stop: stop,
		users: clerkuser.NewClient(cc), allowlist: allowlistidentifier.NewClient(cc), invitations: invitation.NewClient(cc)}
}

// do sends a raw request with the test key and returns status and body.
func (e *env) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" && len(b) > 0 {
		e.t.Errorf("%s %s: Content-Type %q, want exactly application/json", method, path, ct)
	}
	return res.StatusCode, b
}

// apiErr asserts err is a Clerk API error with status and code.
func apiErr(t *testing.T, err error, status int, code string) *clerk.APIErrorResponse {
	t.Helper()
	var ae *clerk.APIErrorResponse
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %d %s, got %v", status, code, err)
	}
	if ae.HTTPStatusCode != status || len(ae.Errors) == 0 || ae.Errors[0].Code != code {
		t.Fatalf("want %d %s, got %d %+v", status, code, ae.HTTPStatusCode, ae.Errors)
	}
	if ae.Errors[0].Message == "" || ae.Errors[0].LongMessage == "" {
		t.Fatalf("error lacks message or long_message: %+v", ae.Errors[0])
	}
	return ae
}

// envelope decodes an error body and checks its shape.
func envelope(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Errors []struct {
			Message     string         `json:"message"`
			LongMessage string         `json:"long_message"`
			Code        string         `json:"code"`
			Meta        map[string]any `json:"meta"`
		} `json:"errors"`
		TraceID string `json:"clerk_trace_id"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %q is not an error envelope: %v", status, body, err)
	}
	if status != wantStatus || len(e.Errors) != 1 || e.Errors[0].Code != wantCode {
		t.Fatalf("got %d %s, want %d %s", status, body, wantStatus, wantCode)
	}
	if e.Errors[0].Message == "" || e.Errors[0].LongMessage == "" || e.TraceID == "" {
		t.Fatalf("incomplete envelope: %s", body)
	}
}

func ptr[T any](v T) *T { return &v }

func raw(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}
