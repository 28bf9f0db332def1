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
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/browsertest"
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

// requirements checks what the suite needs and returns Chromium's path
// and the bundle directory's absolute path.
func requirements(t *testing.T) (chrome, bundleDir string) {
	t.Helper()
	if _, err := os.Stat("node_modules/next/dist/bin/next"); err != nil {
		browsertest.Skip(t, MandatoryEnv, "e2e/nextjs/node_modules is missing (run npm ci in e2e/nextjs)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		browsertest.Skip(t, MandatoryEnv, "node is not installed")
	}
	for _, f := range []string{"clerk-clerk-js-6.40.0/dist/clerk.browser.js", "clerk-ui-1.36.0/dist/ui.browser.js"} {
		if _, err := os.Stat(filepath.Join(bundles, f)); err != nil {
			browsertest.Skip(t, MandatoryEnv, "Clerk's bundles are missing (run e2e/clerkjs/fetch.sh)")
		}
	}
	chrome = browsertest.Chromium(t, MandatoryEnv)
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
	return browsertest.Environ("CLERK_", "NEXT_PUBLIC_", "NODE_EXTRA_CA_CERTS=", "NODE_OPTIONS=")
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
	cmd := exec.Command("node", "node_modules/next/dist/bin/next", "start", "-H", "localhost", "-p", port)
	cmd.Env = append(append(cleanEnv(), "NEXT_TELEMETRY_DISABLED=1", "NODE_OPTIONS=--dns-result-order=ipv4first"), env...)
	p := browsertest.StartProcess(t, "next start", cmd)
	if err := p.WaitListen("127.0.0.1:"+port, 60*time.Second); err != nil {
		t.Fatalf("%v (does localhost resolve to 127.0.0.1?)", err)
	}
}

// newRecorder records the requests Concierge serves, but for the bundles
// it served (too many to be useful).
func newRecorder() *browsertest.Recorder {
	return &browsertest.Recorder{Omit: func(r *http.Request, status int) bool {
		return strings.HasPrefix(r.URL.Path, "/npm/") && status == http.StatusOK
	}}
}
