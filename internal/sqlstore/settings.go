package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/instance"
)

var _ instance.Store = (*DB)(nil)

// Settings returns every stored instance setting by key.
func (db *DB) Settings(ctx context.Context) (map[string]instance.Setting, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT key, value, source, updated_at FROM instance_settings")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]instance.Setting{}
	for rows.Next() {
		var s instance.Setting
		if err := rows.Scan(&s.Key, &s.Value, &s.Source, &s.UpdatedAt); err != nil {
			return nil, err
		}
		out[s.Key] = s
	}
	return out, rows.Err()
}

// PutSetting stores s, replacing any value of its key.
func (db *DB) PutSetting(ctx context.Context, s instance.Setting) error {
	return db.txChanged(ctx, ChangedSettings, func(ctx context.Context, tx *sql.Tx) error {
		// An audited change reads the value it replaces: a form that
		// saves every setting records only those that changed.
		_, audited := audit.ActorFrom(ctx)
		var old sql.NullString
		if audited {
			err := db.in(tx).QueryRowContext(ctx, "SELECT value FROM instance_settings WHERE key = ?", s.Key).Scan(&old)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO instance_settings (key, value, source, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE
			SET value = excluded.value, source = excluded.source, updated_at = excluded.updated_at`,
			s.Key, s.Value, s.Source, s.UpdatedAt)
		if err != nil || !audited || (old.Valid && old.String == s.Value) {
			return err
		}
		detail := map[string]string{"key": s.Key}
		// Credentials are recorded as changed, never with their value.
		if !instance.Secret(s.Key) && !strings.HasPrefix(s.Key, "secret:") {
			detail["value"] = s.Value
		}
		return db.record(ctx, tx, audit.SettingsUpdated, "settings", s.Key, detail)
	})
}

// PutSettingIfAbsent stores s unless its key exists and returns what is
// stored.
func (db *DB) PutSettingIfAbsent(ctx context.Context, s instance.Setting) (instance.Setting, error) {
	var got instance.Setting
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		if _, err := c.ExecContext(ctx, `INSERT INTO instance_settings (key, value, source, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, s.Key, s.Value, s.Source, s.UpdatedAt); err != nil {
			return err
		}
		return c.QueryRowContext(ctx, "SELECT key, value, source, updated_at FROM instance_settings WHERE key = ?",
			s.Key).Scan(&got.Key, &got.Value, &got.Source, &got.UpdatedAt)
	})
	return got, err
}
