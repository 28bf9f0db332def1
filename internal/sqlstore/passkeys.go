package sqlstore

import (
	"context"
	"database/sql"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/passkey"
)

// A passkey registration in progress is an attempt of its own kind,
// keyed by the passkey's ID; the registered passkey is an identifier.
const kindPasskeyRegistration = "passkey_registration"

// SavePasskeyCeremony stores a begun registration.
func (db *DB) SavePasskeyCeremony(ctx context.Context, id, clientID string, c *passkey.Ceremony, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.saveAttempt(ctx, tx, kindPasskeyRegistration, id, clientID, c, false, now, now)
	})
}

// PasskeyCeremony returns a begun registration.
func (db *DB) PasskeyCeremony(ctx context.Context, id string) (*passkey.Ceremony, error) {
	var c passkey.Ceremony
	err := db.attempt(ctx, kindPasskeyRegistration, id, &c)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, passkey.NotFound(id)
	}
	return &c, err
}
