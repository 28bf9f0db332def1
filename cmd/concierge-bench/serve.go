package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// In ceiling mode the servers run in a child process, this same binary
// started with serveEnv set, so that the server's CPU time per request can
// be read from /proc apart from the load generator's. Concierge and the
// ceilings share that process, each on a port of its own.
const serveEnv = "CONCIERGE_BENCH_SERVE"

// benchOrigin is the application origin the Frontend API allows.
const benchOrigin = "http://app.bench.test"

// benchPassword is the password of users the workloads create.
const benchPassword = "bench-Horse-battery-77"

// serveConfig is what the child is told, as JSON in serveEnv.
type serveConfig struct {
	Engine, DSN, Synchronous string
	CacheBytes               int64
	BcryptCost               int
	SampleID                 string
	// CPUProfile, if set, receives a CPU profile of the whole serve.
	CPUProfile string
}

// serveAddrs is the child's first line on stdout; serveTally its last.
type serveAddrs struct {
	Concierge, Ceiling string
	// UserBytes and PageBytes are the sizes of the ceilings' answers.
	UserBytes, PageBytes int
}

type serveTally struct{ Requests, FiveXX, Closed, Errors int64 }

// serveMain runs the child: it serves until its stdin is closed, then
// prints the tally of its log and returns the exit code.
func serveMain() int {
	var c serveConfig
	if err := json.Unmarshal([]byte(os.Getenv(serveEnv)), &c); err != nil {
		fmt.Fprintln(os.Stderr, "concierge-bench serve:", err)
		return 2
	}
	if err := serve(c, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "concierge-bench serve:", err)
		return 1
	}
	return 0
}

func serve(c serveConfig, stop io.Reader, out io.Writer) error {
	ctx := context.Background()
	password.Cost = c.BcryptCost
	o := sqlstore.Options{Synchronous: c.Synchronous, CacheBytes: c.CacheBytes}
	db, err := sqlstore.OpenWith(ctx, c.DSN, o)
	if err != nil {
		return err
	}
	defer db.Close()
	tally := &serverTally{show: os.Stderr}
	log := slog.New(tally.handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	a, err := app.New(ctx, db, app.Options{PublicURL: base, SecretKey: key, EmailDomain: "localhost", Log: log,
		AllowedOrigins: []string{benchOrigin}})
	if err != nil {
		return err
	}
	// Sign-ins all come from one address; the limits are not under test.
	a.Frontend.SignInLimit, a.Frontend.SignUpLimit, a.Frontend.AttemptLimit = nil, nil, nil

	// The ceilings answer with what Concierge answers.
	userJSON, err := sample(a.Handler, "/v1/users/"+c.SampleID)
	if err != nil {
		return err
	}
	pageJSON, err := sample(a.Handler, "/v1/users?limit=100")
	if err != nil {
		return err
	}
	ceil, err := newCeiling(ctx, c.Engine, ceilingDSN(c.Engine, c.DSN), o, c.BcryptCost, userJSON, pageJSON)
	if err != nil {
		return err
	}
	defer ceil.close()

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	srvCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, 2)
	go func() { server.Run(srvCtx, ln, a.Handler, time.Second, log); done <- struct{}{} }()
	go func() {
		server.Run(srvCtx, cln, ceil.handler(), time.Second, slog.New(slog.DiscardHandler))
		done <- struct{}{}
	}()
	if err := json.NewEncoder(out).Encode(serveAddrs{Concierge: base, Ceiling: "http://" + cln.Addr().String(),
		UserBytes: len(userJSON), PageBytes: len(pageJSON)}); err != nil {
		return err
	}
	io.Copy(io.Discard, stop)
	cancel()
	<-done
	<-done // every request has ended and logged its line
	return json.NewEncoder(out).Encode(serveTally{Requests: tally.requests.Load(), FiveXX: tally.fivexx.Load(),
		Closed: tally.closed.Load(), Errors: tally.errors.Load()})
}

// sample is Concierge's answer to GET path.
func sample(h http.Handler, path string) ([]byte, error) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		return nil, fmt.Errorf("sample %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes(), nil
}

// child is a running serve process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	addrs serveAddrs
}

func startChild(c serveConfig) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cfg, _ := json.Marshal(c)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	if err := ch.read(&ch.addrs); err != nil {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("server process: %w", err)
	}
	return ch, nil
}

func (ch *child) read(v any) error {
	line, err := ch.out.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// stop ends the child and returns the tally of its log.
func (ch *child) stop() (serveTally, error) {
	var t serveTally
	ch.stdin.Close()
	err := ch.read(&t)
	if werr := ch.cmd.Wait(); err == nil {
		err = werr
	}
	return t, err
}

// cpu is the child's user and system CPU time so far.
func (ch *child) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ch.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted from the closing one. utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc stat")
	}
	// Linux reports these in USER_HZ ticks, 100 a second on every
	// architecture Go supports.
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
