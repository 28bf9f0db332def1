package backendapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestThroughNodeSDK runs testdata/node/users.mjs, invitations.mjs,
// organizations.mjs, tickets.mjs and waitlist.mjs, which drive the users,
// invitations, allowlist, organizations, sign-in token, actor token and
// waitlist APIs with Clerk's official @clerk/backend (pinned in
// package.json).
// It needs node and `npm install` in testdata/node; .ci/run does both and
// sets CONCIERGE_TEST_NODE, which makes a missing SDK a failure.
func TestThroughNodeSDK(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend"))
	_, nodeErr := exec.LookPath("node")
	if statErr != nil || nodeErr != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatalf("CONCIERGE_TEST_NODE is set but node or @clerk/backend is missing (run npm install in %s)", dir)
		}
		t.Skip("node or @clerk/backend not installed (npm install in " + dir + ")")
	}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		for _, script := range []string{"users.mjs", "invitations.mjs", "organizations.mjs", "tickets.mjs", "waitlist.mjs"} {
			t.Run(strings.TrimSuffix(script, ".mjs"), func(t *testing.T) {
				e := newEnv(t, engine)
				cmd := exec.Command("node", script, e.url, testKey)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "ok") {
					t.Fatalf("node SDK check %s: %v\n%s", script, err, out)
				}
			})
		}
	})
}
