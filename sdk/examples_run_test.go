package sdk_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamplesRun builds every program in examples/ and runs it against a
// real server; the protected application must refuse a request without a
// token and accept one with.
func TestExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the examples")
	}
	s := start(t)
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "../examples/...").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "CONCIERGE_URL="+s.url, "CONCIERGE_SECRET_KEY="+testKey)
	for _, name := range []string{"allowlist", "clients", "invitations", "sessions", "users", "emails", "sms"} {
		cmd := exec.Command(filepath.Join(bin, name))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("examples/%s: %v\n%s", name, err, out)
		}
		t.Logf("examples/%s:\n%s", name, out)
	}

	// The protected application.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(filepath.Join(bin, "protected"), "-addr", addr)
	cmd.Env = env
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	bufio.NewReader(stderr).ReadString('\n') // "listening on …"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("examples/protected never listened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/me", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := get(""); st != 401 {
		t.Fatalf("protected without a token: %d", st)
	}
	ctx := context.Background()
	u, err := s.c.Users.Create(ctx, sdkUser("protected@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := s.c.Sessions.Create(ctx, u.ID)
	tok, _ := s.c.Sessions.CreateToken(ctx, sess.ID, 0)
	if st, body := get(tok.JWT); st != 200 || !strings.Contains(body, u.ID) {
		t.Fatalf("protected with a token: %d %s", st, body)
	}
}
