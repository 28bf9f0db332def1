package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/token"
)

const keysUsage = `Usage: concierge keys <command> [flags]

Manage the RSA keys that sign session tokens (they live in the database,
shared by every Concierge process on it):

  concierge keys list            list the keys that verify tokens; the newest signs
  concierge keys rotate          add a new key, which signs from now on
  concierge keys retire <kid>    stop accepting tokens signed with an older key

The database comes from -database or CONCIERGE_DATABASE, as for the server.
Running servers pick changes up at once on PostgreSQL (within 30 seconds
on SQLite). Retire a key only once the tokens it signed have expired
(CONCIERGE_SESSION_TOKEN_TTL after rotating).
`

// keysCommand runs "concierge keys ...".
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keysUsage)
		return config.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	var kid string
	if cmd == "retire" {
		if len(rest) == 0 {
			return errors.New("keys retire: give the kid of the key to retire (see concierge keys list)")
		}
		kid, rest = rest[0], rest[1:]
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
	keys, err := token.Open(ctx, db, time.Now)
	if err != nil {
		return err
	}
	switch cmd {
	case "list":
	case "rotate":
		newKID, err := keys.Rotate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s; it signs new tokens from now on\n", newKID)
	case "retire":
		if err := keys.Retire(ctx, kid); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retired %s\n", kid)
	default:
		return fmt.Errorf("keys: unknown command %q (list, rotate or retire)", cmd)
	}
	signing := keys.SigningKID()
	for _, k := range keys.JWKS().Keys {
		mark := ""
		if k.KeyID == signing {
			mark = "  (signs)"
		}
		fmt.Fprintf(stdout, "%s%s\n", k.KeyID, mark)
	}
	return nil
}
