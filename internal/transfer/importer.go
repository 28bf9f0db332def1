package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// Outcome is what happened to one user of a batch.
type Outcome int

// The outcomes of a user in a batch.
const (
	Imported  Outcome = iota // a new user
	Updated                  // an existing user overwritten (Options.Update)
	Duplicate                // already there (same ID): skipped
	Failed                   // refused; Result.Err says why
)

// Result is the outcome of one user of a batch.
type Result struct {
	Outcome Outcome
	Err     error
}

// Batch is what an import hands the store at once: the users, and the
// checkpoint to record in the same transaction.
type Batch struct {
	Users []*user.User
	// Source and Position are the checkpoint: the source has been read up
	// to record Position when this batch commits. Source "" records none.
	Source   string
	Position int64
	// Update overwrites existing users (keeping their password and second
	// factors where the record has none) instead of skipping them.
	Update bool
	// Events emits user.created / user.updated webhook events.
	Events bool
	// DryRun decides every outcome but commits nothing.
	DryRun bool
}

// Store is where imports go and exports come from.
type Store interface {
	// ImportUsers stores a batch in one transaction. A user whose ID exists
	// is a Duplicate (or Updated); one whose identifier, username or
	// external ID another user holds Failed, alone.
	ImportUsers(ctx context.Context, b Batch) ([]Result, error)
	// ImportPosition is the checkpoint of a source: records committed.
	ImportPosition(ctx context.Context, source string) (int64, error)
	// AfterImport brings the planner's statistics up to date after many
	// rows arrived at once: without them PostgreSQL may scan a table for a
	// lookup an index serves.
	AfterImport(ctx context.Context) error
	// ExportUsers returns up to limit users with IDs after after, in ID
	// order, with their identifiers and secrets.
	ExportUsers(ctx context.Context, after string, limit int) ([]*user.User, error)
}

// Source yields items until io.EOF.
type Source interface {
	Next() (*Item, error)
}

// Options tune an import.
type Options struct {
	// Checkpoint names the source for resuming ("" for none).
	Checkpoint string
	// Skip is how many records to read past: what an earlier run
	// committed. A source that starts there itself (the API) is given
	// Resumed instead, which is only counted.
	Skip      int64
	Resumed   int64
	Update    bool
	Events    bool
	DryRun    bool
	BatchSize int
	// Progress is told of every committed batch.
	Progress func(Summary)
	// Failure is told of every failed item, in source order.
	Failure func(it *Item, err error)
}

// Summary counts what an import did.
type Summary struct {
	Read       int64 // records read in this run (skipped by resuming excluded)
	Resumed    int64 // records skipped because an earlier run committed them
	Imported   int64
	Updated    int64
	Duplicates int64
	Failed     int64
	Elapsed    time.Duration
}

// Importer runs imports into a Store.
type Importer struct {
	Store   Store
	Builder *Builder
}

// Run reads src to its end and imports it in batches. It returns early
// only if reading fails or the store fails as a whole; a bad record fails
// alone and is counted.
func (im *Importer) Run(ctx context.Context, src Source, o Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	// A file source is read past what an earlier run committed.
	for sum.Resumed < o.Skip {
		if _, err := src.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return sum, err
		}
		sum.Resumed++
	}
	sum.Resumed += o.Resumed
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		items, readErr := readBatch(src, o.BatchSize)
		if len(items) > 0 {
			if err := im.importBatch(ctx, items, o, &sum); err != nil {
				return sum, err
			}
			sum.Elapsed = time.Since(start)
			if o.Progress != nil {
				o.Progress(sum)
			}
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
		if readErr != nil {
			return sum, readErr
		}
	}
	if sum.Imported+sum.Updated > 0 && !o.DryRun {
		if err := im.Store.AfterImport(ctx); err != nil {
			return sum, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func readBatch(src Source, n int) ([]*Item, error) {
	items := make([]*Item, 0, n)
	for len(items) < n {
		it, err := src.Next()
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
	return items, nil
}

// importBatch builds the users of items on every core (bcrypt for plain
// passwords and backup codes is the slow part), then stores them at once.
func (im *Importer) importBatch(ctx context.Context, items []*Item, o Options, sum *Summary) error {
	users := make([]*user.User, len(items))
	errsOf := make([]error, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it := items[i]
				if it.Err != nil {
					errsOf[i] = it.Err
					continue
				}
				users[i], errsOf[i] = im.Builder.Build(it.Rec)
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()

	var batch []*user.User
	var at []int
	for i, u := range users {
		if errsOf[i] == nil {
			batch = append(batch, u)
			at = append(at, i)
		}
	}
	b := Batch{Users: batch, Update: o.Update, Events: o.Events, DryRun: o.DryRun,
		Source: o.Checkpoint, Position: items[len(items)-1].Seq}
	results, err := im.Store.ImportUsers(ctx, b)
	if err != nil {
		return fmt.Errorf("storing records %d–%d: %w", items[0].Seq, items[len(items)-1].Seq, err)
	}
	for k, r := range results {
		i := at[k]
		switch r.Outcome {
		case Imported:
			sum.Imported++
		case Updated:
			sum.Updated++
		case Duplicate:
			sum.Duplicates++
		case Failed:
			errsOf[i] = r.Err
		}
	}
	for i, it := range items {
		sum.Read++
		if errsOf[i] != nil {
			sum.Failed++
			if o.Failure != nil {
				o.Failure(it, errsOf[i])
			}
		}
	}
	return nil
}

// Reason is an error as an import reports it: Clerk's long message for a
// validation error, the error's text otherwise.
func Reason(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		msg := e.LongMessage
		if msg == "" {
			msg = e.Message
		}
		if p, ok := e.Meta["param_name"].(string); ok && p != "" {
			return p + ": " + msg
		}
		return msg
	}
	return err.Error()
}
