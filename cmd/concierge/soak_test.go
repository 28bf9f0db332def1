package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rss reads a process's resident set size in KiB from /proc.
func rss(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// mixedLoad runs readers beside writers for d: gets by id and pages of
// 100 spread over the seeded users (IDs user_<27 digits> 1…seeded), so
// that the reads touch the whole file, not a hot corner of it.
func mixedLoad(url string, seeded int, d time.Duration, a *acked) {
	stop := make(chan struct{})
	wg := writeLoad(url, 4, stop, a)
	client := &http.Client{Timeout: 5 * time.Second}
	var readers sync.WaitGroup
	for r := range 8 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rnd := rand.New(rand.NewPCG(uint64(r), 1))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := fmt.Sprintf("/v1/users/user_%027d", 1+rnd.IntN(seeded))
				switch i % 8 {
				case 0:
					path = "/v1/users?limit=100&offset=" + strconv.Itoa(rnd.IntN(seeded))
				case 1: // a search reads every row
					path = "/v1/users?limit=10&query=" + strconv.Itoa(rnd.IntN(1000)) + "zz"
				}
				req, _ := http.NewRequest("GET", url+path, nil)
				req.Header.Set("Authorization", "Bearer "+clusterKey)
				if res, err := client.Do(req); err == nil {
					res.Body.Close()
				}
			}
		}()
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	readers.Wait()
}

// TestSoakMemory runs rounds of a read/write mix against one process on
// SQLite, with the default page-cache budget (CONCIERGE_SQLITE_CACHE,
// 32 MiB for all connections together): its resident memory levels off
// as the database grows, rather than climbing round after round.
func TestSoakMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	_, bin := build(t)
	// A database larger than the page-cache budget. (These reads touch
	// index pages and a few rows each, so they do not fill every
	// connection's cache; that the budget is shared out among the
	// connections is sqlstore's TestSQLiteOptions. This test is for leaks.)
	const seeded = 40000
	db := filepath.Join(t.TempDir(), "soak.db")
	seed := filepath.Join(t.TempDir(), "seed.jsonl")
	writeUsers(t, seed, seeded, nil)
	// Imported by the binary, not in this (race-instrumented) process.
	imp := exec.Command(bin, "import", seed)
	imp.Env = append(os.Environ(), "CONCIERGE_DATABASE="+db, "CONCIERGE_LOG_LEVEL=warn")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if fi, err := os.Stat(db); err == nil {
		t.Logf("seeded %d users: %d MiB", seeded, fi.Size()>>20)
	}
	n := startNode(t, bin, "CONCIERGE_DATABASE="+db, "CONCIERGE_SECRET_KEY="+clusterKey, "CONCIERGE_SMTP_URL=")
	a := &acked{users: map[string]int{}}
	var kib []int
	for range 8 {
		mixedLoad(n.url, seeded, 2*time.Second, a)
		kib = append(kib, rss(t, n.cmd.Process.Pid))
	}
	t.Logf("RSS per round (KiB): %v; %d users written", kib, len(a.users))
	early := max(kib[0], kib[1], kib[2], kib[3])
	late := max(kib[4], kib[5], kib[6], kib[7])
	// Levelling off: the second half of the rounds, though it writes as
	// many users again, adds to the first half's peak at most what the
	// page cache may still fill (its whole 32 MiB budget: how much of it
	// the first half filled depends on how busy the machine was) and
	// 16 MiB of slack for the Go heap's pacing.
	if late > early+(32+16)<<10 {
		t.Fatalf("RSS keeps growing: first half peak %d KiB, second half %d KiB (%v)", early, late, kib)
	}
	if late > 200<<10 {
		t.Fatalf("RSS %d KiB: more than 200 MiB under a small load", late)
	}
}
