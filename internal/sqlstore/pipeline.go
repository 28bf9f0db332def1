package sqlstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

// pipedWrite is one statement of a pipelined write: SQL written with "?"
// and its arguments.
type pipedWrite struct {
	query string
	args  []any
}

// pipeline runs writes on PostgreSQL in order and atomically in one round
// trip: the statements of a batch sent outside a transaction run in one
// implicit transaction that commits at the batch's end, and the first
// failure rolls it back. A write as a transaction costs a round trip per
// statement plus BEGIN and COMMIT (six for a user with one email). It
// returns the index of the write that failed, or -1.
func (db *DB) pipeline(ctx context.Context, writes []pipedWrite) (failed int, err error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	failed = -1
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: pipeline on a %T connection", dc)
		}
		b := &pgx.Batch{}
		for _, w := range writes {
			b.Queue(db.dialect.rebind(w.query), w.args...)
		}
		res := c.Conn().SendBatch(ctx, b)
		for i := range writes {
			if _, err := res.Exec(); err != nil {
				failed = i
				res.Close()
				return err
			}
		}
		return res.Close()
	})
	return failed, err
}

// createUserPipelined is createUser on PostgreSQL as one pipeline: the
// user, its identifiers, its search row, its audit event and its webhook
// deliveries, in one round trip.
func (db *DB) createUserPipelined(ctx context.Context, u *user.User) error {
	writes := make([]pipedWrite, 0, len(u.Identifiers)+4)
	writes = append(writes, pipedWrite{insertUserSQL, insertValues(u)})
	for i := range u.Identifiers {
		writes = append(writes, pipedWrite{insertIdentifierSQL, identifierValues(&u.Identifiers[i])})
	}
	writes = append(writes, pipedWrite{postgresUpsertSearchSQL, postgresSearchValues(u.ID, newSearchDoc(u))})
	auditArgs, err := db.auditArgs(ctx, audit.UserCreated, "user", u.ID, nil)
	if err != nil {
		return err
	}
	if auditArgs != nil {
		writes = append(writes, pipedWrite{insertAuditSQL, auditArgs})
	}
	deliveries, err := db.deliveries(ctx, db.reader(), webhook.UserCreated, u)
	if err != nil {
		return err
	}
	for _, args := range deliveries {
		writes = append(writes, pipedWrite{insertDeliverySQL, args})
	}
	failed, err := db.pipeline(ctx, writes)
	switch {
	case err == nil:
		if len(deliveries) > 0 && db.Events.Wake != nil {
			db.Events.Wake()
		}
		return nil
	case !db.dialect.isUnique(err):
		return err
	case failed == 0:
		return db.userConflict(ctx, nil, u)
	case failed <= len(u.Identifiers):
		return identifierTaken(&u.Identifiers[failed-1])
	}
	return err
}
