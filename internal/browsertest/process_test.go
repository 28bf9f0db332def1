//go:build linux

package browsertest

import (
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnviron(t *testing.T) {
	t.Setenv("CLERK_SECRET_KEY", "sk_test_x")
	t.Setenv("NODE_OPTIONS", "--inspect")
	t.Setenv("BROWSERTEST_KEPT", "1")
	env := Environ("CLERK_", "NODE_OPTIONS=")
	if !slices.Contains(env, "BROWSERTEST_KEPT=1") {
		t.Error("an unrelated variable was dropped")
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "CLERK_") || strings.HasPrefix(kv, "NODE_OPTIONS=") {
			t.Errorf("%s kept", kv)
		}
	}
}

func TestProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	var running *Process
	t.Run("listening", func(t *testing.T) {
		running = StartProcess(t, "sleep", exec.Command("sh", "-c", "echo started; exec sleep 60"))
		if err := running.WaitListen(ln.Addr().String(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(running.Output(), "started"); {
			if time.Now().After(deadline) {
				t.Fatalf("output %q", running.Output())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	// The subtest's cleanup stopped it.
	select {
	case <-running.exited:
	default:
		t.Error("the process still runs after its test's cleanup")
	}

	t.Run("exits", func(t *testing.T) {
		p := StartProcess(t, "sh", exec.Command("sh", "-c", "exit 3"))
		err := p.WaitListen("127.0.0.1:"+FreePort(t), 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "sh exited") {
			t.Errorf("WaitListen on an exited process: %v", err)
		}
	})
}
