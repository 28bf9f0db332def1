package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the real binary, starts it on a fresh SQLite file,
// checks the first-start key, /healthz and an authenticated call, then
// sends SIGTERM and expects a clean exit; a second start prints no key.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := build(t)
	db := filepath.Join(dir, "concierge.db")

	start := func() (*exec.Cmd, string, *syncBuffer) {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "-addr", addr)
		cmd.Env = append(os.Environ(), "CONCIERGE_DATABASE="+db, "CONCIERGE_SECRET_KEY=", "CONCIERGE_LOG_LEVEL=warn")
		stdout := &syncBuffer{}
		cmd.Stdout = stdout
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		waitHealthy(t, "http://"+addr)
		return cmd, "http://" + addr, stdout
	}

	cmd, _, out := start()
	stop(t, cmd)
	first := out.String()
	key := regexp.MustCompile(`sk_test_[0-9A-Za-z]{40}`).FindString(first)
	if key == "" {
		t.Fatalf("first start printed no secret key:\n%s", first)
	}
	cmd, url, out := start()
	req, _ := http.NewRequest("GET", url+"/v1/users/count", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"total_count":0`) {
		t.Fatalf("count with printed key: %d %s", res.StatusCode, body)
	}
	stop(t, cmd)
	second := out.String()
	if strings.Contains(second, "sk_test_") {
		t.Fatalf("second start printed a key again:\n%s", second)
	}
}

// The binary is built once for all the package's tests (each build
// links 40 MB), into a folder TestMain removes.
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// build returns a fresh temporary directory and the compiled binary.
func build(t *testing.T) (dir, bin string) {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "concierge-test-bin-"); binErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "concierge"), ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("build: %v", binErr)
	}
	return t.TempDir(), filepath.Join(binDir, "concierge")
}

// removeBinary removes what build made, once the tests are done.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit 20s after SIGTERM")
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("%s/healthz never answered 200", url))
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBinaryDevelopmentOutbox: with no transport configured, an
// invitation is logged once at info level with its link, and the secret
// key never appears in the log.
func TestBinaryDevelopmentOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := build(t)
	const key = "sk_test_devoutboxdevoutboxdevoutbox0123456"
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CONCIERGE_ADDR="+addr, "CONCIERGE_DATABASE="+filepath.Join(dir, "c.db"),
		"CONCIERGE_SECRET_KEY="+key, "CONCIERGE_LOG_LEVEL=info", "CONCIERGE_SMTP_URL=", "CONCIERGE_SMS_WEBHOOK_URL=",
		"CONCIERGE_TWILIO_ACCOUNT_SID=", "CONCIERGE_APP_NAME=Dev Shop")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	url := "http://" + addr
	waitHealthy(t, url)
	req, _ := http.NewRequest("POST", url+"/v1/invitations", strings.NewReader(`{"email_address":"dev@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	link := regexp.MustCompile(`"url":"([^"]+)"`).FindStringSubmatch(string(body))
	if res.StatusCode != 200 || link == nil {
		t.Fatalf("create invitation: %d %s", res.StatusCode, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	// The start-up line names the outbox too: wait for the email itself.
	for !strings.Contains(logs.String(), "development outbox: email") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop(t, cmd)
	out := logs.String()
	if n := strings.Count(out, "development outbox: email"); n != 1 {
		t.Fatalf("outbox logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, link[1]) || !strings.Contains(out, "Dev Shop") {
		t.Fatalf("the log lacks the link %s or the app name:\n%s", link[1], out)
	}
	if strings.Contains(out, key) {
		t.Fatal("the secret key appears in the log")
	}
}

// TestKeysCommand: list, rotate and retire signing keys from the command
// line, on a database file.
func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "CONCIERGE_DATABASE" {
			return filepath.Join(dir, "c.db")
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"keys", "list"}, env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	first := strings.Fields(out.String())[0]
	if !strings.HasPrefix(first, "ins_") || !strings.Contains(out.String(), "(signs)") {
		t.Fatalf("list: %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"keys", "rotate"}, env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "ins_") != 3 || !strings.Contains(out.String(), first+"\n") {
		t.Fatalf("rotate: %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"keys", "retire", first}, env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "retired "+first || strings.Contains(lines[1], first) {
		t.Fatalf("retire: %q", out.String())
	}
	if err := run(t.Context(), []string{"keys", "bogus"}, env, &out, &errOut); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// TestOperatorsCommand creates a dashboard operator from the command
// line, with the password from the environment or standard input.
func TestOperatorsCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CONCIERGE_DATABASE": filepath.Join(dir, "c.db"), "CONCIERGE_OPERATOR_PASSWORD": "operator password 1"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"operators", "create", "-email", "Ops@Example.com"}, getenv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created operator ops@example.com") {
		t.Fatalf("output %q", out.String())
	}
	if err := run(t.Context(), []string{"operators", "create", "-email", "ops@example.com"}, getenv, &out, &errOut); err == nil {
		t.Fatal("a second operator with the same email was created")
	}
	if err := run(t.Context(), []string{"operators", "create"}, getenv, &out, &errOut); err == nil {
		t.Fatal("no -email accepted")
	}
	env["CONCIERGE_OPERATOR_PASSWORD"] = "short"
	if err := run(t.Context(), []string{"operators", "create", "-email", "x@example.com"}, getenv, &out, &errOut); err == nil {
		t.Fatal("a weak password accepted")
	}
}

// TestBackupCommand: "concierge backup" copies the database to a new
// file that Concierge opens with the same data; it will not overwrite.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "c.db")
	env := func(k string) string {
		if k == "CONCIERGE_DATABASE" {
			return dbPath
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"keys", "list"}, env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	keys := out.String()
	out.Reset()
	copyPath := filepath.Join(dir, "copy.db")
	if err := run(t.Context(), []string{"backup", copyPath}, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "backed up") {
		t.Fatalf("backup: %v %q", err, out.String())
	}
	if err := run(t.Context(), []string{"backup", copyPath}, env, &out, &errOut); err == nil {
		t.Fatal("a backup over an existing file")
	}
	out.Reset()
	dbPath = copyPath
	if err := run(t.Context(), []string{"keys", "list"}, env, &out, &errOut); err != nil || out.String() != keys {
		t.Fatalf("the copy's keys: %v %q, want %q", err, out.String(), keys)
	}
}
