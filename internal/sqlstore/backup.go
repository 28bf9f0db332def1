package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupEngine: Backup is SQLite's; PostgreSQL has pg_dump.
var ErrBackupEngine = errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump (see the README)")

// Backup writes a consistent copy of the SQLite database to dest while it
// keeps serving: VACUUM INTO reads one snapshot, so the copy holds every
// write committed before it began and none half-done, and writers are not
// blocked (WAL readers do not block the writer). The copy is written
// beside dest, checked, synced and renamed, so dest appears only whole.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.dialect.name() != SQLite {
		return ErrBackupEngine
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists: give a new file", dest)
	}
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".partial")
	os.Remove(tmp) // a previous attempt's leftover
	// On a connection of its own: the pool's readers are query_only,
	// which refuses VACUUM INTO, and the writer must stay free.
	src, err := openSQLiteFile(db.path)
	if err != nil {
		return err
	}
	_, err = src.ExecContext(ctx, "VACUUM INTO ?", tmp)
	src.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkCopy(ctx, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// checkCopy runs SQLite's integrity check on a copy.
func checkCopy(ctx context.Context, path string) error {
	c, err := openSQLiteFile(path)
	if err != nil {
		return err
	}
	defer c.Close()
	var res string
	if err := c.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("backup: checking the copy: %w", err)
	}
	if strings.TrimSpace(res) != "ok" {
		return fmt.Errorf("backup: the copy fails its integrity check: %s", res)
	}
	return nil
}

// openSQLiteFile opens a SQLite file plainly, for checks of copies.
func openSQLiteFile(path string) (*sql.DB, error) {
	c, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return c, nil
}
