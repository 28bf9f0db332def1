package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/conciergehq/concierge/internal/config"
)

const backupUsage = `Usage: concierge backup <file> [flags]

Write a consistent copy of the SQLite database to <file> (which must not
exist) while servers keep using it: the copy holds every write committed
before the backup began, passes SQLite's integrity check, and is a
database Concierge opens as it is (CONCIERGE_DATABASE=<file>).

The database comes from -database or CONCIERGE_DATABASE, as for the
server. For PostgreSQL use pg_dump (see the README).
`

// backupCommand runs "concierge backup <file>".
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, backupUsage)
		return config.ErrHelp
	}
	dest, rest := args[0], args[1:]
	if len(dest) > 0 && dest[0] == '-' {
		return errors.New("backup: give the file to write first (concierge backup <file> [flags])")
	}
	cfg, err := config.Load(rest, getenv, stderr)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, dest); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s in %s\n", cfg.Database, dest, time.Since(start).Round(time.Millisecond))
	return nil
}
