package sdk_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/sdk"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testKey = "sk_test_sdksdksdksdksdksdksdksdksdksdksdk"

// server is a real Concierge (router, services, SQLite file) serving
// in-process, and an SDK client pointed at it.
type server struct {
	url string
	app *app.App
	db  *sqlstore.DB
	c   *sdk.Client
}

func start(t testing.TB) *server {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	a, err := app.New(ctx, db, app.Options{PublicURL: url, SecretKey: testKey, EmailDomain: "example.test",
		SMSFrom: "+15005550006", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	dctx, stop := context.WithCancel(ctx)
	a.Dispatcher.Poll = 20 * time.Millisecond
	done := make(chan struct{})
	go func() { defer close(done); a.Dispatcher.Run(dctx) }()
	t.Cleanup(func() { srv.Close(); stop(); <-done })
	c, err := sdk.New(sdk.Config{BaseURL: url, SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return &server{url: url, app: a, db: db, c: c}
}
