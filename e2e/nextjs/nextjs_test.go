// Package nextjs_test runs Clerk's Next.js quick-start (this folder: next
// 16, @clerk/nextjs 7, pinned by package-lock.json) with `next start`
// against a real Concierge, and drives it in headless Chromium: the
// middleware's handshake, server components calling auth() and
// currentUser(), a route handler, and Clerk's components.
//
// The app is built once per test process, without any Clerk variable, so
// that the keys are read when `next start` runs; each test starts its own
// Concierge and `next start` pointed at it.
package nextjs_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	// MandatoryEnv makes a missing node_modules, bundle or browser a
	// failure instead of a skip (CI).
	MandatoryEnv = "CONCIERGE_TEST_NEXTJS"
	// bundles is fetched by e2e/clerkjs/fetch.sh; Concierge serves it at /npm/.
	bundles = "../clerkjs/vendor"
)

// skip skips the test, or fails it when the suite is mandatory.
func skip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(MandatoryEnv) != "" {
		t.Fatalf("%s is set but %s", MandatoryEnv, why)
	}
	t.Skip(why)
}

// requirements checks what the suite needs and returns Chromium's path
// and the bundle directory's absolute path.
func requirements(t *testing.T) (chrome, bundleDir string) {
	t.Helper()
	if _, err := os.Stat("node_modules/next/dist/bin/next"); err != nil {
		skip(t, "e2e/nextjs/node_modules is missing (run npm ci in e2e/nextjs)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip(t, "node is not installed")
	}
	for _, f := range []string{"clerk-clerk-js-6.40.0/dist/clerk.browser.js", "clerk-ui-1.36.0/dist/ui.browser.js"} {
		if _, err := os.Stat(filepath.Join(bundles, f)); err != nil {
			skip(t, "Clerk's bundles are missing (run e2e/clerkjs/fetch.sh)")
		}
	}
	for _, p := range []string{os.Getenv("CONCIERGE_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := exec.LookPath(p); err == nil {
				chrome = p
			}
		}
	}
	if chrome == "" {
		skip(t, "Chromium is not installed")
	}
	dir, err := filepath.Abs(bundles)
	if err != nil {
		t.Fatal(err)
	}
	return chrome, dir
}

var built struct {
	once sync.Once
	err  error
}

// build runs `next build` once per process, with no Clerk or Next public
// variable in its environment: Next inlines NEXT_PUBLIC_* at build time,
// and the tests give each `next start` its own keys.
func build(t *testing.T) {
	t.Helper()
	built.once.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "node_modules/next/dist/bin/next", "build")
		cmd.Env = append(cleanEnv(), "NEXT_TELEMETRY_DISABLED=1")
		// Its workers go with it on a time-out.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("next build: %v\n%s", err, out)
			return
		}
		fmt.Printf("nextjs: next build took %s\n", time.Since(start).Round(time.Second))
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
}

// cleanEnv is this process's environment without Clerk's or Next's
// public variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLERK_") && !strings.HasPrefix(kv, "NEXT_PUBLIC_") && !strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") &&
			!strings.HasPrefix(kv, "NODE_OPTIONS=") {
			env = append(env, kv)
		}
	}
	return env
}

// logBuffer collects a child's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback port nobody listens on (now).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startNextOn runs `next start -H localhost -p port` with env added to a
// clean environment, waits until it answers, and stops its process group
// at cleanup, printing its output if the test failed.
//
// -H localhost, not 127.0.0.1: with -H 127.0.0.1, Next 16.4.6 proxies the
// rewrite clerkMiddleware answers every request with to itself at
// localhost, and fails ("Failed to proxy"). Node is told to resolve
// localhost to 127.0.0.1 first (it may pick ::1), where the browser
// reaches it by address: on the same site as Concierge on 127.0.0.1.
func startNextOn(t *testing.T, port string, env ...string) {
	t.Helper()
	build(t)
	logs := &logBuffer{}
	cmd := exec.Command("node", "node_modules/next/dist/bin/next", "start", "-H", "localhost", "-p", port)
	cmd.Env = append(append(cleanEnv(), "NEXT_TELEMETRY_DISABLED=1", "NODE_OPTIONS=--dns-result-order=ipv4first"), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("next start output:\n%s", logs)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("next start exited: %s", logs)
		default:
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("next start did not listen on 127.0.0.1:%s within 60 s (does localhost resolve to 127.0.0.1?):\n%s", port, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recorder keeps the requests Concierge served, as "METHOD path status".
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if strings.HasPrefix(r.URL.Path, "/npm/") && sw.status == http.StatusOK {
			return // bundles: too many to be useful
		}
		rec.mu.Lock()
		rec.calls = append(rec.calls, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, sw.status))
		rec.mu.Unlock()
	})
}

// count returns how many requests matched the prefix ("GET /v1/client/handshake").
func (rec *recorder) count(prefix string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, c := range rec.calls {
		if strings.HasPrefix(c, prefix+" ") {
			n++
		}
	}
	return n
}

func (rec *recorder) String() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.calls, "\n  ")
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

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
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
