package backendapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/user"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testKey = "sk_test_0123456789abcdefghijklmnopqrstuv"

// env is a running server on a fresh database of one engine.
type env struct {
	t         *testing.T
	url       string
	engine    string
	users     *clerkuser.Client
	allowlist *allowlistidentifier.Client
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	db := dbtest.Open(t, engine)
	api := &backendapi.API{
		Users:     user.NewService(db),
		Allowlist: allowlist.NewService(db),
		Keys:      apikey.NewKeyring(db, testKey),
	}
	srv := httptest.NewUnstartedServer(server.Handler(server.Config{
		Backend: api, DB: db, Log: slog.New(slog.DiscardHandler),
	}))
	// The public URL must be set before the server serves anything.
	api.PublicURL = "http://" + srv.Listener.Addr().String()
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := &clerk.ClientConfig{}
	cfg.URL = clerk.String(srv.URL + "/v1")
	cfg.Key = clerk.String(testKey)
	cfg.HTTPClient = srv.Client()
	return &env{t: t, url: srv.URL, engine: engine, users: clerkuser.NewClient(cfg),
		allowlist: allowlistidentifier.NewClient(cfg)}
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
