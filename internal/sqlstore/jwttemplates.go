package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/jwttemplate"
)

var _ jwttemplate.Store = (*DB)(nil)

func errTemplateNotFound(idOrName string) error {
	return errs.ResourceNotFound("not found", "No JWT template was found with id or name "+idOrName+".")
}

func (db *DB) templateConflict(err error) error {
	if db.dialect.isUnique(err) {
		return errs.New(errs.Invalid, "form_identifier_exists", "That name is taken",
			"A JWT template with that name already exists.").WithParam("name")
	}
	return err
}

// CreateJWTTemplate stores a new template.
func (db *DB) CreateJWTTemplate(ctx context.Context, t *jwttemplate.Template, sealedKey []byte) error {
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "INSERT INTO jwt_templates (id, name, data, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)",
			t.ID, t.Name, string(data), sealedKey, t.CreatedAt)
		if err != nil {
			return db.templateConflict(err)
		}
		return db.record(ctx, tx, audit.JWTTemplateCreated, "jwt_template", t.ID, map[string]string{"name": t.Name})
	})
}

// JWTTemplate finds a template by ID or name.
func (db *DB) JWTTemplate(ctx context.Context, idOrName string) (*jwttemplate.Template, []byte, error) {
	var data string
	var sealed []byte
	err := db.reader().QueryRowContext(ctx, "SELECT data, sealed_key FROM jwt_templates WHERE id = ? OR name = ?", idOrName, idOrName).Scan(&data, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errTemplateNotFound(idOrName)
	}
	if err != nil {
		return nil, nil, err
	}
	var t jwttemplate.Template
	return &t, sealed, json.Unmarshal([]byte(data), &t)
}

// JWTTemplates lists every template, oldest first.
func (db *DB) JWTTemplates(ctx context.Context) ([]*jwttemplate.Template, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT data FROM jwt_templates ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*jwttemplate.Template{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var t jwttemplate.Template
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// UpdateJWTTemplate replaces a template.
func (db *DB) UpdateJWTTemplate(ctx context.Context, t *jwttemplate.Template, sealedKey []byte) error {
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "UPDATE jwt_templates SET name = ?, data = ?, sealed_key = ? WHERE id = ?",
			t.Name, string(data), sealedKey, t.ID)
		if err != nil {
			return db.templateConflict(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTemplateNotFound(t.ID)
		}
		return db.record(ctx, tx, audit.JWTTemplateUpdated, "jwt_template", t.ID, map[string]string{"name": t.Name})
	})
}

// DeleteJWTTemplate removes a template.
func (db *DB) DeleteJWTTemplate(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM jwt_templates WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTemplateNotFound(id)
		}
		return db.record(ctx, tx, audit.JWTTemplateDeleted, "jwt_template", id, nil)
	})
}
