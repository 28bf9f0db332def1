package dashboard_test

import (
	"bytes"
	"context"
	"github.com/conciergehq/concierge/internal/apptest"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/user"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const secretKey = "sk_test_dashboarddashboarddashboarddash00"

// env is a running Concierge on a fresh database.
type env struct {
	t   testing.TB
	url string
	app *app.App
	db  *sqlstore.DB
	// logs is what the server logged at info and above.
	logs *lockedBuffer
}

// lockedBuffer is a log sink the server writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t testing.TB, engine string) *env {
	t.Helper()
	db := dbtest.Open(t, engine)
	logs := &lockedBuffer{}
	srv := apptest.Start(t, db, apptest.Config{Options: app.Options{SecretKey: secretKey, EmailDomain: "example.test",
		Log: slog.New(slog.NewTextHandler(logs, nil))}})
	srv.App.Dashboard.SignInLimit = nil
	srv.App.Dispatcher.MaxAttempts = 2 // a failing message fails fast
	return &env{t: t, url: srv.URL, app: srv.App, db: db, logs: logs}
}

// client is an HTTP client with a cookie jar that does not follow
// redirects.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, origin string) (int, string, http.Header) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.e.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (c *client) get(path string) (int, string, http.Header) { return c.do("GET", path, nil, "") }

func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	return c.do("POST", path, form, c.e.url)
}

// signIn makes an operator and signs c in; it returns the CSRF token of
// the session.
func (c *client) signIn(email string) string {
	c.e.t.Helper()
	ctx := context.Background()
	if _, err := c.e.app.Operators.Create(ctx, email, "operator password 1"); err != nil {
		c.e.t.Fatal(err)
	}
	st, _, h := c.post("/dashboard/sign-in", url.Values{"email": {email}, "password": {"operator password 1"}})
	if st != 303 || h.Get("Location") != "/dashboard" {
		c.e.t.Fatalf("sign-in: %d %v", st, h)
	}
	_, body, _ := c.get("/dashboard")
	return between(body, `name="csrf" value="`, `"`)
}

// operator signs a new operator in on c and returns a poster of the
// session's forms (CSRF token included): status and body.
func (c *client) operator(email string) func(path string, form url.Values) (int, string) {
	c.e.t.Helper()
	csrf := c.signIn(email)
	return func(path string, form url.Values) (int, string) {
		c.e.t.Helper()
		form.Set("csrf", csrf)
		st, body, _ := c.post(path, form)
		return st, body
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}

func userParams(email string) user.CreateParams {
	yes := true
	return user.CreateParams{EmailAddresses: []string{email}, SkipPasswordRequirement: &yes}
}
