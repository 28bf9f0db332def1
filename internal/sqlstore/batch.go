package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 64

var errClosed = errors.New("sqlstore: database is closed")

// batcher gives SQLite group commit. SQLite has one writer, and most of a
// small write's cost is its commit (writing the WAL frames of every page
// it touched), so writes that arrive while another commits are run
// together in one BEGIN…COMMIT; none is answered before the commit that
// holds it has succeeded, and one that fails fails alone (see commit).
type batcher struct {
	write *sql.DB
	ops   chan *writeOp
	stop  chan struct{}
	done  chan struct{}
}

type writeOp struct {
	ctx    context.Context
	fn     func(context.Context, *sql.Tx) error
	result chan error
}

func newBatcher(write *sql.DB) *batcher {
	b := &batcher{write: write, ops: make(chan *writeOp), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs fn in a write transaction shared with other concurrent writes.
func (b *batcher) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, result: make(chan error, 1)}
	select {
	case b.ops <- op:
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once accepted, the write runs to completion even if the caller
	// goes away: it is answered only with the commit's outcome.
	return <-op.result
}

func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		var op *writeOp
		select {
		case op = <-b.ops:
		case <-b.stop:
			return
		}
		batch := []*writeOp{op}
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-b.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		b.commit(batch)
	}
}

// commit runs the batch in one transaction without savepoints: most
// writes succeed, and savepoints are not free (each one makes FTS5 flush
// its pending index). If any write fails, the shared transaction is
// rolled back and each write is run again in a transaction of its own, so
// a failure affects nobody else. Write functions read what they need
// inside the transaction, so running one again is safe.
func (b *batcher) commit(batch []*writeOp) {
	if len(batch) > 1 {
		if results, ok := b.runShared(batch); ok {
			for i, op := range batch {
				op.result <- results[i]
			}
			return
		}
	}
	for _, op := range batch {
		op.result <- b.runAlone(op)
	}
}

// runShared reports ok=false when a write failed and nothing was kept.
func (b *batcher) runShared(batch []*writeOp) (results []error, ok bool) {
	ctx := context.Background()
	tx, err := b.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false
	}
	for _, op := range batch {
		// Statements must not be interrupted by a caller's cancellation:
		// an interrupt rolls back the whole shared transaction.
		if err := op.call(context.WithoutCancel(op.ctx), tx); err != nil {
			tx.Rollback()
			return nil, false
		}
	}
	results = make([]error, len(batch))
	if err := tx.Commit(); err != nil {
		for i := range results {
			results[i] = err
		}
	}
	return results, true
}

func (b *batcher) runAlone(op *writeOp) error {
	ctx := context.WithoutCancel(op.ctx)
	tx, err := b.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := op.call(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// call runs the write, turning a panic into an error: the batcher's
// goroutine serves every writer, and must outlive one bad write.
func (op *writeOp) call(ctx context.Context, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlstore: write panicked: %v", p)
		}
	}()
	return op.fn(ctx, tx)
}
