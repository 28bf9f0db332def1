// Package revcache keeps rendered copies of records (the Backend API's
// user JSON), each good for the one revision of its record it was
// rendered at. A reader asks the database for the record's revision, one
// narrow read, and is served the copy if that revision still stands, so
// nothing has to be told of a change: every process on one database can
// keep its own copies and none is ever served stale.
package revcache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// entryOverhead is what an entry costs beyond its key and bytes: the
// map slot, the slice header and the revision, roughly.
const entryOverhead = 64

const shardCount = 16

// Cache is safe for concurrent use. A nil *Cache keeps nothing.
type Cache struct {
	seed   maphash.Seed
	budget int64 // bytes per shard
	shards [shardCount]shard

	hits, misses atomic.Uint64
}

type shard struct {
	mu   sync.Mutex
	m    map[string]entry
	size int64
}

type entry struct {
	rev int64
	b   []byte
}

// New returns a cache of about budget bytes, or nil (no cache) for a
// budget of 0 or less.
func New(budget int64) *Cache {
	if budget <= 0 {
		return nil
	}
	c := &Cache{seed: maphash.MakeSeed(), budget: max(budget/shardCount, 1)}
	for i := range c.shards {
		c.shards[i].m = map[string]entry{}
	}
	return c
}

func (c *Cache) shard(id string) *shard {
	return &c.shards[maphash.String(c.seed, id)%shardCount]
}

// Has reports whether a copy of id is kept, at whatever revision: when
// not, asking the database for the revision first would be a read spent
// for nothing. A false counts as a miss.
func (c *Cache) Has(id string) bool {
	if c == nil {
		return false
	}
	s := c.shard(id)
	s.mu.Lock()
	_, ok := s.m[id]
	s.mu.Unlock()
	if !ok {
		c.misses.Add(1)
	}
	return ok
}

// Get returns the copy of id rendered at rev. The bytes are shared: the
// caller must not change them.
func (c *Cache) Get(id string, rev int64) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	s := c.shard(id)
	s.mu.Lock()
	e, ok := s.m[id]
	s.mu.Unlock()
	if !ok || e.rev != rev {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e.b, true
}

// Peek returns the copy of id at whatever revision it was kept for, and
// that revision: for a caller that learns from the copy what to check.
// It counts neither a hit nor a miss.
func (c *Cache) Peek(id string) (rev int64, b []byte, ok bool) {
	if c == nil {
		return 0, nil, false
	}
	s := c.shard(id)
	s.mu.Lock()
	e, ok := s.m[id]
	s.mu.Unlock()
	return e.rev, e.b, ok
}

// Put keeps a copy of b as the copy of id at rev, in place of any other. Past the
// budget, entries picked at random (Go's map order) make room; a copy
// larger than a shard's budget is not kept.
func (c *Cache) Put(id string, rev int64, b []byte) {
	if c == nil {
		return
	}
	cost := int64(len(id)+len(b)) + entryOverhead
	if cost > c.budget {
		return
	}
	// A copy of exactly its length: b was grown for rendering, and the
	// budget counts the bytes kept, not the capacity behind them.
	b = append(make([]byte, 0, len(b)), b...)
	s := c.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[id]; ok {
		s.size -= int64(len(id)+len(old.b)) + entryOverhead
	}
	s.m[id] = entry{rev: rev, b: b}
	s.size += cost
	if s.size <= c.budget {
		return
	}
	// Evict down to seven eighths, so that a full cache does not evict
	// on every Put.
	for k, e := range s.m {
		if s.size <= c.budget-c.budget/8 {
			break
		}
		if k == id {
			continue
		}
		delete(s.m, k)
		s.size -= int64(len(k)+len(e.b)) + entryOverhead
	}
}

// Forget drops the copy of id, if any.
func (c *Cache) Forget(id string) {
	if c == nil {
		return
	}
	s := c.shard(id)
	s.mu.Lock()
	if e, ok := s.m[id]; ok {
		delete(s.m, id)
		s.size -= int64(len(id)+len(e.b)) + entryOverhead
	}
	s.mu.Unlock()
}

// Stats are a cache's figures.
type Stats struct {
	Entries      int
	Bytes        int64
	Hits, Misses uint64
}

// Stats counts what the cache holds and how often Get found a copy.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	st := Stats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Entries += len(s.m)
		st.Bytes += s.size
		s.mu.Unlock()
	}
	return st
}
