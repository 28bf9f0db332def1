package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ webhook.Store = (*DB)(nil)

// Events renders the webhook events of changes (users, sessions,
// messages), so that they are written in the changes' own transactions;
// nil sends none. Wiring sets it (the rendering is the Backend API's).
type Events struct {
	// Render renders an event's payload: obj is a *user.User, a
	// *session.Session or a *delivery.Message.
	Render func(typ string, obj any) ([]byte, error)
	// Wake tells the webhook dispatcher that deliveries were queued.
	Wake func()
}

// endpointCache keeps the endpoints for the write paths, which look them
// up on every user change: reloaded after 2 s or a change in this process.
type endpointCache struct {
	mu  sync.Mutex
	eps []*webhook.Endpoint
	at  time.Time
}

func (db *DB) forgetEndpoints() {
	db.endpoints.mu.Lock()
	db.endpoints.eps = nil
	db.endpoints.mu.Unlock()
}

func (db *DB) cachedEndpoints(ctx context.Context, c q) ([]*webhook.Endpoint, error) {
	db.endpoints.mu.Lock()
	if db.endpoints.eps != nil && time.Since(db.endpoints.at) < 2*time.Second {
		eps := db.endpoints.eps
		db.endpoints.mu.Unlock()
		return eps, nil
	}
	db.endpoints.mu.Unlock()
	eps, err := db.endpointRows(ctx, c)
	if err != nil {
		return nil, err
	}
	db.endpoints.mu.Lock()
	db.endpoints.eps, db.endpoints.at = eps, time.Now()
	db.endpoints.mu.Unlock()
	return eps, nil
}

// emitUser queues a user event.
func (db *DB) emitUser(ctx context.Context, tx *sql.Tx, typ string, u *user.User) error {
	return db.emit(ctx, tx, typ, u)
}

// wanted reports whether any endpoint takes events of type typ, so that
// what only an event needs is not read for nobody.
func (db *DB) wanted(ctx context.Context, tx *sql.Tx, typ string) (bool, error) {
	if db.Events.Render == nil {
		return false, nil
	}
	eps, err := db.cachedEndpoints(ctx, db.in(tx))
	if err != nil {
		return false, err
	}
	for _, ep := range eps {
		if ep.Wants(typ) {
			return true, nil
		}
	}
	return false, nil
}

// emitUserByID queues a user event for a user the transaction changed,
// reading the user only when an endpoint takes the event.
func (db *DB) emitUserByID(ctx context.Context, tx *sql.Tx, typ, userID string) error {
	if want, err := db.wanted(ctx, tx, typ); err != nil || !want {
		return err
	}
	u, err := db.userWithIdentifiers(ctx, db.in(tx), selectUserJoinedSQL, userID)
	if err != nil {
		return err
	}
	return db.emit(ctx, tx, typ, u)
}

// endSessions moves the active sessions a condition selects to status,
// telling each as session.<status>.
func (db *DB) endSessions(ctx context.Context, tx *sql.Tx, cond, status string, now int64, args ...any) error {
	c := db.in(tx)
	var ended []*session.Session
	want, err := db.wanted(ctx, tx, "session."+status)
	if err != nil {
		return err
	}
	if want {
		rows, err := c.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE "+cond+" AND status = 'active'", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanSession(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ended = append(ended, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if _, err := c.ExecContext(ctx, "UPDATE sessions SET status = ?, updated_at = ? WHERE "+cond+" AND status = 'active'",
		append([]any{status, now}, args...)...); err != nil {
		return err
	}
	for _, s := range ended {
		s.Status, s.UpdatedAt = status, now
		if err := db.emit(ctx, tx, "session."+status, s); err != nil {
			return err
		}
	}
	return nil
}

// emit queues an event for every endpoint that takes it, in tx.
func (db *DB) emit(ctx context.Context, tx *sql.Tx, typ string, obj any) error {
	rows, err := db.deliveries(ctx, db.in(tx), typ, obj)
	if err != nil {
		return err
	}
	for _, args := range rows {
		if _, err := db.in(tx).ExecContext(ctx, insertDeliverySQL, args...); err != nil {
			return err
		}
	}
	if len(rows) > 0 && db.Events.Wake != nil {
		db.Events.Wake()
	}
	return nil
}

const insertDeliverySQL = `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, type, payload, status,
			next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// deliveries returns the arguments of insertDeliverySQL for the event of
// type typ about obj, one row per endpoint that takes it.
func (db *DB) deliveries(ctx context.Context, c q, typ string, obj any) ([][]any, error) {
	if db.Events.Render == nil {
		return nil, nil
	}
	eps, err := db.cachedEndpoints(ctx, c)
	if err != nil {
		return nil, err
	}
	var payload []byte
	var rows [][]any
	eventID := id.New(id.WebhookEvent)
	now := db.nowMillis()
	for _, ep := range eps {
		if !ep.Wants(typ) {
			continue
		}
		if payload == nil {
			if payload, err = db.Events.Render(typ, obj); err != nil {
				return nil, err
			}
		}
		rows = append(rows, []any{id.New(id.WebhookDelivery), eventID, ep.ID, typ, string(payload), webhook.Pending, now, now, now})
	}
	return rows, nil
}

type storedEndpoint struct {
	webhook.Endpoint
	OldSecretUntil int64 `json:"old_secret_until,omitempty"`
}

func (db *DB) endpointRows(ctx context.Context, c q) ([]*webhook.Endpoint, error) {
	rows, err := c.QueryContext(ctx, "SELECT data, secret, old_secret FROM webhook_endpoints ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*webhook.Endpoint{}
	for rows.Next() {
		ep, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

func scanEndpoint(r interface{ Scan(...any) error }) (*webhook.Endpoint, error) {
	var data string
	var secret, old []byte
	if err := r.Scan(&data, &secret, &old); err != nil {
		return nil, err
	}
	var s storedEndpoint
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, err
	}
	ep := s.Endpoint
	ep.Secret, ep.OldSecret, ep.OldSecretUntil = string(secret), string(old), s.OldSecretUntil
	return &ep, nil
}

// SaveEndpoint creates an endpoint (create) or replaces an existing one:
// a replacement never brings back an endpoint deleted meanwhile (the
// dispatcher records failures on endpoints it loaded before). Secrets
// are stored as given: the webhook service seals them.
func (db *DB) SaveEndpoint(ctx context.Context, ep *webhook.Endpoint, create bool) error {
	data, err := json.Marshal(storedEndpoint{*ep, ep.OldSecretUntil})
	if err != nil {
		return err
	}
	defer db.forgetEndpoints()
	var old any
	if ep.OldSecret != "" {
		old = []byte(ep.OldSecret)
	}
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		detail := map[string]string{"url": ep.URL}
		if create {
			_, err := db.in(tx).ExecContext(ctx, "INSERT INTO webhook_endpoints (id, data, secret, old_secret, created_at) VALUES (?, ?, ?, ?, ?)",
				ep.ID, string(data), []byte(ep.Secret), old, ep.CreatedAt)
			if err != nil {
				return err
			}
			return db.record(ctx, tx, audit.WebhookCreated, "webhook_endpoint", ep.ID, detail)
		}
		res, err := db.in(tx).ExecContext(ctx, "UPDATE webhook_endpoints SET data = ?, secret = ?, old_secret = ? WHERE id = ?",
			string(data), []byte(ep.Secret), old, ep.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No webhook endpoint was found with id "+ep.ID)
		}
		return db.record(ctx, tx, audit.WebhookUpdated, "webhook_endpoint", ep.ID, detail)
	})
}

// UpdateEndpointState changes an endpoint's state (failing, disabled) in
// one transaction from what is stored now, so that a dispatcher holding
// an older copy neither undoes an operator's change (a rotated secret)
// nor brings back a deleted endpoint.
func (db *DB) UpdateEndpointState(ctx context.Context, epID string, fn func(*webhook.Endpoint)) error {
	defer db.forgetEndpoints()
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		var data string
		err := c.QueryRowContext(ctx, "SELECT data FROM webhook_endpoints WHERE id = ?"+db.dialect.lockRows(), epID).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // deleted meanwhile: nothing to record
		}
		if err != nil {
			return err
		}
		var st storedEndpoint
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			return err
		}
		fn(&st.Endpoint)
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, "UPDATE webhook_endpoints SET data = ? WHERE id = ?", string(b), epID)
		return err
	})
}

// Endpoints lists every endpoint.
func (db *DB) Endpoints(ctx context.Context) ([]*webhook.Endpoint, error) {
	return db.endpointRows(ctx, db.reader())
}

// Endpoint returns one endpoint.
func (db *DB) Endpoint(ctx context.Context, epID string) (*webhook.Endpoint, error) {
	ep, err := scanEndpoint(db.reader().QueryRowContext(ctx, "SELECT data, secret, old_secret FROM webhook_endpoints WHERE id = ?", epID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No webhook endpoint was found with id "+epID)
	}
	return ep, err
}

// DeleteEndpoint removes an endpoint and its deliveries.
func (db *DB) DeleteEndpoint(ctx context.Context, epID string) error {
	defer db.forgetEndpoints()
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM webhook_endpoints WHERE id = ?", epID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ResourceNotFound("not found", "No webhook endpoint was found with id "+epID)
		}
		return db.record(ctx, tx, audit.WebhookDeleted, "webhook_endpoint", epID, nil)
	})
}

// QueueDelivery queues one event for one endpoint: a test event, or a
// replay (d.ReplayOf set).
func (db *DB) QueueDelivery(ctx context.Context, d *webhook.Delivery) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.in(tx).ExecContext(ctx, insertDeliverySQL,
			d.ID, d.EventID, d.EndpointID, d.Type, string(d.Payload), webhook.Pending, d.NextAttemptAt, d.CreatedAt, d.CreatedAt); err != nil {
			return err
		}
		if d.ReplayOf != "" {
			return db.record(ctx, tx, audit.WebhookReplayed, "webhook_message", d.EventID, map[string]string{
				"endpoint_id": d.EndpointID, "delivery_id": d.ID, "replay_of": d.ReplayOf, "type": d.Type})
		}
		return db.record(ctx, tx, audit.WebhookTested, "webhook_endpoint", d.EndpointID, map[string]string{"delivery_id": d.ID})
	})
}

const deliveryColumns = "id, event_id, endpoint_id, type, payload, status, attempts, next_attempt_at, last_status, last_response, created_at, updated_at"

func scanDelivery(r interface{ Scan(...any) error }) (*webhook.Delivery, error) {
	var d webhook.Delivery
	var payload string
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.Type, &payload, &d.Status, &d.Attempts, &d.NextAttemptAt,
		&d.LastStatus, &d.LastResponse, &d.CreatedAt, &d.UpdatedAt)
	d.Payload = []byte(payload)
	return &d, err
}

// ClaimDeliveries takes up to limit due deliveries under a lease.
func (db *DB) ClaimDeliveries(ctx context.Context, now, leaseUntil int64, limit int) ([]*webhook.Delivery, error) {
	var out []*webhook.Delivery
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		rows, err := c.QueryContext(ctx, "SELECT id FROM webhook_deliveries WHERE status = ? AND next_attempt_at <= ? AND lease_until <= ? ORDER BY next_attempt_at LIMIT ?"+db.dialect.skipLocked(),
			webhook.Pending, now, now, limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, s)
		}
		rows.Close()
		for _, did := range ids {
			if _, err := c.ExecContext(ctx, "UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1 WHERE id = ?", leaseUntil, did); err != nil {
				return err
			}
			d, err := scanDelivery(c.QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = ?", did))
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// SettleDelivery records an attempt.
func (db *DB) SettleDelivery(ctx context.Context, d *webhook.Delivery) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_until = 0,
			last_status = ?, last_response = ?, updated_at = ? WHERE id = ?`,
			d.Status, d.NextAttemptAt, d.LastStatus, d.LastResponse, d.UpdatedAt, d.ID)
		return err
	})
}

// Deliveries lists an endpoint's deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, epID string, limit int) ([]*webhook.Delivery, error) {
	return db.queryDeliveries(ctx, "WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?", epID, limit)
}

// FailedDeliveries lists an endpoint's failed deliveries made since
// (Unix ms), oldest first.
func (db *DB) FailedDeliveries(ctx context.Context, epID string, since int64) ([]*webhook.Delivery, error) {
	return db.queryDeliveries(ctx, "WHERE endpoint_id = ? AND status = ? AND created_at >= ? ORDER BY seq LIMIT 10000",
		epID, webhook.Failed, since)
}

func (db *DB) queryDeliveries(ctx context.Context, where string, args ...any) ([]*webhook.Delivery, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*webhook.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Delivery returns one delivery.
func (db *DB) Delivery(ctx context.Context, dID string) (*webhook.Delivery, error) {
	d, err := scanDelivery(db.reader().QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = ?", dID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ResourceNotFound("not found", "No webhook delivery was found with id "+dID)
	}
	return d, err
}
