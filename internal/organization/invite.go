package organization

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/user"
)

// Invitation bounds, as Clerk's.
const (
	DefaultInvitationDays = 30
	MaxInvitationDays     = 365
	MaxInvitationBulk     = 100
)

// InviteParams are Clerk's create-invitation fields.
type InviteParams struct {
	EmailAddress    *string         `json:"email_address"`
	Role            *string         `json:"role"`
	InviterUserID   *string         `json:"inviter_user_id"`
	RedirectURL     *string         `json:"redirect_url"`
	ExpiresInDays   *int64          `json:"expires_in_days"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	// Notify false sends no email (the dashboard's choice; Clerk always
	// sends one).
	Notify *bool `json:"-"`
}

// Invite makes invitations to an organization, all or none, each with
// its email queued in the same transaction.
func (s *Service) Invite(ctx context.Context, idOrSlug string, ps []InviteParams) ([]*Invitation, *Organization, error) {
	if len(ps) == 0 {
		return nil, nil, errs.New(errs.Invalid, "form_param_missing", "is missing", "No invitation was given.")
	}
	if len(ps) > MaxInvitationBulk {
		return nil, nil, errs.New(errs.Invalid, "form_param_exceeds_allowed_size", "too many invitations",
			fmt.Sprintf("At most %d invitations can be created at once.", MaxInvitationBulk))
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	items := make([]NewInvitation, 0, len(ps))
	out := make([]*Invitation, 0, len(ps))
	seen := map[string]bool{}
	for _, p := range ps {
		inv, err := s.newInvitation(ctx, o, p, now)
		if err != nil {
			return nil, nil, err
		}
		if seen[inv.EmailAddress] {
			return nil, nil, Duplicate(inv.EmailAddress)
		}
		seen[inv.EmailAddress] = true
		it := NewInvitation{Invitation: inv}
		if p.Notify == nil || *p.Notify {
			if it.Email, err = s.invitationEmail(ctx, o, inv, now); err != nil {
				return nil, nil, err
			}
		}
		items, out = append(items, it), append(out, inv)
	}
	if err := s.Store.CreateOrgInvitations(ctx, o.ID, items, now.UnixMilli()); err != nil {
		return nil, nil, err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return out, o, nil
}

func (s *Service) newInvitation(ctx context.Context, o *Organization, p InviteParams, now time.Time) (*Invitation, error) {
	if p.EmailAddress == nil || *p.EmailAddress == "" {
		return nil, errs.ParamMissing("email_address")
	}
	email, err := identifier.Email("email_address", *p.EmailAddress)
	if err != nil {
		return nil, err
	}
	role, err := s.validRole(ctx, p.Role)
	if err != nil {
		return nil, err
	}
	days := int64(DefaultInvitationDays)
	if p.ExpiresInDays != nil {
		if days = *p.ExpiresInDays; days < 1 || days > MaxInvitationDays {
			return nil, errs.ParamFormat("expires_in_days", "expires_in_days must be between 1 and 365.")
		}
	}
	if p.RedirectURL != nil && *p.RedirectURL != "" {
		if u, err := url.Parse(*p.RedirectURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errs.ParamFormat("redirect_url", "redirect_url must be an absolute http or https URL.")
		}
	}
	ms := now.UnixMilli()
	inv := &Invitation{ID: id.New(prefixInvitation), OrganizationID: o.ID, EmailAddress: email, Role: role,
		RedirectURL: p.RedirectURL, Status: InvitationPending, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour).UnixMilli(),
		CreatedAt: ms, UpdatedAt: ms}
	if p.InviterUserID != nil && *p.InviterUserID != "" {
		if _, err := s.Users.User(ctx, *p.InviterUserID); err != nil {
			return nil, errs.ParamValue("inviter_user_id", *p.InviterUserID)
		}
		inv.InviterUserID = *p.InviterUserID
	}
	if inv.PublicMetadata, err = user.MetadataObject("public_metadata", p.PublicMetadata); err != nil {
		return nil, err
	}
	if inv.PrivateMetadata, err = user.MetadataObject("private_metadata", p.PrivateMetadata); err != nil {
		return nil, err
	}
	return inv, nil
}

func (s *Service) invitationEmail(ctx context.Context, o *Organization, inv *Invitation, now time.Time) (*delivery.Message, error) {
	link, err := s.InvitationURL(inv)
	if err != nil {
		return nil, err
	}
	app := ""
	if s.AppName != nil {
		if app, err = s.AppName(ctx); err != nil {
			return nil, err
		}
	}
	subject, html, text, err := delivery.RenderEmail("organization_invitation", delivery.OrgInvitation{
		AppName: app, Organization: o.Name, Email: inv.EmailAddress, URL: link, Expires: delivery.FormatDate(&inv.ExpiresAt)})
	if err != nil {
		return nil, fmt.Errorf("organization invitation email: %w", err)
	}
	m := delivery.NewEmail(now, "noreply", s.EmailDomain, inv.EmailAddress, subject, html, text)
	m.Slug = "organization_invitation"
	return m, nil
}

// InvitationURL is an invitation's link: the ticket landing both kinds
// of invitation share.
func (s *Service) InvitationURL(inv *Invitation) (string, error) {
	t, err := invitation.SignTicket(s.Key, invitation.KindOrganizationInvitation, inv.ID, inv.CreatedAt, &inv.ExpiresAt)
	if err != nil {
		return "", err
	}
	return s.PublicURL + "/v1/tickets/accept?ticket=" + url.QueryEscape(t), nil
}

// VerifyTicket checks an organization invitation's ticket and returns the
// pending invitation it names, refusing a used, revoked or expired one
// with the Frontend API's ticket codes.
func (s *Service) VerifyTicket(ctx context.Context, ticket string) (*Invitation, error) {
	now := s.Now()
	invID, err := invitation.ParseTicket(s.Key, invitation.KindOrganizationInvitation, ticket, now)
	if err != nil {
		return nil, err
	}
	return s.PendingInvitation(ctx, invID)
}

// PendingInvitation returns an invitation a ticket named if it is still
// pending, refusing it as VerifyTicket does: for a sign-in that accepts
// it after its second factor.
func (s *Service) PendingInvitation(ctx context.Context, invID string) (*Invitation, error) {
	inv, err := s.Store.OrgInvitation(ctx, invID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, invitation.TicketInvalid() // its organization was deleted
	} else if err != nil {
		return nil, err
	}
	switch inv.StatusAt(s.Now().UnixMilli()) {
	case InvitationPending:
		return inv, nil
	case InvitationAccepted:
		return nil, errs.New(errs.BadRequest, "invitation_already_accepted", "invitation already accepted",
			"This invitation was already accepted.").WithParam("ticket")
	case InvitationRevoked:
		return nil, invitation.RevokedTicket()
	default:
		return nil, invitation.TicketExpired()
	}
}

// Invitation returns an invitation of an organization.
func (s *Service) Invitation(ctx context.Context, idOrSlug, invID string) (*Invitation, *Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	inv, err := s.Store.OrgInvitation(ctx, invID)
	if err != nil {
		return nil, nil, err
	}
	if inv.OrganizationID != o.ID {
		return nil, nil, InvitationNotFound(invID)
	}
	return inv, o, nil
}

// Invitations lists invitations; Now is set here.
func (s *Service) Invitations(ctx context.Context, q InvitationQuery) ([]*Invitation, int64, error) {
	for _, st := range q.Statuses {
		switch st {
		case InvitationPending, InvitationAccepted, InvitationRevoked, InvitationExpired:
		default:
			return nil, 0, errs.ParamValue("status", st)
		}
	}
	q.Now = s.Now().UnixMilli()
	return s.Store.ListOrgInvitations(ctx, q)
}

// RevokeInvitation revokes a pending invitation: its link stops working.
func (s *Service) RevokeInvitation(ctx context.Context, idOrSlug, invID string) (*Invitation, *Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	inv, err := s.Store.RevokeOrgInvitation(ctx, o.ID, invID, s.Now().UnixMilli())
	return inv, o, err
}

// VerifiedEmails are the addresses whose invitations a user may accept.
func VerifiedEmails(u *user.User) []string {
	var out []string
	for _, idn := range u.Identifiers {
		if idn.Kind == user.EmailAddress && idn.Verified() {
			out = append(out, idn.Value)
		}
	}
	return out
}

// AcceptInvitation makes a signed-in user a member by an invitation to
// one of their verified addresses; someone else's invitation is not
// found.
func (s *Service) AcceptInvitation(ctx context.Context, u *user.User, invID string) (*Invitation, error) {
	inv, err := s.Store.OrgInvitation(ctx, invID)
	if err != nil {
		return nil, err
	}
	mine := false
	for _, e := range VerifiedEmails(u) {
		mine = mine || e == inv.EmailAddress
	}
	if !mine {
		return nil, InvitationNotFound(invID)
	}
	now := s.Now().UnixMilli()
	if inv.StatusAt(now) != InvitationPending {
		return nil, ErrInvitationNotPending
	}
	if err := s.Store.AcceptOrgInvitation(ctx, inv.ID, s.MembershipFor(inv, u.ID), now); err != nil {
		return nil, err
	}
	inv.Status, inv.UserID, inv.UpdatedAt = InvitationAccepted, u.ID, now
	return inv, nil
}

// MembershipFor is the membership an invitation grants userID.
func (s *Service) MembershipFor(inv *Invitation, userID string) *Membership {
	return s.newMembership(inv.OrganizationID, userID, inv.Role, nil, nil, s.Now().UnixMilli())
}
