package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/operator"
)

const operatorsUsage = `Usage: concierge operators create -email <address> [flags]

Creates a dashboard operator. The password is read from
CONCIERGE_OPERATOR_PASSWORD, else from the first line of standard input.
The database comes from -database or CONCIERGE_DATABASE, as for the server.
`

// operatorsCommand runs "concierge operators create".
func operatorsCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, operatorsUsage)
		return config.ErrHelp
	}
	fs := flag.NewFlagSet("operators create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the operator's email address")
	// The remaining flags are the server's (-database …).
	var rest []string
	for i := 1; i < len(args); i++ {
		if a := args[i]; a == "-email" || a == "--email" {
			if i+1 < len(args) {
				*email = args[i+1]
				i++
			}
		} else if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "email="); ok {
			*email = v
		} else {
			rest = append(rest, a)
		}
	}
	if *email == "" {
		fmt.Fprint(stderr, operatorsUsage)
		return errors.New("operators create: -email is required")
	}
	cfg, err := config.Load(rest, getenv, stderr)
	if err != nil {
		return err
	}
	pw := getenv("CONCIERGE_OPERATOR_PASSWORD")
	if pw == "" {
		fmt.Fprint(stderr, "Password: ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("operators create: no password (set CONCIERGE_OPERATOR_PASSWORD or pipe it)")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	// Recorded in the audit log as the command line's doing.
	ctx = audit.WithActor(ctx, audit.Actor{Kind: audit.System, ID: "concierge operators create"})
	o, err := (&operator.Service{Store: db, Now: time.Now}).Create(ctx, *email, pw)
	if err != nil {
		return fmt.Errorf("operators create: %w", err)
	}
	fmt.Fprintf(stdout, "created operator %s (%s); sign in at %s/dashboard\n", o.Email, o.ID, cfg.PublicURL)
	return nil
}
