package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ organization.RoleStore = (*DB)(nil)

const roleColumns = "id, key, name, description, permissions, created_at, updated_at"

func scanRole(s scanner) (*organization.Role, error) {
	r := &organization.Role{}
	var perms string
	if err := s.Scan(&r.ID, &r.Key, &r.Name, &r.Description, &perms, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return nil, err
	}
	return r, nil
}

func permsJSON(keys []string) string {
	if keys == nil {
		keys = []string{}
	}
	b, _ := json.Marshal(keys)
	return string(b)
}

// EnsureRoles stores the default roles whose keys are not stored yet;
// processes starting together may both try, and one insert wins.
func (db *DB) EnsureRoles(ctx context.Context, defaults []organization.Role, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, r := range defaults {
			_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_roles (`+roleColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				r.ID, r.Key, r.Name, r.Description, permsJSON(r.Permissions), now, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ListRoles returns every role, oldest first.
func (db *DB) ListRoles(ctx context.Context) ([]organization.Role, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT "+roleColumns+" FROM organization_roles ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []organization.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// CreateRole stores a role; a taken key is ErrKeyTaken.
func (db *DB) CreateRole(ctx context.Context, r *organization.Role) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Key, r.Name, r.Description, permsJSON(r.Permissions), r.CreatedAt, r.UpdatedAt)
		if db.dialect.isUnique(err) {
			return organization.ErrKeyTaken
		}
		if err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.RoleCreated, r.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.RoleCreated, r)
	})
}

// UpdateRole changes a role in one transaction; a new key is carried
// over to the memberships and invitations that held the old one. It
// returns the old key.
func (db *DB) UpdateRole(ctx context.Context, id string, fn func(*organization.Role) error) (*organization.Role, string, error) {
	var out *organization.Role
	var old string
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		r, err := scanRole(c.QueryRowContext(ctx, "SELECT "+roleColumns+" FROM organization_roles WHERE id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.RoleNotFound(id)
		}
		if err != nil {
			return err
		}
		old = r.Key
		if err := fn(r); err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, `UPDATE organization_roles SET key = ?, name = ?, description = ?, permissions = ?,
			updated_at = ? WHERE id = ?`, r.Key, r.Name, r.Description, permsJSON(r.Permissions), r.UpdatedAt, id)
		if db.dialect.isUnique(err) {
			return organization.ErrKeyTaken
		}
		if err != nil {
			return err
		}
		if r.Key != old {
			for _, table := range []string{"organization_memberships", "organization_invitations"} {
				if _, err := c.ExecContext(ctx, "UPDATE "+table+" SET role = ? WHERE role = ?", r.Key, old); err != nil {
					return err
				}
			}
		}
		out = r
		if err := db.recordEvent(ctx, tx, webhook.RoleUpdated, r.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.RoleUpdated, r)
	})
	return out, old, err
}

// DeleteRole removes a role that no member or pending invitation holds.
func (db *DB) DeleteRole(ctx context.Context, id string) (*organization.Role, error) {
	var out *organization.Role
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		r, err := scanRole(c.QueryRowContext(ctx, "SELECT "+roleColumns+" FROM organization_roles WHERE id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.RoleNotFound(id)
		}
		if err != nil {
			return err
		}
		var held int
		if err := c.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM organization_memberships WHERE role = ?) +
			(SELECT COUNT(*) FROM organization_invitations WHERE role = ? AND status = 'pending')`, r.Key, r.Key).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return organization.ErrRoleInUse
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM organization_roles WHERE id = ?", id); err != nil {
			return err
		}
		out = r
		if err := db.recordEvent(ctx, tx, webhook.RoleDeleted, r.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.RoleDeleted, r)
	})
	return out, err
}

const permissionColumns = "id, key, name, description, created_at, updated_at"

func scanPermission(s scanner) (*organization.Permission, error) {
	p := &organization.Permission{}
	err := s.Scan(&p.ID, &p.Key, &p.Name, &p.Description, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// ListPermissions returns the custom permissions, oldest first.
func (db *DB) ListPermissions(ctx context.Context) ([]organization.Permission, error) {
	rows, err := db.reader().QueryContext(ctx, "SELECT "+permissionColumns+" FROM organization_permissions ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []organization.Permission
	for rows.Next() {
		p, err := scanPermission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// CreatePermission stores a custom permission.
func (db *DB) CreatePermission(ctx context.Context, p *organization.Permission) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_permissions (`+permissionColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			p.ID, p.Key, p.Name, p.Description, p.CreatedAt, p.UpdatedAt)
		if db.dialect.isUnique(err) {
			return organization.ErrKeyTaken
		}
		if err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.PermissionCreated, p.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.PermissionCreated, p)
	})
}

// UpdatePermission changes a permission; a new key replaces the old one
// in the roles holding it, in the same transaction.
func (db *DB) UpdatePermission(ctx context.Context, id string, fn func(*organization.Permission) error) (*organization.Permission, error) {
	var out *organization.Permission
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		p, err := scanPermission(c.QueryRowContext(ctx, "SELECT "+permissionColumns+" FROM organization_permissions WHERE id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.PermissionNotFound(id)
		}
		if err != nil {
			return err
		}
		old := p.Key
		if err := fn(p); err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, "UPDATE organization_permissions SET key = ?, name = ?, description = ?, updated_at = ? WHERE id = ?",
			p.Key, p.Name, p.Description, p.UpdatedAt, id)
		if db.dialect.isUnique(err) {
			return organization.ErrKeyTaken
		}
		if err != nil {
			return err
		}
		if p.Key != old {
			if err := db.rewriteRolePermissions(ctx, tx, old, p.Key); err != nil {
				return err
			}
		}
		out = p
		if err := db.recordEvent(ctx, tx, webhook.PermissionUpdated, p.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.PermissionUpdated, p)
	})
	return out, err
}

// DeletePermission removes a permission and takes it from every role.
func (db *DB) DeletePermission(ctx context.Context, id string) (*organization.Permission, error) {
	var out *organization.Permission
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		p, err := scanPermission(c.QueryRowContext(ctx, "SELECT "+permissionColumns+" FROM organization_permissions WHERE id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.PermissionNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM organization_permissions WHERE id = ?", id); err != nil {
			return err
		}
		out = p
		if err := db.rewriteRolePermissions(ctx, tx, p.Key, ""); err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.PermissionDeleted, p.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.PermissionDeleted, p)
	})
	return out, err
}

// rewriteRolePermissions replaces (or, with to empty, removes) a
// permission key in every role that holds it. Roles are few: they are
// read and written whole.
func (db *DB) rewriteRolePermissions(ctx context.Context, tx *sql.Tx, from, to string) error {
	c := db.in(tx)
	rows, err := c.QueryContext(ctx, "SELECT "+roleColumns+" FROM organization_roles")
	if err != nil {
		return err
	}
	var changed []*organization.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			rows.Close()
			return err
		}
		kept, hit := []string{}, false
		for _, k := range r.Permissions {
			switch {
			case k != from:
				kept = append(kept, k)
			case to != "":
				kept, hit = append(kept, to), true
			default:
				hit = true
			}
		}
		if hit {
			r.Permissions = kept
			changed = append(changed, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range changed {
		if _, err := c.ExecContext(ctx, "UPDATE organization_roles SET permissions = ? WHERE id = ?", permsJSON(r.Permissions), r.ID); err != nil {
			return err
		}
	}
	return nil
}
