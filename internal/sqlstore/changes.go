package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// What changed, as every process serving the database must hear of it
// at once: each caches these and would otherwise see a change only when
// its cache expires.
const (
	ChangedSettings     = "settings"
	ChangedSecretKeys   = "secret_keys"
	ChangedSigningKeys  = "signing_keys"
	ChangedRedirectURLs = "redirect_urls"
	// ChangedAll: notifications may have been missed (the listening
	// connection was lost), so anything may have changed.
	ChangedAll = "*"
)

// changes tells subscribers what changed. In this process it does so
// right after the commit; on PostgreSQL the transaction also sends a
// NOTIFY, which the database delivers on commit to every process's
// LISTEN connection (this one's too: a second, harmless forget). SQLite
// is served by one process, so the first path is all it needs.
type changes struct {
	mu   sync.Mutex
	subs []func(topic string)
	// channel is the PostgreSQL channel: one per schema, so that
	// databases sharing a server (or tests sharing a database) do not
	// hear each other.
	channel string
	cfg     *pgx.ConnConfig
	log     *slog.Logger
	stop    context.CancelFunc
	done    chan struct{}
}

// OnChange calls fn with the topic of every change (one of the Changed
// constants), from this process or, on PostgreSQL, any other. fn must be
// quick: it runs on the writer's or the listener's goroutine.
func (db *DB) OnChange(log *slog.Logger, fn func(topic string)) {
	c := &db.changes
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, fn)
	if c.cfg != nil && c.stop == nil {
		ctx, stop := context.WithCancel(context.Background())
		c.stop, c.done, c.log = stop, make(chan struct{}), log
		go c.listen(ctx)
	}
}

// publish tells this process's subscribers.
func (c *changes) publish(topic string) {
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	for _, fn := range subs {
		fn(topic)
	}
}

// txChanged runs fn in a write transaction that also announces topic.
func (db *DB) txChanged(ctx context.Context, topic string, fn func(context.Context, *sql.Tx) error) error {
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if db.changes.channel == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", db.changes.channel, topic)
		return err
	})
	if err == nil {
		db.changes.publish(topic)
	}
	return err
}

// listen holds a LISTEN connection, reconnecting after a second when it
// is lost; after each (re)connection everything is announced changed,
// as notifications sent meanwhile were missed.
func (c *changes) listen(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, c.cfg.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{c.channel}.Sanitize()); err == nil {
				c.publish(ChangedAll)
				for {
					n, werr := conn.WaitForNotification(ctx)
					if werr != nil {
						err = werr
						break
					}
					c.publish(n.Payload)
				}
			}
			conn.Close(context.Background())
		}
		if ctx.Err() != nil {
			return
		}
		if c.log != nil {
			c.log.Warn("listening for changes from other processes failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// close stops the listener.
func (c *changes) close() {
	c.mu.Lock()
	stop, done := c.stop, c.done
	c.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
