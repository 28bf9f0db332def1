package clerkjs_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestQuickStartExample runs examples/clerkjs-app as the README says:
// its page mounts SignIn, the user signs in, UserButton appears and the
// backend's /api/me, which verifies the __session cookie with the Go SDK,
// answers with the user.
func TestQuickStartExample(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	e := newEnv(t, "sqlite", "http://"+addr)
	aliceID := e.alice()

	bin := filepath.Join(t.TempDir(), "clerkjs-app")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/clerkjs-app").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	vendor, _ := filepath.Abs("vendor")
	cmd := exec.Command(bin, "-addr", addr, "-clerk", vendor)
	cmd.Env = append(os.Environ(), "CONCIERGE_URL="+e.fapi, "CONCIERGE_SECRET_KEY="+secretKey)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("the example never listened:\n%s", out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}

	e.do(chromedp.Navigate("about:blank"))
	e.console()
	e.do(chromedp.Navigate("http://" + addr + "/"))
	e.typeInto(`input[name="identifier"]`, "alice@example.com")
	e.click(primary)
	e.typeInto(`input[name="password"]`, alicePassword)
	e.click(primary)
	e.waitJS(`document.getElementById('me').textContent.startsWith('200 ')`)
	me := eval[string](e, `document.getElementById('me').textContent`)
	if !strings.Contains(me, aliceID) {
		t.Fatalf("/api/me answered %q", me)
	}
	e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-userButtonTrigger`)))
	e.shot("quickstart")
}
