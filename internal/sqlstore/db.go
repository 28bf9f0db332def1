// Package sqlstore implements Concierge's stores on database/sql, once, for
// two engines: embedded SQLite (modernc.org/sqlite) and PostgreSQL (pgx).
// A small dialect value carries the real differences: placeholders,
// unique-violation codes, migrations and substring search.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/conciergehq/concierge/internal/errs"
)

// DB is an open, migrated database. SQLite allows one writer at a time, so
// writes go through a single-connection pool and reads through a separate
// pool; on PostgreSQL both are the same pool.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect dialect
	// path is the SQLite file ("" on PostgreSQL).
	path string
	// batch groups SQLite's writes into shared commits; nil on PostgreSQL.
	batch      *batcher
	readStmts  *stmtCache
	writeStmts *stmtCache
	// Now is the clock used for timestamps the store sets itself.
	Now func() time.Time
	// Events renders webhook events for user changes (set by wiring).
	Events    Events
	endpoints endpointCache
	// rateLimitPurge is when this process last purged finished
	// rate-limit windows (Unix ms).
	rateLimitPurge atomic.Int64
	changes        changes

	closeOnce sync.Once
}

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// EngineOf tells which engine a CONCIERGE_DATABASE value selects: a
// postgres:// or postgresql:// URL is PostgreSQL, anything else a SQLite
// file path.
func EngineOf(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// Open connects to dsn, applies pending migrations and returns the DB.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// Options tune the SQLite engine; PostgreSQL has its own settings (see
// the README) and ignores them.
type Options struct {
	// Synchronous is SQLite's synchronous mode for the writer: "full"
	// (the default; a commit is on disk before it is answered, so it
	// survives a power loss) or "normal" (in WAL mode, a commit survives
	// a crash of the process but the last ones may be lost with power).
	Synchronous string
	// CacheBytes is the page cache of all connections together (default
	// DefaultCacheBytes), shared out among them: SQLite's cache is per
	// connection, so a per-connection size would multiply with the pool.
	CacheBytes int64
	// MmapBytes is how much of the file each reader maps instead of
	// reading it page by page (0: DefaultMmapBytes; negative: none).
	MmapBytes int64
}

// DefaultCacheBytes is the SQLite page cache budget unless set.
const DefaultCacheBytes = 32 << 20

// DefaultMmapBytes is how much of a SQLite file readers map unless set.
// Mapped, a page is read where the kernel's page cache holds it instead
// of copied into SQLite's cache by a read(2) first: at 1,000,000 users a
// substring search spent a sixth of its time in those reads, and mapping
// took p99 at 16 clients from 62-66 ms to 39-40 ms (BENCHMARKS.md).
const DefaultMmapBytes = 1 << 30

// OpenWith is Open with engine options.
func OpenWith(ctx context.Context, dsn string, o Options) (*DB, error) {
	var db *DB
	var err error
	if EngineOf(dsn) == Postgres {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn, o)
	}
	if err != nil {
		return nil, err
	}
	db.Now = time.Now
	db.readStmts, db.writeStmts = newStmtCache(db.read), newStmtCache(db.write)
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.writeStmts.preload(ctx, db.dialect, db.writeStatements()); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect.name() == SQLite {
		db.batch = newBatcher(db.write)
	}
	return db, nil
}

func openSQLite(path string, o Options) (*DB, error) {
	write, read, err := OpenSQLitePools(path, o)
	if err != nil {
		return nil, err
	}
	return &DB{write: write, read: read, dialect: sqliteDialect{}, path: path}, nil
}

// OpenSQLitePools opens the SQLite file at path as Concierge's store does,
// with the same driver, pragmas and pool shapes (one writer, a read-only
// pool), but neither migrates it nor prepares anything: the benchmark's
// ceilings use it so that they cannot drift from what the store runs on.
func OpenSQLitePools(path string, o Options) (write, read *sql.DB, err error) {
	if path == "" {
		return nil, nil, fmt.Errorf("sqlite: empty database path")
	}
	var sync string
	switch strings.ToLower(o.Synchronous) {
	case "", "full":
		sync = "FULL"
	case "normal":
		sync = "NORMAL"
	default:
		return nil, nil, fmt.Errorf("sqlite: synchronous %q: must be full or normal", o.Synchronous)
	}
	budget := o.CacheBytes
	if budget == 0 {
		budget = DefaultCacheBytes
	}
	if budget < 0 {
		return nil, nil, fmt.Errorf("sqlite: a negative cache size")
	}
	readers := sqliteReaders()
	// The writer and each reader get an equal share, in KiB (a negative
	// cache_size is KiB), and at least SQLite's 2 MiB default would be
	// too much for a tiny budget: a floor of 256 KiB.
	perConn := max(budget/int64(readers+1)/1024, 256)
	// busy_timeout first, so that switching to WAL waits for other
	// processes instead of failing; foreign keys for ON DELETE CASCADE.
	pragmas := fmt.Sprintf("_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(%s)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-%d)&_txlock=immediate", sync, perConn)
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	write, err = sql.Open("sqlite", base+"?"+pragmas)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// Create the file and switch it to WAL before readers connect.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	mmap := o.MmapBytes
	if mmap == 0 {
		mmap = DefaultMmapBytes
	}
	// Readers only: the writer's pages are written with write(2) either
	// way, and a write transaction's reads are few.
	read, err = sql.Open("sqlite", base+"?"+pragmas+fmt.Sprintf("&_pragma=query_only(1)&_pragma=mmap_size(%d)", max(mmap, 0)))
	if err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	read.SetConnMaxLifetime(0)
	return write, read, nil
}

// sqliteReaders is the size of SQLite's read pool.
func sqliteReaders() int { return max(4, runtime.GOMAXPROCS(0)*2) }

func openPostgres(dsn string) (*DB, error) {
	pool, cfg, err := openPostgresPool(dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var schema string
	if err := pool.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{write: pool, read: pool, dialect: postgresDialect{}}
	// A channel name is at most 63 bytes; schema names are too.
	db.changes.channel, db.changes.cfg = truncate("concierge_changes_"+schema, 63), cfg
	return db, nil
}

// OpenPostgresPool connects to the PostgreSQL server at dsn as the store
// does, with the same driver, session settings and pool shape, but
// neither migrates nor prepares anything: for the benchmark's ceilings.
func OpenPostgresPool(dsn string) (*sql.DB, error) {
	pool, _, err := openPostgresPool(dsn)
	return pool, err
}

func openPostgresPool(dsn string) (*sql.DB, *pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: invalid URL: %w", err)
	}
	// PostgreSQL's own plan_cache_mode (auto): prepared statements may
	// get a generic plan after five runs, and those whose plan depends on
	// their values are planned at every run instead (see planPerRun).
	// force_custom_plan re-planned every lookup: a third of the req/s of
	// a get by ID, two thirds of a lookup by email.
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(max(8, runtime.GOMAXPROCS(0)*4))
	pool.SetMaxIdleConns(max(8, runtime.GOMAXPROCS(0)*4))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return pool, cfg, nil
}

// Engine returns SQLite or Postgres.
func (db *DB) Engine() string { return db.dialect.name() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes every connection.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() { err = db.close() })
	return err
}

// close releases the pools once; Close may be called again.
func (db *DB) close() error {
	db.changes.close()
	if db.batch != nil {
		db.batch.close()
	}
	if db.readStmts != nil {
		db.readStmts.close()
		db.writeStmts.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		if e := db.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

func (db *DB) nowMillis() int64 { return db.Now().UnixMilli() }

// tx runs fn in a write transaction; its changes are committed if and
// only if it returns nil. fn must use the context it is given.
func (db *DB) tx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	var err error
	if db.batch != nil {
		err = db.batch.do(ctx, fn)
	} else {
		err = db.plainTx(ctx, fn)
	}
	return db.goneMeanwhile(err)
}

// goneMeanwhile turns a foreign-key violation that no store method
// mapped into a 404. The services check that what a write refers to
// exists before the write's transaction, so a row deleted between the
// two (a user deleted while a member is added) fails the key: a race a
// client can cause, not a server fault, and nothing was written.
func (db *DB) goneMeanwhile(err error) error {
	if err == nil || !db.dialect.isForeignKey(err) {
		return err
	}
	return errs.ResourceNotFound("not found", "Something this request refers to was deleted while it was being carried out.")
}

func (db *DB) plainTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Analyze refreshes the planner's statistics, as one should after a bulk
// load: PostgreSQL's autovacuum does it eventually, but until then a fresh
// import is planned as if its tables were empty. On SQLite it merges the
// search index instead, which a bulk load leaves in many segments.
func (db *DB) Analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if db.dialect.name() == SQLite {
		stmt = sqliteOptimizeSearchSQL
	}
	_, err := db.write.ExecContext(ctx, stmt)
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
