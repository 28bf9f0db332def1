package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSQLiteOptions: the writer syncs as configured (FULL unless told),
// the cache budget is shared out among all connections rather than
// given to each, and readers map the file as far as told.
func TestSQLiteOptions(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		o         Options
		sync      int   // PRAGMA synchronous: 1 NORMAL, 2 FULL
		cacheKiB  int64 // per connection
		mmap      int64 // readers' mmap_size
		wantError bool
	}{
		{o: Options{}, sync: 2, cacheKiB: DefaultCacheBytes / 1024 / int64(sqliteReaders()+1), mmap: DefaultMmapBytes},
		{o: Options{Synchronous: "normal", CacheBytes: 100 << 20, MmapBytes: -1}, sync: 1, cacheKiB: 100 << 10 / int64(sqliteReaders()+1)},
		{o: Options{MmapBytes: 64 << 20}, sync: 2, cacheKiB: DefaultCacheBytes / 1024 / int64(sqliteReaders()+1), mmap: 64 << 20},
		{o: Options{Synchronous: "off"}, wantError: true},
	} {
		db, err := OpenWith(ctx, filepath.Join(t.TempDir(), "o.db"), c.o)
		if c.wantError {
			if err == nil {
				db.Close()
				t.Errorf("%+v accepted", c.o)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var sync, cache, mmap, writerMmap int64
		if err := db.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := db.read.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
			t.Fatal(err)
		}
		if err := db.read.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil {
			t.Fatal(err)
		}
		if err := db.write.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&writerMmap); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if sync != int64(c.sync) || cache != -c.cacheKiB || mmap != c.mmap || writerMmap != 0 {
			t.Errorf("%+v: synchronous %d, cache_size %d, mmap_size %d (writer %d); want %d, %d, %d (0)", c.o, sync, cache, mmap, writerMmap, c.sync, -c.cacheKiB, c.mmap)
		}
	}
}
