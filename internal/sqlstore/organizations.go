package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/webhook"
)

var _ organization.Store = (*DB)(nil)

// membersCount counts an organization's members where it is read: a
// deleted user's memberships go with it (ON DELETE CASCADE), so a stored
// count would drift.
const membersCount = "(SELECT COUNT(*) FROM organization_memberships mc WHERE mc.organization_id = o.id)"

const orgColumns = `o.id, o.name, o.slug, o.image_url, o.max_allowed_memberships, o.admin_delete_enabled,
	o.public_metadata, o.private_metadata, o.created_by, o.created_at, o.updated_at, ` + membersCount

func scanOrg(s scanner, extra ...any) (*organization.Organization, error) {
	o := &organization.Organization{}
	var pub, priv string
	err := s.Scan(append([]any{&o.ID, &o.Name, &o.Slug, &o.ImageURL, &o.MaxAllowedMemberships, &o.AdminDeleteEnabled,
		&pub, &priv, &o.CreatedBy, &o.CreatedAt, &o.UpdatedAt, &o.MembersCount}, extra...)...)
	if err != nil {
		return nil, err
	}
	o.PublicMetadata, o.PrivateMetadata = []byte(pub), []byte(priv)
	return o, nil
}

// CreateOrganization stores o and its creator's membership together.
func (db *DB) CreateOrganization(ctx context.Context, o *organization.Organization, creator *organization.Membership) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		_, err := c.ExecContext(ctx, `INSERT INTO organizations (id, name, slug, image_url, max_allowed_memberships,
			admin_delete_enabled, public_metadata, private_metadata, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.Name, o.Slug, o.ImageURL, o.MaxAllowedMemberships, o.AdminDeleteEnabled,
			string(o.PublicMetadata), string(o.PrivateMetadata), o.CreatedBy, o.CreatedAt, o.UpdatedAt)
		if db.dialect.isUnique(err) {
			return organization.ErrSlugTaken
		}
		if err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.OrganizationCreated, o.ID, nil); err != nil {
			return err
		}
		if err := db.emit(ctx, tx, webhook.OrganizationCreated, o); err != nil || creator == nil {
			return err
		}
		if err := db.insertMembership(ctx, tx, creator); err != nil {
			return err
		}
		return db.emitMembership(ctx, tx, webhook.MembershipCreated, creator)
	})
}

// emitMembership queues an organizationMembership event, reading the
// organization (with its count) and the user in the transaction only
// when an endpoint takes the event.
func (db *DB) emitMembership(ctx context.Context, tx *sql.Tx, typ string, m *organization.Membership) error {
	if err := db.recordEvent(ctx, tx, typ, m.ID, map[string]string{"organization_id": m.OrganizationID,
		"user_id": m.UserID, "role": m.Role}); err != nil {
		return err
	}
	if want, err := db.wanted(ctx, tx, typ); err != nil || !want {
		return err
	}
	o, err := scanOrg(db.in(tx).QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organizations o WHERE o.id = ?", m.OrganizationID))
	if err != nil {
		return err
	}
	u, err := db.userWithIdentifiers(ctx, db.in(tx), selectUserJoinedSQL, m.UserID)
	if err != nil {
		return err
	}
	return db.emit(ctx, tx, typ, &organization.MembershipEvent{Membership: m, Organization: o, User: u})
}

func (db *DB) insertMembership(ctx context.Context, tx *sql.Tx, m *organization.Membership) error {
	_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_memberships (id, organization_id, user_id, role,
		public_metadata, private_metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.OrganizationID, m.UserID, m.Role, string(m.PublicMetadata), string(m.PrivateMetadata), m.CreatedAt, m.UpdatedAt)
	if db.dialect.isUnique(err) {
		return organization.ErrAlreadyMember
	}
	// The services check the user exists before, outside the
	// transaction: one deleted since is not found, not a failure. (The
	// organization cannot have gone: every caller holds its lock or has
	// just created it.)
	if db.dialect.isForeignKey(err) {
		return errUserNotFound(m.UserID)
	}
	return err
}

// Organization finds an organization by ID, else by slug.
func (db *DB) Organization(ctx context.Context, idOrSlug string) (*organization.Organization, error) {
	col := "o.slug"
	if strings.HasPrefix(idOrSlug, "org_") {
		col = "o.id"
	}
	o, err := scanOrg(db.reader().QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organizations o WHERE "+col+" = ?", idOrSlug))
	if errors.Is(err, sql.ErrNoRows) {
		if col == "o.id" { // a slug may look like an ID
			o, err = scanOrg(db.reader().QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organizations o WHERE o.slug = ?", idOrSlug))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, organization.NotFound(idOrSlug)
		}
	}
	return o, err
}

// lockOrg reads an organization in tx, locking its row on PostgreSQL so
// that membership changes of one organization run one at a time (the
// quota and the last-admin rule count under the lock).
func (db *DB) lockOrg(ctx context.Context, tx *sql.Tx, id string) (*organization.Organization, error) {
	if lock := db.dialect.lockRows(); lock != "" {
		// Lock first, then count in a statement of its own: under READ
		// COMMITTED a statement sees what committed before it began, so a
		// count read by the locking statement itself would miss the
		// members the lock had to wait for.
		var got string
		err := db.in(tx).QueryRowContext(ctx, "SELECT id FROM organizations WHERE id = ?"+lock, id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, organization.NotFound(id)
		}
		if err != nil {
			return nil, err
		}
	}
	o, err := scanOrg(db.in(tx).QueryRowContext(ctx, "SELECT "+orgColumns+" FROM organizations o WHERE o.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, organization.NotFound(id)
	}
	return o, err
}

// UpdateOrganization changes an organization in one transaction.
func (db *DB) UpdateOrganization(ctx context.Context, id string, fn func(*organization.Organization) error) (*organization.Organization, error) {
	var out *organization.Organization
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := db.lockOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
		_, err = db.in(tx).ExecContext(ctx, `UPDATE organizations SET name = ?, slug = ?, image_url = ?,
			max_allowed_memberships = ?, admin_delete_enabled = ?, public_metadata = ?, private_metadata = ?,
			updated_at = ? WHERE id = ?`,
			o.Name, o.Slug, o.ImageURL, o.MaxAllowedMemberships, o.AdminDeleteEnabled,
			string(o.PublicMetadata), string(o.PrivateMetadata), o.UpdatedAt, o.ID)
		if db.dialect.isUnique(err) {
			return organization.ErrSlugTaken
		}
		if err != nil {
			return err
		}
		out = o
		if err := db.recordEvent(ctx, tx, webhook.OrganizationUpdated, o.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrganizationUpdated, o)
	})
	return out, err
}

// DeleteOrganization removes an organization; its memberships go with it.
func (db *DB) DeleteOrganization(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.in(tx).ExecContext(ctx, "DELETE FROM organizations WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return organization.NotFound(id)
		}
		if err := db.recordEvent(ctx, tx, webhook.OrganizationDeleted, id, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrganizationDeleted, &organization.Organization{ID: id})
	})
}

var orgOrders = map[string]string{"created_at": "o.created_at", "name": "o.name", "members_count": membersCount}

// ListOrganizations returns a page and the total.
func (db *DB) ListOrganizations(ctx context.Context, q organization.Query) ([]*organization.Organization, int64, error) {
	var conds []string
	var args []any
	if q.Query != "" {
		p := likePattern(strings.ToLower(q.Query))
		conds = append(conds, `(LOWER(o.id) LIKE ? ESCAPE '\' OR LOWER(o.name) LIKE ? ESCAPE '\' OR o.slug LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p)
	}
	if q.CreatedBy != "" {
		conds, args = append(conds, "o.created_by = ?"), append(args, q.CreatedBy)
	}
	if len(q.UserIDs) > 0 {
		conds = append(conds, "o.id IN (SELECT organization_id FROM organization_memberships WHERE user_id IN ("+placeholders(len(q.UserIDs))+"))")
		for _, u := range q.UserIDs {
			args = append(args, u)
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	col, dir := orderOf(q.OrderBy, orgOrders, "o.created_at")
	return listPage(ctx, db, "organizations o", orgColumns, where, args, col+dir+", o.seq"+dir, q.Limit, q.Offset, false,
		func(s scanner) (*organization.Organization, error) { return scanOrg(s) })
}

// listPage counts what a list's conditions select and reads one page of
// it: from is the table and its alias, where starts with " WHERE" (or is
// empty), order is the ORDER BY list; noTotal skips the count (-1).
func listPage[T any](ctx context.Context, db *DB, from, columns, where string, args []any, order string, limit, offset int,
	noTotal bool, scan func(scanner) (T, error)) ([]T, int64, error) {
	total := int64(-1)
	if !noTotal {
		if err := db.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from+where, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+columns+" FROM "+from+where+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// orderOf reads Clerk's order_by (+col or -col, - by default).
func orderOf(orderBy string, cols map[string]string, def string) (string, string) {
	dir := " DESC"
	name := orderBy
	switch {
	case strings.HasPrefix(orderBy, "+"):
		dir, name = " ASC", orderBy[1:]
	case strings.HasPrefix(orderBy, "-"):
		name = orderBy[1:]
	}
	if col, ok := cols[name]; ok {
		return col, dir
	}
	return def, dir
}

const membershipColumns = `m.id, m.organization_id, m.user_id, m.role, m.public_metadata, m.private_metadata, m.created_at, m.updated_at`

func scanMembership(s scanner) (*organization.Membership, error) {
	m := &organization.Membership{}
	var pub, priv string
	if err := s.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Role, &pub, &priv, &m.CreatedAt, &m.UpdatedAt); err != nil {
		return nil, err
	}
	m.PublicMetadata, m.PrivateMetadata = []byte(pub), []byte(priv)
	return m, nil
}

// otherRoles counts the members of org other than userID, by role.
func (db *DB) otherRoles(ctx context.Context, tx *sql.Tx, orgID, userID string) (map[string]int, error) {
	rows, err := db.in(tx).QueryContext(ctx, `SELECT role, COUNT(*) FROM organization_memberships
		WHERE organization_id = ? AND user_id <> ? GROUP BY role`, orgID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var role string
		var n int
		if err := rows.Scan(&role, &n); err != nil {
			return nil, err
		}
		out[role] = n
	}
	return out, rows.Err()
}

// CreateMembership adds a member under the organization's lock: within
// its quota, once.
func (db *DB) CreateMembership(ctx context.Context, m *organization.Membership) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := db.lockOrg(ctx, tx, m.OrganizationID)
		if err != nil {
			return err
		}
		if o.MaxAllowedMemberships > 0 && o.MembersCount >= int64(o.MaxAllowedMemberships) {
			return organization.ErrQuotaExceeded
		}
		if err := db.insertMembership(ctx, tx, m); err != nil {
			return err
		}
		return db.emitMembership(ctx, tx, webhook.MembershipCreated, m)
	})
}

func (db *DB) membershipIn(ctx context.Context, tx *sql.Tx, orgID, userID string) (*organization.Membership, error) {
	m, err := scanMembership(db.in(tx).QueryRowContext(ctx, "SELECT "+membershipColumns+
		" FROM organization_memberships m WHERE m.organization_id = ? AND m.user_id = ?", orgID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, organization.MembershipNotFound(orgID, userID)
	}
	return m, err
}

// changeMembership runs a membership change under the organization's
// lock: it reads the membership and the organization's standing, lets
// check refuse, then applies the change and queues its event.
func (db *DB) changeMembership(ctx context.Context, orgID, userID, event string, check func(*organization.Membership, organization.Standing) error,
	apply func(context.Context, q, *organization.Membership) error) (*organization.Membership, error) {
	var out *organization.Membership
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := db.lockOrg(ctx, tx, orgID)
		if err != nil {
			return err
		}
		m, err := db.membershipIn(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		others, err := db.otherRoles(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		if err := check(m, organization.Standing{Members: o.MembersCount, OtherRoles: others}); err != nil {
			return err
		}
		if err := apply(ctx, db.in(tx), m); err != nil {
			return err
		}
		out = m
		return db.emitMembership(ctx, tx, event, m)
	})
	return out, err
}

// UpdateMembership changes a membership under the organization's lock.
func (db *DB) UpdateMembership(ctx context.Context, orgID, userID string, fn func(*organization.Membership, organization.Standing) error) (*organization.Membership, error) {
	return db.changeMembership(ctx, orgID, userID, webhook.MembershipUpdated, fn, func(ctx context.Context, c q, m *organization.Membership) error {
		_, err := c.ExecContext(ctx, `UPDATE organization_memberships SET role = ?, public_metadata = ?,
			private_metadata = ?, updated_at = ? WHERE id = ?`,
			m.Role, string(m.PublicMetadata), string(m.PrivateMetadata), m.UpdatedAt, m.ID)
		return err
	})
}

// DeleteMembership removes a membership under the organization's lock.
func (db *DB) DeleteMembership(ctx context.Context, orgID, userID string, keep func(*organization.Membership, organization.Standing) error) (*organization.Membership, error) {
	return db.changeMembership(ctx, orgID, userID, webhook.MembershipDeleted, keep, func(ctx context.Context, c q, m *organization.Membership) error {
		_, err := c.ExecContext(ctx, "DELETE FROM organization_memberships WHERE id = ?", m.ID)
		return err
	})
}

var membershipOrders = map[string]string{"created_at": "m.created_at", "role": "m.role"}

// ListMemberships returns a page of memberships and the total.
func (db *DB) ListMemberships(ctx context.Context, q organization.MembershipQuery) ([]*organization.Membership, int64, error) {
	var conds []string
	var args []any
	if q.OrganizationID != "" {
		conds = append(conds, "m.organization_id = ?")
		args = append(args, q.OrganizationID)
	}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"m.user_id", q.UserIDs}, {"m.role", q.Roles}} {
		if len(f.vals) == 0 {
			continue
		}
		conds = append(conds, f.col+" IN ("+placeholders(len(f.vals))+")")
		for _, v := range f.vals {
			args = append(args, v)
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	col, dir := orderOf(q.OrderBy, membershipOrders, "m.created_at")
	return listPage(ctx, db, "organization_memberships m", membershipColumns, where, args, col+dir+", m.seq"+dir,
		q.Limit, q.Offset, q.NoTotal, scanMembership)
}

// OrganizationsByID returns the organizations with the given IDs, for
// rendering memberships (one query for a page of them).
func (db *DB) OrganizationsByID(ctx context.Context, ids []string) (map[string]*organization.Organization, error) {
	out := map[string]*organization.Organization{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, v := range ids {
		args[i] = v
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+orgColumns+" FROM organizations o WHERE o.id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out[o.ID] = o
	}
	return out, rows.Err()
}

// MemberOf reads a membership and its organization in one statement.
func (db *DB) MemberOf(ctx context.Context, orgID, userID string) (*organization.Membership, *organization.Organization, error) {
	m := &organization.Membership{}
	var pub, priv string
	o, err := scanOrg(db.reader().QueryRowContext(ctx, "SELECT "+orgColumns+", "+membershipColumns+
		" FROM organization_memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.organization_id = ? AND m.user_id = ?",
		orgID, userID), &m.ID, &m.OrganizationID, &m.UserID, &m.Role, &pub, &priv, &m.CreatedAt, &m.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, organization.MembershipNotFound(orgID, userID)
	}
	if err != nil {
		return nil, nil, err
	}
	m.PublicMetadata, m.PrivateMetadata = []byte(pub), []byte(priv)
	return m, o, nil
}
