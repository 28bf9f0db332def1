package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/transfer"
)

const importUsage = `Usage: concierge import [flags] [FILE ...]

Imports users, keeping their IDs (when they are Clerk's user_… IDs),
password digests, second factors, metadata and times. Sources:

  FILE.csv                 Clerk's dashboard export (id, first_name, last_name,
                           username, email_addresses, phone_numbers, totp_secret,
                           password_digest, password_hasher, unsafe_metadata,
                           public_metadata, private_metadata). Several addresses
                           in a cell are |-separated; the first becomes primary.
  FILE (JSON Lines or a JSON array)
                           Clerk user objects (what concierge export writes),
                           Backend API create-user bodies, Supabase Auth users
                           (auth.users rows or admin API users) or Auth0 users
                           (bulk export, or the password-hash export).
  -from-api URL -key sk_…  a live Clerk-compatible Backend API (Clerk's, or
                           another Concierge), paged through GET /v1/users:
                           verification states, external accounts, times and
                           flags. With FILEs too, it runs after them and fills
                           in what they lack, keeping their password digests.

Flags:
  -format F      auto (default), clerk-csv, jsonl, create, supabase, auth0
  -from-api URL  pull from a Backend API (its secret key from -key, CONCIERGE_IMPORT_KEY
                 or the file CONCIERGE_IMPORT_KEY_FILE names)
  -dry-run       check everything, write nothing
  -update        overwrite users that exist (default: skip them as duplicates)
  -restart       ignore where an earlier, interrupted run of this source stopped
  -errors PATH   where failed records go (default: FILE.errors.csv/.jsonl beside it)
  -webhooks      emit user.created / user.updated events for what is imported
  -batch N       users per transaction (default 500)

Each batch commits with a checkpoint, so an interrupted import run again
resumes after its last batch. Users whose IDs are not Clerk's get IDs
derived from their source IDs, so a second run finds them too.
The database comes from -database or CONCIERGE_DATABASE, as for the server.
`

const exportUsage = `Usage: concierge export [-format jsonl|clerk-csv] [-output FILE]

Writes every user, with password digests and second factors, to FILE or
standard output. jsonl (the default) is Clerk's user object per line plus
password_digest, password_hasher, totp_secret and backup_codes, and imports
back without loss, followed by the audit log, one event a line with
"object":"audit_event" (an import skips those lines); clerk-csv has the
columns of Clerk's dashboard export, users only.
The output is as secret as the database: keep it so.
The database comes from -database or CONCIERGE_DATABASE, as for the server.
`

// splitFlags separates a command's own flags from the server's (-database
// and the rest, which all take a value), which config.Load reads; the
// command's come first, then its arguments.
func splitFlags(args []string, own *flag.FlagSet) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := own.Lookup(name)
		if !strings.HasPrefix(a, "-") || f == nil {
			if strings.HasPrefix(a, "-") {
				rest = append(rest, a)
				if !hasValue && i+1 < len(args) {
					rest = append(rest, args[i+1])
					i++
				}
				continue
			}
			mine = append(mine, a)
			continue
		}
		mine = append(mine, a)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if !hasValue && i+1 < len(args) {
			mine = append(mine, args[i+1])
			i++
		}
	}
	// flag stops at the first positional argument: put flags first.
	var flags, files []string
	for i := 0; i < len(mine); i++ {
		a := mine[i]
		if !strings.HasPrefix(a, "-") {
			files = append(files, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if f := own.Lookup(name); f != nil && !hasValue {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
				if i+1 < len(mine) {
					flags = append(flags, mine[i+1])
					i++
				}
			}
		}
	}
	return append(flags, files...), rest
}

// openForTransfer opens the database and the instance's "mfa" key.
func openForTransfer(ctx context.Context, rest []string, getenv func(string) string, stderr io.Writer) (*sqlstore.DB, config.Config, []byte, error) {
	cfg, err := config.Load(rest, getenv, stderr)
	if err != nil {
		return nil, cfg, nil, err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, cfg, nil, fmt.Errorf("database: %w", err)
	}
	key, err := instance.NewService(db).Secret(ctx, "mfa")
	if err != nil {
		db.Close()
		return nil, cfg, nil, err
	}
	return db, cfg, key, nil
}

// importCommand runs "concierge import ...".
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// Each committed batch is recorded in the audit log (user.imported)
	// as the command line's doing.
	ctx = audit.WithActor(ctx, audit.Actor{Kind: audit.System, ID: "concierge import"})
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "auto", "")
	fromAPI := fs.String("from-api", "", "")
	key := fs.String("key", "", "")
	dryRun := fs.Bool("dry-run", false, "")
	update := fs.Bool("update", false, "")
	restart := fs.Bool("restart", false, "")
	errorsPath := fs.String("errors", "", "")
	webhooks := fs.Bool("webhooks", false, "")
	batch := fs.Int("batch", 500, "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	mine, rest := splitFlags(args, fs)
	if err := fs.Parse(mine); err != nil {
		fmt.Fprint(stderr, importUsage)
		return fmt.Errorf("import: %w", err)
	}
	files := fs.Args()
	if *help || (len(files) == 0 && *fromAPI == "") {
		fmt.Fprint(stderr, importUsage)
		return config.ErrHelp
	}
	if *key == "" {
		*key = getenv("CONCIERGE_IMPORT_KEY")
	}
	if file := getenv("CONCIERGE_IMPORT_KEY_FILE"); *key == "" && file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("CONCIERGE_IMPORT_KEY_FILE: %w", err)
		}
		*key = strings.TrimSpace(string(b))
	}
	if *fromAPI != "" && *key == "" {
		return errors.New("import: -from-api needs the source's secret key (-key, CONCIERGE_IMPORT_KEY or CONCIERGE_IMPORT_KEY_FILE)")
	}
	if *batch < 1 || *batch > 5000 {
		return errors.New("import: -batch must be between 1 and 5000")
	}
	db, cfg, mfaKey, err := openForTransfer(ctx, rest, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if *webhooks {
		secret, err := instance.NewService(db).Secret(ctx, "instance_id")
		if err != nil {
			return err
		}
		db.Events = sqlstore.Events{Render: app.EventRenderer(cfg.PublicURL, "ins_"+hex.EncodeToString(secret)[:27], nil)}
	}
	mode := "create"
	if *update {
		mode = "update"
	}
	run := importRun{db: db, key: mfaKey, stdout: stdout, stderr: stderr, dryRun: *dryRun, restart: *restart,
		webhooks: *webhooks, batch: *batch, errorsPath: *errorsPath}
	var failed int64
	for _, path := range files {
		n, err := run.file(ctx, path, *format, mode, *update)
		failed += n
		if err != nil {
			return err
		}
	}
	if *fromAPI != "" {
		// After files, the API fills in what they lack: it updates.
		apiUpdate := *update || len(files) > 0
		apiMode := mode
		if apiUpdate {
			apiMode = "update"
		}
		n, err := run.api(ctx, *fromAPI, *key, apiMode, apiUpdate)
		failed += n
		if err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("import: %d records failed (listed above and in the error file)", failed)
	}
	return nil
}

type importRun struct {
	db                        *sqlstore.DB
	key                       []byte
	stdout, stderr            io.Writer
	dryRun, restart, webhooks bool
	batch                     int
	errorsPath                string
}

func (r *importRun) options(checkpoint string, update bool) (transfer.Options, error) {
	o := transfer.Options{Update: update, Events: r.webhooks, DryRun: r.dryRun, BatchSize: r.batch}
	if r.dryRun {
		return o, nil
	}
	o.Checkpoint = checkpoint
	if !r.restart {
		pos, err := r.db.ImportPosition(context.Background(), checkpoint)
		if err != nil {
			return o, err
		}
		o.Skip = pos
	}
	return o, nil
}

func (r *importRun) importer(source string) *transfer.Importer {
	return &transfer.Importer{Store: r.db, Builder: &transfer.Builder{Source: source, Key: r.key, Now: time.Now}}
}

func (r *importRun) file(ctx context.Context, path, format, mode string, update bool) (int64, error) {
	f, err := transfer.OpenFile(path, format)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	o, err := r.options("file:"+f.Format+":"+mode+":"+f.Fingerprint, update)
	if err != nil {
		return 0, err
	}
	name := path
	if o.Skip > 0 {
		fmt.Fprintf(r.stderr, "%s: resuming after record %d, which an earlier run committed (-restart reads it all again)\n", name, o.Skip)
	}
	ef := newErrorFile(r.errorsPath, path, f.Format, f.Header, o.Skip > 0)
	defer ef.close()
	bar := newProgress(r.stderr, name, func() (float64, bool) {
		if f.Size == 0 {
			return 0, false
		}
		return float64(f.Read()) / float64(f.Size), true
	})
	o.Progress, o.Failure = bar.update, ef.add(r.stderr, bar.tty)
	sum, err := r.importer(f.Format).Run(ctx, f, o)
	bar.done()
	r.report(name, sum, ef)
	if err != nil {
		return sum.Failed, fmt.Errorf("import %s: %w", path, err)
	}
	return sum.Failed, ef.err
}

func (r *importRun) api(ctx context.Context, url, key, mode string, update bool) (int64, error) {
	checkpoint := "api:" + strings.TrimSuffix(url, "/") + ":" + mode
	o, err := r.options(checkpoint, update)
	if err != nil {
		return 0, err
	}
	src := transfer.NewAPISource(ctx, url, key, o.Skip)
	total, err := src.Total()
	if err != nil {
		return 0, fmt.Errorf("import from %s: %w", url, err)
	}
	if o.Skip > 0 {
		fmt.Fprintf(r.stderr, "%s: resuming after user %d, which an earlier run committed (-restart pulls all again)\n", url, o.Skip)
	}
	resumed := o.Skip
	o.Skip, o.Resumed = 0, resumed // the API source starts there itself
	ef := newErrorFile(r.errorsPath, "api-import", transfer.FormatJSONL, nil, resumed > 0)
	defer ef.close()
	var done int64
	bar := newProgress(r.stderr, url, func() (float64, bool) {
		if total <= 0 {
			return 0, false
		}
		return float64(resumed+done) / float64(total), true
	})
	o.Progress = func(s transfer.Summary) { done = s.Read; bar.update(s) }
	o.Failure = ef.add(r.stderr, bar.tty)
	sum, err := r.importer("api").Run(ctx, src, o)
	bar.done()
	r.report(url, sum, ef)
	if err != nil {
		return sum.Failed, fmt.Errorf("import from %s: %w", url, err)
	}
	return sum.Failed, ef.err
}

func (r *importRun) report(name string, s transfer.Summary, ef *errorFile) {
	verb := "imported"
	if r.dryRun {
		verb = "would import"
	}
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Read) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(r.stdout, "%s: %d records read in %s (%.0f/s): %s %d, updated %d, skipped %d duplicates, %d failed",
		name, s.Read, s.Elapsed.Round(time.Millisecond), rate, verb, s.Imported, s.Updated, s.Duplicates, s.Failed)
	if s.Resumed > 0 {
		fmt.Fprintf(r.stdout, " (%d committed by an earlier run)", s.Resumed)
	}
	fmt.Fprintln(r.stdout)
	if ef.path != "" && ef.n > 0 {
		fmt.Fprintf(r.stdout, "%s: the %d failed records are in %s\n", name, ef.n, ef.path)
	}
}

// exportCommand runs "concierge export ...".
func exportCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", transfer.FormatJSONL, "")
	output := fs.String("output", "", "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	mine, rest := splitFlags(args, fs)
	if err := fs.Parse(mine); err != nil || *help || fs.NArg() > 0 {
		fmt.Fprint(stderr, exportUsage)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
		}
		return config.ErrHelp
	}
	if *format != transfer.FormatJSONL && *format != transfer.FormatClerkCSV {
		return fmt.Errorf("export: unknown format %q (jsonl or clerk-csv)", *format)
	}
	db, _, key, err := openForTransfer(ctx, rest, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	w := stdout
	var tmp *os.File
	if *output != "" {
		// Written beside the target and renamed, so a failed export
		// leaves no half file; readable by its owner only.
		tmp, err = os.CreateTemp(dirOf(*output), ".concierge-export-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		w = tmp
	}
	start := time.Now()
	exp := &transfer.Exporter{Store: db, Key: key, Audit: db}
	n, err := exp.Export(ctx, w, *format, nil)
	if err != nil {
		if tmp != nil {
			tmp.Close()
		}
		return fmt.Errorf("export: %w", err)
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *output); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "exported %d users and %d audit events in %s\n", n, exp.Audited, time.Since(start).Round(time.Millisecond))
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}
