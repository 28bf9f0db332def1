package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// privatePostgres is a PostgreSQL server of one test's own, on a free
// port of 127.0.0.1, which the test may stop and start again. The shared
// server behind dbtest is never stopped: other tests use it meanwhile.
type privatePostgres struct {
	t    *testing.T
	bin  string // the directory of initdb, pg_ctl and postgres
	dir  string // the socket and the log; the cluster is in dir/data
	port int
	cred *syscall.Credential // the postgres user's, when the test runs as root
}

// pgBinDir finds PostgreSQL's server programs: where pg_config says,
// else the newest /usr/lib/postgresql/*/bin (Debian's layout). It is ""
// when neither has them.
func pgBinDir() string {
	has := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				return false
			}
		}
		return true
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil && has(strings.TrimSpace(string(out))) {
		return strings.TrimSpace(string(out))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int { v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return v }
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	return ""
}

// startPrivatePostgres makes a throwaway cluster (trust authentication)
// and starts it; t.Cleanup stops it and removes its files. Without the
// server programs the test is skipped, unless dbtest.EnvVar is set (CI):
// then PostgreSQL is meant to be tested, and their absence fails it.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv(dbtest.EnvVar) != "" {
			t.Fatalf("%s, yet %s is set: PostgreSQL is meant to be tested here", why, dbtest.EnvVar)
		}
		t.Skipf("%s and %s is unset: a real PostgreSQL restart not tested", why, dbtest.EnvVar)
	}
	p := &privatePostgres{t: t, bin: pgBinDir()}
	if p.bin == "" {
		unavailable("PostgreSQL's server programs (initdb, pg_ctl, postgres) are not in pg_config --bindir or /usr/lib/postgresql/*/bin")
	}
	dir, err := os.MkdirTemp("", "concierge-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() {
		p.pgctl("stop", "-m", "immediate") // not running is fine
		os.RemoveAll(dir)
	})
	// initdb and pg_ctl refuse to run as root: as root, the cluster
	// belongs to the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable("running as root with no postgres user to own the cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	var port int
	fmt.Sscanf(freeAddr(t), "127.0.0.1:%d", &port)
	p.port = port
	p.start()
	return p
}

// DSN is the CONCIERGE_DATABASE of the cluster's postgres database.
func (p *privatePostgres) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

// start starts the server on its port and data directory and returns
// once it accepts connections (pg_ctl -w).
func (p *privatePostgres) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories='%s'", p.port, p.dir)
	if out, err := p.pgctl("start", "-l", filepath.Join(p.dir, "postgres.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "postgres.log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server in mode ("fast": sessions are ended and a
// checkpoint written; "immediate": every process quits at once and the
// next start recovers from the WAL) and returns once it has.
func (p *privatePostgres) stop(mode string) {
	p.t.Helper()
	if out, err := p.pgctl("stop", "-m", mode); err != nil {
		p.t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

func (p *privatePostgres) pgctl(args ...string) (string, error) {
	return p.run("pg_ctl", append([]string{"-D", p.data(), "-w", "-t", "30"}, args...)...)
}

// run runs one of the server programs as the cluster's owner.
func (p *privatePostgres) run(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") { // PGDATA, PGPORT… would override the flags
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	// The server pg_ctl starts writes to its log file, not to our pipe;
	// WaitDelay is in case it ever held the pipe open.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}
