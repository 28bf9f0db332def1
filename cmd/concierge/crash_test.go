package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// acked is what a load of writers was told had succeeded: users created,
// and for each the last metadata update answered 200.
type acked struct {
	mu    sync.Mutex
	users map[string]int // user ID → last acknowledged public_metadata.n
}

// writeLoad runs writers against url until stop is closed: each creates
// users and updates their metadata in turn, recording what was
// acknowledged. Errors after stop (the process was killed) are expected.
func writeLoad(url string, writers int, stop <-chan struct{}, a *acked) *sync.WaitGroup {
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	do := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clusterKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				st, out := do("POST", "/v1/users", fmt.Sprintf(`{"email_address":["w%d-%d-%d@example.com"],"skip_password_requirement":true}`, w, i, time.Now().UnixNano()))
				id, _ := out["id"].(string)
				if st != 200 || id == "" {
					continue
				}
				a.mu.Lock()
				a.users[id] = 0
				a.mu.Unlock()
				for n := 1; n <= 3; n++ {
					if st, _ := do("PATCH", "/v1/users/"+id+"/metadata", fmt.Sprintf(`{"public_metadata":{"n":%d}}`, n)); st != 200 {
						break
					}
					a.mu.Lock()
					a.users[id] = n
					a.mu.Unlock()
				}
			}
		}()
	}
	return &wg
}

// TestKillUnderLoad kills the process with SIGKILL in the middle of a
// write load, three times on each engine: after each restart every user
// whose creation was acknowledged exists, with at least the last
// acknowledged metadata (a write answered before the kill may not be
// lost; one in flight may land either way).
func TestKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	_, bin := build(t)
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		dsn := dbtest.DSN(t, engine)
		a := &acked{users: map[string]int{}}
		for round := range 3 {
			n := startNode(t, bin, "CONCIERGE_DATABASE="+dsn, "CONCIERGE_SECRET_KEY="+clusterKey, "CONCIERGE_SMTP_URL=")
			stop := make(chan struct{})
			wg := writeLoad(n.url, 8, stop, a)
			time.Sleep(time.Duration(700+300*round) * time.Millisecond)
			n.cmd.Process.Signal(syscall.SIGKILL)
			n.cmd.Wait()
			close(stop)
			wg.Wait()
		}
		db, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if len(a.users) < 30 {
			t.Fatalf("only %d users acknowledged: the load did not run", len(a.users))
		}
		for id, n := range a.users {
			u, err := db.User(context.Background(), id)
			if err != nil {
				t.Fatalf("acknowledged user %s: %v", id, err)
			}
			var meta struct{ N int }
			json.Unmarshal(u.PublicMetadata, &meta)
			if meta.N < n {
				t.Fatalf("user %s: metadata n=%d, but %d was acknowledged", id, meta.N, n)
			}
		}
		t.Logf("%s: %d acknowledged users over 3 kills, all present", engine, len(a.users))
	})
}
