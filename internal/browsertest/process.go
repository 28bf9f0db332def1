//go:build linux

// Linux only: Pdeathsig is. The suites that run child processes run on
// Linux; the tag keeps the rest of the package (and the dashboard's
// browser test) building elsewhere.

package browsertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a child process started by StartProcess.
type Process struct {
	name   string
	out    output
	exited chan struct{}
}

// StartProcess starts cmd, its output kept, for the length of the test.
// It runs in a process group of its own, so that the workers it forks
// (next start's) are stopped with it, and dies with this process should go
// test be killed (Pdeathsig). At cleanup the group gets SIGTERM, and
// SIGKILL after 5 s; if the test failed, the output is logged after
// "name output:".
func StartProcess(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{name: name, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// WaitListen waits until something accepts TCP connections at addr
// (host:port). It returns an error if the process exits first or within
// passes; the output follows at cleanup.
func (p *Process) WaitListen(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it listened on %s", p.name, addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %s", p.name, addr, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Output is what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// output is a bytes.Buffer safe for exec's copying goroutines (stdout and
// stderr are two) and a reader at the same time.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(b)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Environ is this process's environment without the entries ("NAME=value")
// that start with one of prefixes: a child must not take the keys or the
// options of the shell that ran go test for the test's own.
func Environ(prefixes ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			env = append(env, kv)
		}
	}
	return env
}

// FreePort returns a loopback port nobody listens on now, for a child
// process to listen on (it cannot be handed a listener).
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
