package revcache_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/conciergehq/concierge/internal/revcache"
)

func TestServesOnlyTheRevisionItWasGiven(t *testing.T) {
	c := revcache.New(1 << 20)
	if c.Has("user_1") {
		t.Fatal("an empty cache has user_1")
	}
	c.Put("user_1", 7, []byte(`{"v":7}`))
	if b, ok := c.Get("user_1", 7); !ok || string(b) != `{"v":7}` {
		t.Fatalf("Get at 7 = %q, %v", b, ok)
	}
	if _, ok := c.Get("user_1", 8); ok {
		t.Fatal("a copy made at revision 7 was served for revision 8")
	}
	c.Put("user_1", 8, []byte(`{"v":8}`))
	if _, ok := c.Get("user_1", 7); ok {
		t.Fatal("the copy at 7 outlived the one at 8 replacing it")
	}
	if b, _ := c.Get("user_1", 8); string(b) != `{"v":8}` {
		t.Fatalf("Get at 8 = %q", b)
	}
	if rev, b, ok := c.Peek("user_1"); !ok || rev != 8 || string(b) != `{"v":8}` {
		t.Fatalf("Peek = %d %q %v", rev, b, ok)
	}
	c.Forget("user_1")
	if c.Has("user_1") {
		t.Fatal("Forget kept user_1")
	}
	st := c.Stats()
	if st.Entries != 0 || st.Bytes != 0 || st.Hits != 2 || st.Misses != 4 {
		t.Fatalf("stats %+v, want 0 entries, 0 bytes, 2 hits, 4 misses (2 Has, 2 Get)", st)
	}
}

func TestStaysWithinItsBudget(t *testing.T) {
	const budget = 256 << 10
	c := revcache.New(budget)
	body := []byte(strings.Repeat("x", 1500))
	for i := range 5000 {
		c.Put(fmt.Sprintf("user_%d", i), int64(i), body)
	}
	st := c.Stats()
	if st.Bytes > budget {
		t.Fatalf("%d bytes kept, budget %d", st.Bytes, budget)
	}
	// What is left is what was accounted for: at least half the budget
	// stays in use (eviction goes down to 7/8 of each shard).
	if st.Bytes < budget/2 || st.Entries*(1500+len("user_0000")) > int(st.Bytes) {
		t.Fatalf("%d entries in %d bytes of a %d budget", st.Entries, st.Bytes, budget)
	}
	// A copy larger than a shard's share is not kept at all.
	c.Put("big", 1, make([]byte, budget))
	if c.Has("big") {
		t.Fatal("a copy larger than the budget was kept")
	}
}

func TestNilCacheKeepsNothing(t *testing.T) {
	var c *revcache.Cache = revcache.New(0)
	c.Put("user_1", 1, []byte("x"))
	if c.Has("user_1") {
		t.Fatal("a cache of budget 0 kept a copy")
	}
	if _, ok := c.Get("user_1", 1); ok {
		t.Fatal("a cache of budget 0 served a copy")
	}
	c.Forget("user_1")
	if st := c.Stats(); st != (revcache.Stats{}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := revcache.New(64 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				id := fmt.Sprintf("user_%d", (g*7+i)%300)
				c.Put(id, int64(i), []byte(id))
				if b, ok := c.Get(id, int64(i)); ok && string(b) != id {
					t.Errorf("Get(%s) = %q", id, b)
				}
				if i%10 == 0 {
					c.Forget(id)
				}
			}
		}()
	}
	wg.Wait()
	if st := c.Stats(); st.Bytes < 0 || st.Bytes > 64<<10 {
		t.Fatalf("bytes %d after concurrent use", st.Bytes)
	}
}
