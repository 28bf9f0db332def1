package invitation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/user"
)

// Defaults and bounds, as Clerk's.
const (
	DefaultExpiresInDays = 30
	MaxExpiresInDays     = 365
	MaxBulk              = 100
)

// CreateParams is POST /v1/invitations's body.
type CreateParams struct {
	EmailAddress   *string         `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	RedirectURL    *string         `json:"redirect_url"`
	Notify         *bool           `json:"notify"`
	IgnoreExisting *bool           `json:"ignore_existing"`
	ExpiresInDays  *int64          `json:"expires_in_days"`
	TemplateSlug   *string         `json:"template_slug"`
}

// Service applies the invitation rules on a Store.
type Service struct {
	Store Store
	// Key signs tickets; an instance secret.
	Key []byte
	// PublicURL is the base of invitation links.
	PublicURL string
	// EmailDomain is the sender's domain for invitation emails.
	EmailDomain string
	// SMSFrom returns the sender of invitation SMS.
	SMSFrom func(context.Context) string
	// AppName names the application in messages.
	AppName func(context.Context) (string, error)
	// Wake is called after messages were queued.
	Wake func()
	Now  func() time.Time
}

// prepared is one validated invitation and the email that announces it.
type prepared struct {
	inv    *Invitation
	msg    *delivery.Message // nil when notify is false
	ignore bool
}

func (s *Service) prepare(ctx context.Context, p CreateParams, now time.Time) (*prepared, error) {
	if p.EmailAddress == nil {
		return nil, errs.ParamMissing("email_address")
	}
	email, err := identifier.Email("email_address", *p.EmailAddress)
	if err != nil {
		return nil, err
	}
	meta, err := user.MetadataObject("public_metadata", p.PublicMetadata)
	if err != nil {
		return nil, err
	}
	if p.RedirectURL != nil {
		if err := checkRedirect(*p.RedirectURL); err != nil {
			return nil, err
		}
	}
	days := int64(DefaultExpiresInDays)
	if p.ExpiresInDays != nil {
		days = *p.ExpiresInDays
		if days < 1 || days > MaxExpiresInDays {
			return nil, errs.ParamFormat("expires_in_days", "expires_in_days must be between 1 and 365.")
		}
	}
	if p.TemplateSlug != nil && *p.TemplateSlug != "invitation" && *p.TemplateSlug != "waitlist_invitation" {
		return nil, errs.ParamValue("template_slug", *p.TemplateSlug)
	}
	ms := now.UnixMilli()
	expires := now.Add(time.Duration(days) * 24 * time.Hour).UnixMilli()
	inv := &Invitation{ID: id.NewAt(id.Invitation, now), EmailAddress: email, PublicMetadata: meta,
		RedirectURL: p.RedirectURL, Status: Pending, ExpiresAt: &expires, CreatedAt: ms, UpdatedAt: ms}
	pr := &prepared{inv: inv, ignore: p.IgnoreExisting != nil && *p.IgnoreExisting}
	if p.Notify == nil || *p.Notify {
		if pr.msg, err = s.Email(ctx, inv, now); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

// Prepare validates p and builds the invitation and its email without
// storing them, for a caller that stores them with its own change (an
// allowlist entry with notify).
func (s *Service) Prepare(ctx context.Context, p CreateParams, now time.Time) (New, error) {
	pr, err := s.prepare(ctx, p, now)
	if err != nil {
		return New{}, err
	}
	return New{Invitation: pr.inv, Email: pr.msg, ReplacePending: pr.ignore, IgnoreUsers: pr.ignore}, nil
}

// SignUpSMS builds the SMS that invites a phone number to sign up.
// Invitations are for email addresses, so it carries no ticket: it links
// to the sign-up page, where an allowlisted number is let in.
func (s *Service) SignUpSMS(ctx context.Context, phone string, now time.Time) (*delivery.Message, error) {
	app, err := s.AppName(ctx)
	if err != nil {
		return nil, err
	}
	text, err := delivery.RenderSMS("invitation", delivery.Invitation{AppName: app, Email: phone, URL: s.PublicURL + "/sign-up"})
	if err != nil {
		return nil, fmt.Errorf("invitation SMS: %w", err)
	}
	m := delivery.NewSMS(now, s.SMSFrom(ctx), phone, text)
	m.Slug = "invitation"
	return m, nil
}

// checkRedirect accepts absolute http(s) URLs: the link's landing page
// redirects there, so other schemes (javascript:, data:) are refused.
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errs.ParamFormat("redirect_url", "redirect_url must be an absolute http or https URL.")
	}
	return nil
}

// Email builds the invitation email for inv.
func (s *Service) Email(ctx context.Context, inv *Invitation, now time.Time) (*delivery.Message, error) {
	link, err := s.URL(inv)
	if err != nil {
		return nil, err
	}
	app, err := s.AppName(ctx)
	if err != nil {
		return nil, err
	}
	subject, html, text, err := delivery.RenderEmail("invitation", delivery.Invitation{
		AppName: app, Email: inv.EmailAddress, URL: link, Expires: delivery.FormatDate(inv.ExpiresAt)})
	if err != nil {
		return nil, fmt.Errorf("invitation email: %w", err)
	}
	m := delivery.NewEmail(now, "noreply", s.EmailDomain, inv.EmailAddress, subject, html, text)
	m.Slug = "invitation"
	return m, nil
}

// Create makes one invitation and, unless notify is false, queues its
// email in the same transaction.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Invitation, error) {
	out, err := s.create(ctx, []CreateParams{p}, "")
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// BulkCreate makes up to MaxBulk invitations, all or none.
func (s *Service) BulkCreate(ctx context.Context, ps []CreateParams) ([]*Invitation, error) {
	if len(ps) == 0 {
		return nil, errs.New(errs.Invalid, "form_param_missing", "is missing",
			"The request body must be a non-empty array of invitations.")
	}
	if len(ps) > MaxBulk {
		return nil, errs.New(errs.Invalid, "form_param_exceeds_allowed_size", "too many invitations",
			fmt.Sprintf("At most %d invitations can be created at once.", MaxBulk))
	}
	return s.create(ctx, ps, "item")
}

func (s *Service) create(ctx context.Context, ps []CreateParams, label string) ([]*Invitation, error) {
	now := s.Now()
	items := make([]New, 0, len(ps))
	out := make([]*Invitation, 0, len(ps))
	seen := map[string]bool{}
	queued := false
	for n, p := range ps {
		pr, err := s.prepare(ctx, p, now)
		if err != nil {
			return nil, labelled(err, label, n)
		}
		if seen[pr.inv.EmailAddress] {
			return nil, labelled(Duplicate(pr.inv.EmailAddress), label, n)
		}
		seen[pr.inv.EmailAddress] = true
		items = append(items, New{Invitation: pr.inv, Email: pr.msg, ReplacePending: pr.ignore, IgnoreUsers: pr.ignore})
		out = append(out, pr.inv)
		queued = queued || pr.msg != nil
	}
	if err := s.Store.CreateInvitations(ctx, items, now.UnixMilli()); err != nil {
		return nil, err
	}
	if queued && s.Wake != nil {
		s.Wake()
	}
	return out, nil
}

// labelled names the bulk item an error is about.
func labelled(err error, label string, n int) error {
	e, ok := errs.As(err)
	if !ok || label == "" {
		return err
	}
	c := *e
	c.LongMessage = fmt.Sprintf("%s %d: %s", label, n, e.LongMessage)
	return &c
}

// List returns a page of invitations and the total count.
func (s *Service) List(ctx context.Context, q Query) ([]Invitation, int64, error) {
	q.Now = s.Now().UnixMilli()
	q.Search = strings.TrimSpace(q.Search)
	return s.Store.Invitations(ctx, q)
}

// Revoke revokes a pending (or expired) invitation: its link stops working.
func (s *Service) Revoke(ctx context.Context, id string) (*Invitation, error) {
	return s.Store.RevokeInvitation(ctx, id, s.Now().UnixMilli())
}

// Delete erases an invitation and the copies of its email, as for a
// data-erasure request; its link stops working.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.Store.DeleteInvitation(ctx, id)
}

// URL is the invitation's link: Concierge's ticket landing, which the
// sign-up flow accepts.
func (s *Service) URL(inv *Invitation) (string, error) {
	t, err := signTicket(s.Key, inv)
	if err != nil {
		return "", err
	}
	return s.PublicURL + "/v1/tickets/accept?ticket=" + url.QueryEscape(t), nil
}

// Verify checks a ticket and returns the pending invitation it names. It
// is what sign-up calls before accepting an invitation: a forged,
// expired, revoked or already used ticket is refused with FAPI's codes.
func (s *Service) Verify(ctx context.Context, ticket string) (*Invitation, error) {
	now := s.Now()
	invID, err := parseTicket(s.Key, ticket, now)
	if err != nil {
		return nil, err
	}
	inv, err := s.Store.Invitation(ctx, invID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, TicketInvalid()
	} else if err != nil {
		return nil, err
	}
	switch inv.StatusAt(now.UnixMilli()) {
	case Pending:
		return inv, nil
	case Accepted:
		return nil, errs.New(errs.BadRequest, "invitation_already_accepted", "invitation already accepted",
			"This invitation was already used. Sign in instead.").WithParam("ticket")
	case Revoked:
		return nil, RevokedTicket()
	default:
		return nil, TicketExpired()
	}
}
