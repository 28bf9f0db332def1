package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one forward-only .sql file, named NNNN_description.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the engine's migrations in version order.
func migrations(engine string) ([]migration, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// MigrationVersions returns the version numbers shipped for an engine.
func MigrationVersions(engine string) ([]int, error) {
	ms, err := migrations(engine)
	if err != nil {
		return nil, err
	}
	vs := make([]int, len(ms))
	for i, m := range ms {
		vs[i] = m.version
	}
	return vs, nil
}

// migrate applies every migration not yet recorded in schema_migrations,
// each in its own transaction together with its record.
func (db *DB) migrate(ctx context.Context) error {
	// Under the migration lock too: two processes starting on one new
	// PostgreSQL database would otherwise race to create the table (and
	// one fail on pg_type's unique index, IF NOT EXISTS notwithstanding).
	err := db.plainTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if lock := db.dialect.migrationLock(); lock != "" {
			if _, err := tx.ExecContext(ctx, lock); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	ms, err := migrations(db.dialect.name())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		err := db.plainTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if lock := db.dialect.migrationLock(); lock != "" {
				if _, err := tx.ExecContext(ctx, lock); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, db.dialect.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.dialect.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
				m.version, m.name, db.nowMillis())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// Ready reports whether the database answers with the schema this build
// migrated it to: a process that started before a newer release migrated
// the database on (or a database left behind) is not ready to serve.
func (db *DB) Ready(ctx context.Context) error {
	ms, err := migrations(db.dialect.name())
	if err != nil {
		return err
	}
	var applied, newest int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&applied, &newest); err != nil {
		return err
	}
	want := ms[len(ms)-1].version
	switch {
	case newest > want:
		return fmt.Errorf("the database's schema (migration %d) is newer than this build's (%d)", newest, want)
	case newest < want || applied < len(ms):
		return fmt.Errorf("migrations pending: the database has %d of this build's %d", applied, len(ms))
	}
	return nil
}
