package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/webhook"
)

// pendingAtDomain counts the organization's pending invitations to
// addresses at the domain, where a domain is read (one organization's
// invitations, through its index).
const pendingAtDomain = `(SELECT COUNT(*) FROM organization_invitations pi WHERE pi.organization_id = d.organization_id
	AND pi.status = 'pending' AND pi.email_address LIKE '%@' || d.name)`

const domainColumns = `d.id, d.organization_id, d.name, d.enrollment_mode, d.verification_status, d.attempts, d.code_expires_at,
	d.code_hash, d.affiliation_email, d.created_at, d.updated_at, ` + pendingAtDomain

func scanDomain(s scanner) (*organization.Domain, error) {
	d := &organization.Domain{}
	err := s.Scan(&d.ID, &d.OrganizationID, &d.Name, &d.EnrollmentMode, &d.VerificationStatus, &d.Attempts, &d.CodeExpiresAt,
		&d.CodeHash, &d.AffiliationEmail, &d.CreatedAt, &d.UpdatedAt, &d.PendingInvitations)
	return d, err
}

// CreateDomain stores a domain.
func (db *DB) CreateDomain(ctx context.Context, d *organization.Domain) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_domains (id, organization_id, name, enrollment_mode,
			verification_status, attempts, code_expires_at, code_hash, affiliation_email, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.OrganizationID, d.Name, d.EnrollmentMode, d.VerificationStatus,
			d.Attempts, d.CodeExpiresAt, d.CodeHash, d.AffiliationEmail, d.CreatedAt, d.UpdatedAt)
		if db.dialect.isUnique(err) {
			return organization.ErrDomainTaken
		}
		if err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.OrgDomainCreated, d.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrgDomainCreated, d)
	})
}

// Domain returns one domain.
func (db *DB) Domain(ctx context.Context, id string) (*organization.Domain, error) {
	d, err := scanDomain(db.reader().QueryRowContext(ctx, "SELECT "+domainColumns+" FROM organization_domains d WHERE d.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, organization.DomainNotFound(id)
	}
	return d, err
}

// ListDomains returns a page of an organization's domains, newest first.
func (db *DB) ListDomains(ctx context.Context, q organization.DomainQuery) ([]*organization.Domain, int64, error) {
	conds, args := []string{"d.organization_id = ?"}, []any{q.OrganizationID}
	if q.Verified != nil {
		if *q.Verified {
			conds = append(conds, "d.verification_status = 'verified'")
		} else {
			conds = append(conds, "d.verification_status <> 'verified'")
		}
	}
	if len(q.EnrollmentModes) > 0 {
		conds = append(conds, "d.enrollment_mode IN ("+placeholders(len(q.EnrollmentModes))+")")
		for _, m := range q.EnrollmentModes {
			args = append(args, m)
		}
	}
	return listPage(ctx, db, "organization_domains d", domainColumns, " WHERE "+strings.Join(conds, " AND "), args,
		"d.created_at DESC, d.seq DESC", q.Limit, q.Offset, false, scanDomain)
}

// UpdateDomain changes a domain, and queues the message fn returns, in
// one transaction.
func (db *DB) UpdateDomain(ctx context.Context, id string, fn func(*organization.Domain) (*delivery.Message, error)) (*organization.Domain, error) {
	var out *organization.Domain
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		d, err := scanDomain(c.QueryRowContext(ctx, "SELECT "+domainColumns+" FROM organization_domains d WHERE d.id = ?"+db.dialect.lockRows(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.DomainNotFound(id)
		}
		if err != nil {
			return err
		}
		msg, err := fn(d)
		if err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, `UPDATE organization_domains SET name = ?, enrollment_mode = ?, verification_status = ?,
			attempts = ?, code_expires_at = ?, code_hash = ?, affiliation_email = ?, updated_at = ? WHERE id = ?`,
			d.Name, d.EnrollmentMode, d.VerificationStatus, d.Attempts, d.CodeExpiresAt, d.CodeHash, d.AffiliationEmail, d.UpdatedAt, id)
		if db.dialect.isUnique(err) {
			return organization.ErrDomainTaken
		}
		if err != nil {
			return err
		}
		if msg != nil {
			if err := db.insertMessage(ctx, tx, msg); err != nil {
				return err
			}
		}
		out = d
		if err := db.recordEvent(ctx, tx, webhook.OrgDomainUpdated, d.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrgDomainUpdated, d)
	})
	return out, err
}

// DeleteDomain removes a domain.
func (db *DB) DeleteDomain(ctx context.Context, id string) (*organization.Domain, error) {
	var out *organization.Domain
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		d, err := scanDomain(c.QueryRowContext(ctx, "SELECT "+domainColumns+" FROM organization_domains d WHERE d.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.DomainNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM organization_domains WHERE id = ?", id); err != nil {
			return err
		}
		out = d
		if err := db.recordEvent(ctx, tx, webhook.OrgDomainDeleted, d.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrgDomainDeleted, d)
	})
	return out, err
}

// DeletePendingDomainInvitations revokes pending invitations at a domain.
func (db *DB) DeletePendingDomainInvitations(ctx context.Context, orgID, domain string, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `UPDATE organization_invitations SET status = 'revoked', updated_at = ?
			WHERE organization_id = ? AND status = 'pending' AND email_address LIKE ?`, now, orgID, "%@"+domain)
		return err
	})
}

// VerifiedDomains finds verified domains by name.
func (db *DB) VerifiedDomains(ctx context.Context, names []string) ([]*organization.Domain, error) {
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	rows, err := db.reader().QueryContext(ctx, "SELECT "+domainColumns+" FROM organization_domains d WHERE d.verification_status = 'verified' AND d.name IN ("+
		placeholders(len(names))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*organization.Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const requestColumns = "r.id, r.organization_id, r.user_id, r.status, r.created_at, r.updated_at"

func scanRequest(s scanner) (*organization.MembershipRequest, error) {
	r := &organization.MembershipRequest{}
	err := s.Scan(&r.ID, &r.OrganizationID, &r.UserID, &r.Status, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// CreateMembershipRequest stores a pending request unless one is pending.
func (db *DB) CreateMembershipRequest(ctx context.Context, r *organization.MembershipRequest) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO organization_membership_requests (id, organization_id, user_id, status,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			r.ID, r.OrganizationID, r.UserID, r.Status, r.CreatedAt, r.UpdatedAt)
		return err
	})
}

// MembershipRequests returns a page of an organization's requests.
func (db *DB) MembershipRequests(ctx context.Context, orgID string, userIDs, statuses []string, limit, offset int) ([]*organization.MembershipRequest, int64, error) {
	conds, args := []string{"r.organization_id = ?"}, []any{orgID}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"r.user_id", userIDs}, {"r.status", statuses}} {
		if len(f.vals) == 0 {
			continue
		}
		conds = append(conds, f.col+" IN ("+placeholders(len(f.vals))+")")
		for _, v := range f.vals {
			args = append(args, v)
		}
	}
	return listPage(ctx, db, "organization_membership_requests r", requestColumns, " WHERE "+strings.Join(conds, " AND "), args,
		"r.created_at DESC, r.seq DESC", limit, offset, false, scanRequest)
}

// DecideMembershipRequest accepts or rejects a pending request; accepting
// creates m (for the request's user) under the organization's lock,
// within its quota.
func (db *DB) DecideMembershipRequest(ctx context.Context, orgID, id, status string, m *organization.Membership, now int64) (*organization.MembershipRequest, error) {
	var out *organization.MembershipRequest
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := db.lockOrg(ctx, tx, orgID)
		if err != nil {
			return err
		}
		c := db.in(tx)
		r, err := scanRequest(c.QueryRowContext(ctx, "SELECT "+requestColumns+
			" FROM organization_membership_requests r WHERE r.id = ? AND r.organization_id = ?", id, orgID))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.RequestNotFound(id)
		}
		if err != nil {
			return err
		}
		if r.Status != "pending" {
			return organization.ErrRequestNotPending
		}
		if m != nil {
			if o.MaxAllowedMemberships > 0 && o.MembersCount >= int64(o.MaxAllowedMemberships) {
				return organization.ErrQuotaExceeded
			}
			mm := *m
			mm.UserID = r.UserID
			var member int
			if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM organization_memberships WHERE organization_id = ? AND user_id = ?",
				orgID, r.UserID).Scan(&member); err != nil {
				return err
			}
			if member == 0 {
				if err := db.insertMembership(ctx, tx, &mm); err != nil {
					return err
				}
				if err := db.emitMembership(ctx, tx, webhook.MembershipCreated, &mm); err != nil {
					return err
				}
			}
		}
		if _, err := c.ExecContext(ctx, "UPDATE organization_membership_requests SET status = ?, updated_at = ? WHERE id = ?", status, now, id); err != nil {
			return err
		}
		r.Status, r.UpdatedAt = status, now
		out = r
		return nil
	})
	return out, err
}
