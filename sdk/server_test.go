package sdk_test

import (
	"github.com/conciergehq/concierge/internal/apptest"
	"testing"

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
	db := dbtest.Open(t, "sqlite")
	srv := apptest.Start(t, db, apptest.Config{Options: app.Options{SecretKey: testKey, EmailDomain: "example.test",
		SMSFrom: "+15005550006"}})
	c, err := sdk.New(sdk.Config{BaseURL: srv.URL, SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return &server{url: srv.URL, app: srv.App, db: db, c: c}
}
