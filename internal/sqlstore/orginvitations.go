package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/webhook"
)

const orgInvitationColumns = `i.id, i.organization_id, i.email_address, i.role, i.inviter_user_id, i.public_metadata,
	i.private_metadata, i.redirect_url, i.status, i.expires_at, i.user_id, i.created_at, i.updated_at`

func scanOrgInvitation(s scanner) (*organization.Invitation, error) {
	inv := &organization.Invitation{}
	var pub, priv string
	err := s.Scan(&inv.ID, &inv.OrganizationID, &inv.EmailAddress, &inv.Role, &inv.InviterUserID, &pub, &priv,
		&inv.RedirectURL, &inv.Status, &inv.ExpiresAt, &inv.UserID, &inv.CreatedAt, &inv.UpdatedAt)
	if err != nil {
		return nil, err
	}
	inv.PublicMetadata, inv.PrivateMetadata = []byte(pub), []byte(priv)
	return inv, nil
}

// CreateOrgInvitations stores invitations under the organization's lock,
// so that the quota counts members and pending invitations exactly.
func (db *DB) CreateOrgInvitations(ctx context.Context, orgID string, items []organization.NewInvitation, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		o, err := db.lockOrg(ctx, tx, orgID)
		if err != nil {
			return err
		}
		// Expired invitations stop counting, and stop blocking a new one
		// to the same address (the unique index covers pending ones).
		if _, err := c.ExecContext(ctx, `UPDATE organization_invitations SET status = 'expired', updated_at = ?
			WHERE organization_id = ? AND status = 'pending' AND expires_at <= ?`, now, orgID, now); err != nil {
			return err
		}
		if o.MaxAllowedMemberships > 0 {
			var pending int64
			if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_invitations
				WHERE organization_id = ? AND status = 'pending'`, orgID).Scan(&pending); err != nil {
				return err
			}
			if o.MembersCount+pending+int64(len(items)) > int64(o.MaxAllowedMemberships) {
				return organization.ErrQuotaExceeded
			}
		}
		for _, it := range items {
			if err := db.insertOrgInvitation(ctx, tx, it); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) insertOrgInvitation(ctx context.Context, tx *sql.Tx, it organization.NewInvitation) error {
	c := db.in(tx)
	inv := it.Invitation
	var one int
	err := c.QueryRowContext(ctx, `SELECT 1 FROM organization_memberships m JOIN identifiers i ON i.user_id = m.user_id
		WHERE m.organization_id = ? AND i.kind = 'email_address' AND i.value = ?`, inv.OrganizationID, inv.EmailAddress).Scan(&one)
	if err == nil {
		return organization.AlreadyMember(inv.EmailAddress)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = c.ExecContext(ctx, `INSERT INTO organization_invitations (id, organization_id, email_address, role,
		inviter_user_id, public_metadata, private_metadata, redirect_url, status, expires_at, user_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.OrganizationID, inv.EmailAddress, inv.Role, inv.InviterUserID, string(inv.PublicMetadata),
		string(inv.PrivateMetadata), inv.RedirectURL, inv.Status, inv.ExpiresAt, inv.UserID, inv.CreatedAt, inv.UpdatedAt)
	if db.dialect.isUnique(err) {
		return organization.Duplicate(inv.EmailAddress)
	}
	if err != nil {
		return err
	}
	if err := db.recordEvent(ctx, tx, webhook.OrgInvitationCreated, inv.ID, nil); err != nil {
		return err
	}
	if err := db.emit(ctx, tx, webhook.OrgInvitationCreated, inv); err != nil {
		return err
	}
	if it.Email != nil {
		return db.insertMessage(ctx, tx, it.Email)
	}
	return nil
}

// OrgInvitation returns one invitation.
func (db *DB) OrgInvitation(ctx context.Context, id string) (*organization.Invitation, error) {
	inv, err := scanOrgInvitation(db.reader().QueryRowContext(ctx, "SELECT "+orgInvitationColumns+
		" FROM organization_invitations i WHERE i.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, organization.InvitationNotFound(id)
	}
	return inv, err
}

var orgInvitationOrders = map[string]string{"created_at": "i.created_at", "email_address": "i.email_address"}

// ListOrgInvitations returns a page of invitations and the total.
func (db *DB) ListOrgInvitations(ctx context.Context, q organization.InvitationQuery) ([]*organization.Invitation, int64, error) {
	var conds []string
	var args []any
	if q.OrganizationID != "" {
		conds, args = append(conds, "i.organization_id = ?"), append(args, q.OrganizationID)
	}
	if len(q.EmailAddresses) > 0 {
		conds = append(conds, "i.email_address IN ("+placeholders(len(q.EmailAddresses))+")")
		for _, e := range q.EmailAddresses {
			args = append(args, e)
		}
	}
	if q.Query != "" {
		conds, args = append(conds, `i.email_address LIKE ? ESCAPE '\'`), append(args, likePattern(strings.ToLower(q.Query)))
	}
	if len(q.Statuses) > 0 {
		// Expired is a stored status too (set when a new invitation
		// replaced one), or a pending one past its expiry.
		var ors []string
		for _, st := range q.Statuses {
			switch st {
			case organization.InvitationPending:
				ors, args = append(ors, "(i.status = 'pending' AND i.expires_at > ?)"), append(args, q.Now)
			case organization.InvitationExpired:
				ors, args = append(ors, "(i.status = 'expired' OR (i.status = 'pending' AND i.expires_at <= ?))"), append(args, q.Now)
			default:
				ors, args = append(ors, "i.status = ?"), append(args, st)
			}
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	col, dir := orderOf(q.OrderBy, orgInvitationOrders, "i.created_at")
	return listPage(ctx, db, "organization_invitations i", orgInvitationColumns, where, args, col+dir+", i.seq"+dir,
		q.Limit, q.Offset, false, scanOrgInvitation)
}

// RevokeOrgInvitation revokes a pending invitation of orgID.
func (db *DB) RevokeOrgInvitation(ctx context.Context, orgID, id string, now int64) (*organization.Invitation, error) {
	var out *organization.Invitation
	err := db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c := db.in(tx)
		inv, err := scanOrgInvitation(c.QueryRowContext(ctx, "SELECT "+orgInvitationColumns+
			" FROM organization_invitations i WHERE i.id = ? AND i.organization_id = ?"+db.dialect.lockRows(), id, orgID))
		if errors.Is(err, sql.ErrNoRows) {
			return organization.InvitationNotFound(id)
		}
		if err != nil {
			return err
		}
		if inv.StatusAt(now) != organization.InvitationPending {
			return organization.ErrInvitationNotPending
		}
		if _, err := c.ExecContext(ctx, "UPDATE organization_invitations SET status = 'revoked', updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		inv.Status, inv.UpdatedAt = organization.InvitationRevoked, now
		out = inv
		if err := db.recordEvent(ctx, tx, webhook.OrgInvitationRevoked, inv.ID, nil); err != nil {
			return err
		}
		return db.emit(ctx, tx, webhook.OrgInvitationRevoked, inv)
	})
	return out, err
}

// AcceptOrgInvitation accepts an invitation and creates its membership.
func (db *DB) AcceptOrgInvitation(ctx context.Context, id string, m *organization.Membership, now int64) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.acceptOrgInvitation(ctx, tx, id, m, now)
	})
}

// acceptOrgInvitation is accepting in tx, also run by a sign-up or
// sign-in that carried the invitation's ticket. The membership is
// created under the organization's lock; the invitation was counted
// against the quota when it was made, so it is not counted again.
func (db *DB) acceptOrgInvitation(ctx context.Context, tx *sql.Tx, id string, m *organization.Membership, now int64) error {
	if _, err := db.lockOrg(ctx, tx, m.OrganizationID); err != nil {
		return err
	}
	c := db.in(tx)
	res, err := c.ExecContext(ctx, `UPDATE organization_invitations SET status = 'accepted', user_id = ?, updated_at = ?
		WHERE id = ? AND organization_id = ? AND status = 'pending' AND expires_at > ?`, m.UserID, now, id, m.OrganizationID, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return organization.ErrInvitationNotPending // used, revoked or expired meanwhile: single use
	}
	// A user who became a member meanwhile keeps that membership; the
	// check runs under the lock, and a failed insert would abort the
	// transaction on PostgreSQL.
	var member int
	err = c.QueryRowContext(ctx, "SELECT COUNT(*) FROM organization_memberships WHERE organization_id = ? AND user_id = ?",
		m.OrganizationID, m.UserID).Scan(&member)
	if err != nil {
		return err
	}
	if member == 0 {
		if err := db.insertMembership(ctx, tx, m); err != nil {
			return err
		}
	}
	if want, err := db.wanted(ctx, tx, webhook.OrgInvitationAccepted); err != nil {
		return err
	} else if want {
		inv, err := scanOrgInvitation(c.QueryRowContext(ctx, "SELECT "+orgInvitationColumns+" FROM organization_invitations i WHERE i.id = ?", id))
		if err != nil {
			return err
		}
		if err := db.recordEvent(ctx, tx, webhook.OrgInvitationAccepted, inv.ID, nil); err != nil {
			return err
		}
		if err := db.emit(ctx, tx, webhook.OrgInvitationAccepted, inv); err != nil {
			return err
		}
	}
	if member > 0 {
		return nil
	}
	return db.emitMembership(ctx, tx, webhook.MembershipCreated, m)
}
