// Package express_test runs Clerk's Express quick-start (server.js here:
// express 5, @clerk/express 2, pinned by package-lock.json) with node
// against a real Concierge: a session token as a Bearer header, and a
// browser's page load authenticated by cookie through the handshake.
package express_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/sdk"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	// MandatoryEnv makes a missing node_modules or browser a failure
	// instead of a skip (CI).
	MandatoryEnv  = "CONCIERGE_TEST_EXPRESS"
	secretKey     = "sk_test_expressexpressexpressexpress"
	aliceEmail    = "alice@example.com"
	alicePassword = "correct horse battery"
)

// env is a Concierge and the Express app pointed at it, both on
// 127.0.0.1, with a user.
type env struct {
	t     *testing.T
	srv   *apptest.Server
	rec   *browsertest.Recorder
	app   string
	alice string
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	if _, err := os.Stat("node_modules/@clerk/express/package.json"); err != nil {
		browsertest.Skip(t, MandatoryEnv, "e2e/express/node_modules is missing (run npm ci in e2e/express)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		browsertest.Skip(t, MandatoryEnv, "node is not installed")
	}
	port := browsertest.FreePort(t)
	appURL := "http://127.0.0.1:" + port
	rec := &browsertest.Recorder{}
	srv := apptest.Start(t, dbtest.Open(t, engine), apptest.Config{Wrap: rec.Wrap,
		Options: app.Options{SecretKey: secretKey, AllowedOrigins: []string{appURL}}})
	// Registered before the app starts, so that it runs after the app
	// stopped: the record is complete.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Concierge served:\n  %s", rec)
		}
	})
	e := &env{t: t, srv: srv, rec: rec, app: appURL}
	e.start(port,
		"CLERK_PUBLISHABLE_KEY="+sdk.PublishableKeyFor(srv.URL, false),
		"CLERK_SECRET_KEY="+secretKey,
		"CLERK_API_URL="+srv.URL,
		// The handshake goes to https://<key's host> unless the Frontend
		// API is given with its scheme.
		"CLERK_PROXY_URL="+srv.URL,
		// requireAuth() sends signed-out users to Concierge's hosted page.
		"CLERK_SIGN_IN_URL="+srv.URL+"/sign-in",
		"CLERK_TELEMETRY_DISABLED=1")

	pw, first := alicePassword, "Alice"
	u, err := srv.App.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{aliceEmail},
		Password: &pw, FirstName: &first})
	if err != nil {
		t.Fatal(err)
	}
	e.alice = u.ID
	return e
}

// start runs `node server.js` on 127.0.0.1:port and waits until it
// listens; it stops at cleanup, its output logged if the test failed.
func (e *env) start(port string, vars ...string) {
	cmd := exec.Command("node", "server.js")
	cmd.Env = append(browsertest.Environ("CLERK_", "NODE_OPTIONS="),
		append([]string{"HOST=127.0.0.1", "PORT=" + port, "NODE_ENV=production"}, vars...)...)
	p := browsertest.StartProcess(e.t, "node server.js", cmd)
	if err := p.WaitListen("127.0.0.1:"+port, 30*time.Second); err != nil {
		e.t.Fatal(err)
	}
}

// backend calls Concierge's Backend API with the secret key.
func (e *env) backend(method, path string, body, out any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+secretKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
}

// get calls the app (no redirects followed) with optional headers, and
// returns the status and body.
func (e *env) get(path string, header ...string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.app+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestBearer: a session token minted through the Backend API (as a
// mobile app or another service would hold one) authenticates API calls
// to the Express app; without one, or with a forged one, they are 401.
func TestBearer(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		var sess struct{ ID string }
		e.backend("POST", "/v1/sessions", map[string]string{"user_id": e.alice}, &sess)
		var tok struct{ JWT string }
		e.backend("POST", "/v1/sessions/"+sess.ID+"/tokens", map[string]any{}, &tok)
		if sess.ID == "" || tok.JWT == "" {
			t.Fatalf("session %q token %q", sess.ID, tok.JWT)
		}

		status, body := e.get("/api/protected", "Authorization", "Bearer "+tok.JWT)
		var got struct{ UserID, SessionID string }
		if err := json.Unmarshal([]byte(body), &got); err != nil || status != http.StatusOK ||
			got.UserID != e.alice || got.SessionID != sess.ID {
			t.Fatalf("/api/protected with the token: %d %s, want user %s session %s", status, body, e.alice, sess.ID)
		}
		var me struct {
			UserID          string `json:"userId"`
			SessionID       string `json:"sessionId"`
			TokenType       string `json:"tokenType"`
			IsAuthenticated bool   `json:"isAuthenticated"`
			SessionClaims   struct {
				Iss string `json:"iss"`
			} `json:"sessionClaims"`
		}
		_, body = e.get("/api/me", "Authorization", "Bearer "+tok.JWT)
		if err := json.Unmarshal([]byte(body), &me); err != nil || me.UserID != e.alice || me.SessionID != sess.ID ||
			me.TokenType != "session_token" || !me.IsAuthenticated || me.SessionClaims.Iss != e.srv.URL {
			t.Fatalf("/api/me with the token: %v %s", err, body)
		}

		// A bare token is accepted too (Clerk's SDK reads either).
		if status, body := e.get("/api/protected", "Authorization", tok.JWT); status != http.StatusOK {
			t.Fatalf("/api/protected with a bare token: %d %s", status, body)
		}
		if status, body := e.get("/api/protected"); status != http.StatusUnauthorized {
			t.Fatalf("/api/protected without a token: %d %s", status, body)
		}
		// Another signature: the SDK checks it against Concierge's JWKS.
		parts := strings.Split(tok.JWT, ".")
		forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		if status, body := e.get("/api/protected", "Authorization", "Bearer "+forged); status != http.StatusUnauthorized {
			t.Fatalf("/api/protected with a forged token: %d %s", status, body)
		}
		if e.rec.Count("GET /v1/jwks") == 0 {
			t.Fatalf("the SDK never fetched Concierge's JWKS:\n  %s", e.rec)
		}
	})
}
