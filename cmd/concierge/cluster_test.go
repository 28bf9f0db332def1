package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/smtptest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

const (
	clusterKey    = "sk_test_clusterclusterclustercluster012345"
	clusterOrigin = "http://app.example.test"
)

// node is one Concierge process started by a test.
type node struct {
	cmd *exec.Cmd
	url string
	log *syncBuffer
}

// startNode starts the binary with env added to this process's
// environment and waits until it is healthy.
func startNode(t *testing.T, bin string, env ...string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"CONCIERGE_ADDR=" + addr, "CONCIERGE_LOG_LEVEL=warn",
		"CONCIERGE_SMS_WEBHOOK_URL=", "CONCIERGE_TWILIO_ACCOUNT_SID="}, env...)...)
	n := &node{cmd: cmd, url: "http://" + addr, log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = io.Discard, n.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHealthy(t, n.url)
	return n
}

// roundRobin is the load balancer in front of a cluster: each request
// goes to the next process in turn.
func roundRobin(nodes []*node) http.Handler {
	var next atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(nodes))
	for i, n := range nodes {
		u, _ := url.Parse(n.url)
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[next.Add(1)%uint64(len(proxies))].ServeHTTP(w, r)
	})
}

// api sends a Backend API request with the cluster's key and decodes
// the answer.
func api(t *testing.T, key, method, u, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, http.DefaultClient, req)
}

func send(t *testing.T, c *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if json.Unmarshal(raw, &out) != nil {
		out["raw"] = string(raw)
	}
	return res.StatusCode, out
}

// frontend is a browser of the application: a cookie jar and its origin.
type frontend struct {
	t      *testing.T
	client *http.Client
}

func newFrontend(t *testing.T) *frontend {
	jar, _ := cookiejar.New(nil)
	return &frontend{t: t, client: &http.Client{Jar: jar}}
}

// call posts form to base+path as clerk-js does. The jar's cookies are
// per host, not per port, so the browser is one client on every process.
func (f *frontend) call(base, path string, form url.Values) (int, map[string]any) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", base+path+"?__clerk_api_version=2026-08-20&_clerk_js_version=6.40.0", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", clusterOrigin)
	return send(f.t, f.client, req)
}

// within polls ok every 5 ms for up to 100 ms.
func within(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(100 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen by every process within 100 ms", what)
		}
	}
}

// TestCluster runs three Concierge processes on one PostgreSQL database
// behind a round-robin balancer. A session revoked through one mints no
// token through the others; a secret key created or revoked, a signing
// key rotated and a setting changed are seen by all three within 100 ms
// (LISTEN/NOTIFY, though each caches them); sign-in limits hold in total,
// not per process; the outbox sends each email exactly once.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if os.Getenv(dbtest.EnvVar) == "" {
		t.Skip(dbtest.EnvVar + " is not set: PostgreSQL not tested")
	}
	_, bin := build(t)
	mail := smtptest.Start(t)
	dsn := dbtest.DSN(t, sqlstore.Postgres)
	env := []string{"CONCIERGE_DATABASE=" + dsn, "CONCIERGE_SECRET_KEY=" + clusterKey, "CONCIERGE_SMTP_URL=" + mail.URL(),
		"CONCIERGE_ALLOWED_ORIGINS=" + clusterOrigin, "CONCIERGE_CLIENT_TRUST=false", "CONCIERGE_EMAIL_DOMAIN=concierge.test"}
	// The first process migrates the database; the others find it current.
	nodes := []*node{startNode(t, bin, env...)}
	nodes = append(nodes, startNode(t, bin, env...), startNode(t, bin, env...))
	lb := &http.Server{Handler: roundRobin(nodes)}
	lbAddr := freeAddr(t)
	go listenAndServe(lb, lbAddr)
	t.Cleanup(func() { lb.Close() })
	front := "http://" + lbAddr
	waitHealthy(t, front)

	if st, out := api(t, clusterKey, "POST", front+"/v1/users", `{"email_address":["ada@example.com"],"password":"a long enough password"}`); st != 200 {
		t.Fatalf("create user: %d %v", st, out)
	}

	// A session: signed in through one process, its tokens minted by each.
	b := newFrontend(t)
	st, out := b.call(front, "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"a long enough password"}})
	resp, _ := out["response"].(map[string]any)
	sid, _ := resp["created_session_id"].(string)
	if st != 200 || sid == "" {
		t.Fatalf("sign-in through the balancer: %d %v", st, out)
	}
	for _, n := range nodes {
		if st, out := b.call(n.url, "/v1/client/sessions/"+sid+"/tokens", nil); st != 200 {
			t.Fatalf("token from %s: %d %v", n.url, st, out)
		}
	}
	if st, out := api(t, clusterKey, "POST", nodes[0].url+"/v1/sessions/"+sid+"/revoke", ""); st != 200 {
		t.Fatalf("revoke: %d %v", st, out)
	}
	for _, n := range nodes[1:] {
		if st, out := b.call(n.url, "/v1/client/sessions/"+sid+"/tokens", nil); st < 400 || st >= 500 {
			t.Fatalf("a token from a session revoked elsewhere, through %s: %d %v", n.url, st, out)
		}
	}

	// Secret keys, written to the database by another process (as the
	// dashboard of any of them would).
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	everyNode := func(what, key, path string, want int) {
		t.Helper()
		within(t, what, func() bool {
			for _, n := range nodes {
				if st, _ := api(t, key, "GET", n.url+path, ""); st != want {
					return false
				}
			}
			return true
		})
	}
	everyNode("a stored key", clusterKey, "/v1/users/count", 200) // every key cache loaded
	key := apikey.Generate()
	rec := apikey.NewKey(key, time.Now())
	if err := db.CreateSecretKey(ctx, rec); err != nil {
		t.Fatal(err)
	}
	everyNode("a created key", key, "/v1/users/count", 200)
	if err := db.RevokeSecretKey(ctx, rec.ID, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	everyNode("a revoked key", key, "/v1/users/count", 401)

	// A signing key rotated by the keys command.
	var kid strings.Builder
	if err := run(ctx, []string{"keys", "rotate"}, envFor(dsn), &kid, io.Discard); err != nil {
		t.Fatal(err)
	}
	newest := strings.TrimSuffix(strings.Fields(kid.String())[1], ";")
	within(t, "a rotated signing key", func() bool {
		for _, n := range nodes {
			_, out := api(t, clusterKey, "GET", n.url+"/v1/jwks", "")
			if !strings.Contains(fmt.Sprint(out), newest) {
				return false
			}
		}
		return true
	})

	// A setting changed through the balancer (one process) is what every
	// process's Frontend API serves next.
	if st, out := api(t, clusterKey, "PATCH", front+"/v1/instance", `{"support_email":"help@example.com"}`); st != 204 && st != 200 {
		t.Fatalf("patch instance: %d %v", st, out)
	}
	within(t, "a setting", func() bool {
		for _, n := range nodes {
			req, _ := http.NewRequest("GET", n.url+"/v1/environment", nil)
			req.Header.Set("Origin", clusterOrigin)
			_, out := send(t, b.client, req)
			if dc, _ := out["display_config"].(map[string]any); dc["support_email"] != "help@example.com" {
				return false
			}
		}
		return true
	})

	// Sign-in limits (5 attempts from one address per 10 s) count the
	// attempts every process saw; ReverseProxy adds X-Forwarded-For, which
	// Concierge does not trust, so the address is the balancer's.
	wrong := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"not the password"}}
	limited := 0
	for range 9 {
		switch st, out := newFrontend(t).call(front, "/v1/client/sign_ins", wrong); st {
		case 422:
		case 429:
			limited++
		default:
			t.Fatalf("wrong password: %d %v", st, out)
		}
	}
	if limited < 3 {
		t.Fatalf("%d of 9 attempts through 3 processes limited: the limit is per process", limited)
	}

	// The outbox: 12 invitations created through the balancer, 4 by each
	// process, each sent once though all three dispatch.
	for i := range 12 {
		if st, out := api(t, clusterKey, "POST", front+"/v1/invitations", fmt.Sprintf(`{"email_address":"guest%d@example.com"}`, i)); st != 200 {
			t.Fatalf("invitation: %d %v", st, out)
		}
	}
	mail.Wait(12, 20*time.Second)
	time.Sleep(time.Second) // a duplicate would be sent by now
	seen := map[string]int{}
	for _, m := range mail.Messages() {
		for _, to := range m.To {
			seen[to]++
		}
	}
	for i := range 12 {
		if to := fmt.Sprintf("guest%d@example.com", i); seen[to] != 1 {
			t.Fatalf("%s got %d emails, want 1 (all: %v)", to, seen[to], seen)
		}
	}
	for _, n := range nodes {
		if strings.Contains(n.log.String(), "level=ERROR") {
			t.Fatalf("%s logged an error:\n%s", n.url, n.log.String())
		}
	}
}

func listenAndServe(s *http.Server, addr string) {
	s.Addr = addr
	s.ListenAndServe()
}
