package waitlist

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/invitation"
)

// MaxBulk bounds POST /v1/waitlist_entries/bulk, as invitations'.
const MaxBulk = 100

// CreateParams is POST /v1/waitlist_entries's body.
type CreateParams struct {
	EmailAddress *string `json:"email_address"`
	Notify       *bool   `json:"notify"`
}

// InviteParams is POST /v1/waitlist_entries/{id}/invite's body.
type InviteParams struct {
	IgnoreExisting *bool `json:"ignore_existing"`
}

// Service applies the waitlist rules on a Store.
type Service struct {
	Store Store
	// Invitations builds the invitation an invited entry receives.
	Invitations *invitation.Service
	// EmailDomain is the sender's domain for confirmation emails.
	EmailDomain string
	// AppName names the application in messages.
	AppName func(context.Context) (string, error)
	// Wake is called after messages were queued.
	Wake func()
	Now  func() time.Time
}

// Create adds an address to the waitlist, or returns its existing entry:
// joining twice is not an error, as Clerk's.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Entry, error) {
	out, err := s.join(ctx, []CreateParams{p}, "")
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// BulkCreate adds up to MaxBulk addresses, all or none.
func (s *Service) BulkCreate(ctx context.Context, ps []CreateParams) ([]*Entry, error) {
	if len(ps) == 0 {
		return nil, errs.New(errs.Invalid, "form_param_missing", "is missing",
			"The request body must be a non-empty array of waitlist entries.")
	}
	if len(ps) > MaxBulk {
		return nil, errs.New(errs.Invalid, "form_param_exceeds_allowed_size", "too many waitlist entries",
			fmt.Sprintf("At most %d waitlist entries can be created at once.", MaxBulk))
	}
	return s.join(ctx, ps, "item")
}

func (s *Service) join(ctx context.Context, ps []CreateParams, label string) ([]*Entry, error) {
	now := s.Now()
	ms := now.UnixMilli()
	items := make([]Join, 0, len(ps))
	queued := false
	for n, p := range ps {
		if p.EmailAddress == nil {
			return nil, labelled(errs.ParamMissing("email_address"), label, n)
		}
		email, err := identifier.Email("email_address", *p.EmailAddress)
		if err != nil {
			return nil, labelled(err, label, n)
		}
		j := Join{Entry: &Entry{ID: id.NewAt(id.Waitlist, now), EmailAddress: email, Status: Pending,
			CreatedAt: ms, UpdatedAt: ms}}
		if p.Notify == nil || *p.Notify {
			if j.Email, err = s.email(ctx, email, now); err != nil {
				return nil, err
			}
			queued = true
		}
		items = append(items, j)
	}
	out, err := s.Store.JoinWaitlist(ctx, items)
	if err != nil {
		return nil, err
	}
	if queued && s.Wake != nil {
		s.Wake()
	}
	return out, nil
}

// email builds the confirmation that an address joined the waitlist.
func (s *Service) email(ctx context.Context, to string, now time.Time) (*delivery.Message, error) {
	app, err := s.AppName(ctx)
	if err != nil {
		return nil, err
	}
	subject, html, text, err := delivery.RenderEmail("waitlist_joined", delivery.Invitation{AppName: app, Email: to})
	if err != nil {
		return nil, fmt.Errorf("waitlist email: %w", err)
	}
	m := delivery.NewEmail(now, "noreply", s.EmailDomain, to, subject, html, text)
	m.Slug = "waitlist_joined"
	return m, nil
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

// List returns a page of entries and the total count.
func (s *Service) List(ctx context.Context, q Query) ([]Entry, int64, error) {
	q.Search = strings.TrimSpace(q.Search)
	return s.Store.WaitlistEntries(ctx, q)
}

// Invite sends the entry's address an invitation (Clerk's
// waitlist_invitation) and marks it invited: the ticket in the link lets
// it sign up while the instance is in waitlist mode.
func (s *Service) Invite(ctx context.Context, entryID string, p InviteParams) (*Entry, error) {
	e, err := s.Store.WaitlistEntry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if e.Status == Completed {
		return nil, AlreadyCompleted()
	}
	now := s.Now()
	notify, slug := true, "waitlist_invitation"
	inv, err := s.Invitations.Prepare(ctx, invitation.CreateParams{EmailAddress: &e.EmailAddress,
		Notify: &notify, IgnoreExisting: p.IgnoreExisting, TemplateSlug: &slug}, now)
	if err != nil {
		return nil, err
	}
	out, err := s.Store.InviteWaitlistEntry(ctx, entryID, inv, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	if s.Invitations.Wake != nil {
		s.Invitations.Wake()
	}
	return out, nil
}

// Reject marks an entry rejected; its pending invitation is revoked.
func (s *Service) Reject(ctx context.Context, entryID string) (*Entry, error) {
	return s.Store.RejectWaitlistEntry(ctx, entryID, s.Now().UnixMilli())
}

// Delete removes an entry; its address may join again.
func (s *Service) Delete(ctx context.Context, entryID string) error {
	return s.Store.DeleteWaitlistEntry(ctx, entryID)
}
