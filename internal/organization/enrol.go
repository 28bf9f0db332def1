package organization

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/user"
)

// Verified domains and what they enrol: an admin proves the domain with a
// code sent to an address at it (or the Backend API declares it
// verified); then, by its enrolment mode, users with a verified address
// at it find an invitation, or a suggestion they may accept as a
// membership request.

const (
	codeTTL         = 10 * time.Minute
	codeMaxAttempts = 3
)

// DomainParams are the fields of creating and updating a domain.
type DomainParams struct {
	Name           *string `json:"name"`
	EnrollmentMode *string `json:"enrollment_mode"`
	Verified       *bool   `json:"verified"`
	// DeletePending revokes the pending invitations made for the domain
	// when its mode changes (the Frontend API's delete_pending).
	DeletePending *bool `json:"delete_pending"`
}

func validDomain(raw string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(raw))
	if _, err := identifier.Email("name", "x@"+d); err != nil || !strings.Contains(d, ".") || len(d) > 253 {
		return "", errs.ParamFormat("name", "name must be a domain, such as example.com.")
	}
	if commonDomains[d] {
		return "", ErrDomainCommon
	}
	return d, nil
}

func validMode(m string) error {
	switch m {
	case ManualInvitation, AutomaticInvitation, AutomaticSuggestion:
		return nil
	}
	return errs.ParamValue("enrollment_mode", m)
}

// AddDomain adds a domain to an organization: verified (the Backend
// API's default) or to be verified by email.
func (s *Service) AddDomain(ctx context.Context, idOrSlug string, p DomainParams, verifiedByDefault bool) (*Domain, error) {
	if p.Name == nil {
		return nil, errs.ParamMissing("name")
	}
	name, err := validDomain(*p.Name)
	if err != nil {
		return nil, err
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	now := s.Now().UnixMilli()
	d := &Domain{ID: id.New("orgdmn_"), OrganizationID: o.ID, Name: name, EnrollmentMode: ManualInvitation, CreatedAt: now, UpdatedAt: now}
	if p.EnrollmentMode != nil {
		if err := validMode(*p.EnrollmentMode); err != nil {
			return nil, err
		}
		d.EnrollmentMode = *p.EnrollmentMode
	}
	if (p.Verified == nil && verifiedByDefault) || (p.Verified != nil && *p.Verified) {
		d.VerificationStatus = "verified"
	}
	if d.EnrollmentMode != ManualInvitation && !d.Verified() {
		return nil, ErrDomainNotVerified
	}
	if err := s.Store.CreateDomain(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// Domain returns a domain of an organization.
func (s *Service) Domain(ctx context.Context, orgID, domID string) (*Domain, error) {
	d, err := s.Store.Domain(ctx, domID)
	if err != nil {
		return nil, err
	}
	if d.OrganizationID != orgID {
		return nil, DomainNotFound(domID)
	}
	return d, nil
}

// UpdateDomain changes a domain's mode (or, from the Backend API, its
// verification).
func (s *Service) UpdateDomain(ctx context.Context, orgID, domID string, p DomainParams) (*Domain, error) {
	if _, err := s.Domain(ctx, orgID, domID); err != nil {
		return nil, err
	}
	if p.EnrollmentMode != nil {
		if err := validMode(*p.EnrollmentMode); err != nil {
			return nil, err
		}
	}
	now := s.Now().UnixMilli()
	d, err := s.Store.UpdateDomain(ctx, domID, func(d *Domain) (*delivery.Message, error) {
		if p.Name != nil {
			name, err := validDomain(*p.Name)
			if err != nil {
				return nil, err
			}
			if name != d.Name {
				d.Name, d.VerificationStatus, d.AffiliationEmail, d.CodeHash = name, "", "", ""
			}
		}
		if p.Verified != nil {
			if *p.Verified {
				d.VerificationStatus, d.CodeHash = "verified", ""
			} else {
				d.VerificationStatus = "unverified"
			}
		}
		if p.EnrollmentMode != nil {
			d.EnrollmentMode = *p.EnrollmentMode
		}
		if d.EnrollmentMode != ManualInvitation && !d.Verified() {
			return nil, ErrDomainNotVerified
		}
		d.UpdatedAt = now
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	if p.DeletePending != nil && *p.DeletePending {
		if err := s.Store.DeletePendingDomainInvitations(ctx, orgID, d.Name, now); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// RemoveDomain deletes a domain of an organization.
func (s *Service) RemoveDomain(ctx context.Context, orgID, domID string) (*Domain, error) {
	if _, err := s.Domain(ctx, orgID, domID); err != nil {
		return nil, err
	}
	return s.Store.DeleteDomain(ctx, domID)
}

func (s *Service) codeHash(domID, code string) string {
	mac := hmac.New(sha256.New, s.CodeKey)
	mac.Write([]byte("organization_domain:" + domID + ":" + code))
	return hex.EncodeToString(mac.Sum(nil))
}

// PrepareAffiliation sends a code to an address at the domain: whoever
// reads it there vouches that the organization holds the domain.
func (s *Service) PrepareAffiliation(ctx context.Context, orgID, domID, email string) (*Domain, error) {
	addr, err := identifier.Email("affiliation_email_address", email)
	if err != nil {
		return nil, err
	}
	if _, err := s.Domain(ctx, orgID, domID); err != nil {
		return nil, err
	}
	app := ""
	if s.AppName != nil {
		if app, err = s.AppName(ctx); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	if s.Wake != nil {
		defer s.Wake()
	}
	return s.Store.UpdateDomain(ctx, domID, func(d *Domain) (*delivery.Message, error) {
		if !strings.HasSuffix(addr, "@"+d.Name) {
			return nil, ErrAffiliationMismatch
		}
		if d.Verified() {
			return nil, errs.New(errs.BadRequest, "verification_already_verified", "Already verified", "This domain was already verified.")
		}
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return nil, err
		}
		code := fmt.Sprintf("%06d", n.Int64())
		subject, html, text, err := delivery.RenderEmail("verification_code", delivery.Code{AppName: app, Code: code})
		if err != nil {
			return nil, err
		}
		d.VerificationStatus, d.AffiliationEmail, d.CodeHash, d.Attempts = "unverified", addr, s.codeHash(d.ID, code), 0
		d.CodeExpiresAt, d.UpdatedAt = now.Add(codeTTL).UnixMilli(), now.UnixMilli()
		m := delivery.NewEmail(now, "noreply", s.EmailDomain, addr, subject, html, text)
		m.Slug = "verification_code"
		return m, nil
	})
}

var errCodeIncorrect = errs.New(errs.Invalid, "form_code_incorrect", "Incorrect code", "The code is incorrect.").WithParam("code")

// AttemptAffiliation checks the code sent by PrepareAffiliation; three
// wrong codes end the attempt.
func (s *Service) AttemptAffiliation(ctx context.Context, orgID, domID, code string) (*Domain, error) {
	if code == "" {
		return nil, errs.ParamMissing("code")
	}
	if _, err := s.Domain(ctx, orgID, domID); err != nil {
		return nil, err
	}
	now := s.Now().UnixMilli()
	var wrong bool
	d, err := s.Store.UpdateDomain(ctx, domID, func(d *Domain) (*delivery.Message, error) {
		wrong = false
		switch {
		case d.Verified():
			return nil, errs.New(errs.BadRequest, "verification_already_verified", "Already verified", "This domain was already verified.")
		case d.CodeHash == "":
			return nil, errs.New(errs.BadRequest, "verification_missing", "Verification missing", "No code was sent yet: prepare the verification first.")
		case d.Attempts >= codeMaxAttempts:
			return nil, errs.New(errs.BadRequest, "verification_failed", "Too many failed attempts", "Too many failed attempts: ask for a new code.")
		case now >= d.CodeExpiresAt:
			return nil, errs.New(errs.BadRequest, "verification_expired", "Verification expired", "The code has expired: ask for a new one.")
		}
		d.Attempts++
		d.UpdatedAt = now
		if !hmac.Equal([]byte(d.CodeHash), []byte(s.codeHash(d.ID, code))) {
			wrong = true // the attempt is counted: stored, then refused
			return nil, nil
		}
		d.VerificationStatus, d.CodeHash = "verified", ""
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	if wrong {
		return nil, errCodeIncorrect
	}
	return d, nil
}

// Suggestion is an organization suggested to a user by a verified domain
// at which the user has a verified address. It is derived, not stored:
// its ID comes from the domain and the user, and it reads as accepted
// once the user asked to join.
type Suggestion struct {
	ID           string
	Organization *Organization
	Status       string // pending or accepted
	CreatedAt    int64
	UpdatedAt    int64
}

// enrolling finds the verified domains, in mode, of the user's verified
// addresses, in organizations the user is not a member of.
func (s *Service) enrolling(ctx context.Context, u *user.User, mode string) ([]*Domain, error) {
	var names []string
	seen := map[string]bool{}
	for _, e := range VerifiedEmails(u) {
		if at := strings.LastIndexByte(e, '@'); at > 0 && !seen[e[at+1:]] {
			seen[e[at+1:]] = true
			names = append(names, e[at+1:])
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	ds, err := s.Store.VerifiedDomains(ctx, names)
	if err != nil {
		return nil, err
	}
	var out []*Domain
	for _, d := range ds {
		if d.EnrollmentMode != mode {
			continue
		}
		_, _, err := s.Store.MemberOf(ctx, d.OrganizationID, u.ID)
		if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
			out = append(out, d)
		} else if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Suggestions lists the organizations suggested to a user.
func (s *Service) Suggestions(ctx context.Context, u *user.User) ([]Suggestion, error) {
	ds, err := s.enrolling(ctx, u, AutomaticSuggestion)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.OrganizationID
	}
	orgs, err := s.Store.OrganizationsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	for _, d := range ds {
		o := orgs[d.OrganizationID]
		if o == nil {
			continue
		}
		sg := Suggestion{ID: id.Derived("orgsug_", time.UnixMilli(d.CreatedAt), d.ID+":"+u.ID), Organization: o, Status: "pending",
			CreatedAt: d.UpdatedAt, UpdatedAt: d.UpdatedAt}
		reqs, _, err := s.Store.MembershipRequests(ctx, o.ID, []string{u.ID}, []string{"pending"}, 1, 0)
		if err != nil {
			return nil, err
		}
		if len(reqs) > 0 {
			sg.Status, sg.UpdatedAt = "accepted", reqs[0].UpdatedAt
		}
		out = append(out, sg)
	}
	return out, nil
}

// AcceptSuggestion asks to join the suggested organization: a pending
// membership request for its admins.
func (s *Service) AcceptSuggestion(ctx context.Context, u *user.User, sugID string) (*Suggestion, error) {
	list, err := s.Suggestions(ctx, u)
	if err != nil {
		return nil, err
	}
	for i := range list {
		sg := &list[i]
		if sg.ID != sugID {
			continue
		}
		now := s.Now().UnixMilli()
		if err := s.Store.CreateMembershipRequest(ctx, &MembershipRequest{ID: id.New("orgmemreq_"), OrganizationID: sg.Organization.ID,
			UserID: u.ID, Status: "pending", CreatedAt: now, UpdatedAt: now}); err != nil {
			return nil, err
		}
		sg.Status, sg.UpdatedAt = "accepted", now
		return sg, nil
	}
	return nil, errs.New(errs.NotFound, "resource_not_found", "not found", "No organization suggestion was found with id "+sugID+".")
}

// EnrolByInvitation gives a user a pending invitation (no email: the
// user finds it in the application) to each organization whose verified
// domain, in automatic_invitation mode, holds one of the user's verified
// addresses, unless the organization invited the address before.
func (s *Service) EnrolByInvitation(ctx context.Context, u *user.User) error {
	ds, err := s.enrolling(ctx, u, AutomaticInvitation)
	if err != nil {
		return err
	}
	no := false
	for _, d := range ds {
		for _, e := range VerifiedEmails(u) {
			if !strings.HasSuffix(e, "@"+d.Name) {
				continue
			}
			prior, _, err := s.Store.ListOrgInvitations(ctx, InvitationQuery{OrganizationID: d.OrganizationID, EmailAddresses: []string{e}, Limit: 1})
			if err != nil {
				return err
			}
			if len(prior) > 0 {
				continue
			}
			addr, role := e, RoleMember
			_, _, err = s.Invite(ctx, d.OrganizationID, []InviteParams{{EmailAddress: &addr, Role: &role, Notify: &no}})
			if e, ok := errs.As(err); ok && (e.Code == "duplicate_record" || e.Code == "already_a_member_in_organization" ||
				e.Code == "organization_membership_quota_exceeded") {
				continue // another request made it, or the organization is full
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// MembershipRequests lists an organization's requests.
func (s *Service) MembershipRequests(ctx context.Context, orgID string, statuses []string, limit, offset int) ([]*MembershipRequest, int64, error) {
	for _, st := range statuses {
		if st != "pending" && st != "accepted" && st != "rejected" {
			return nil, 0, errs.ParamValue("status", st)
		}
	}
	return s.Store.MembershipRequests(ctx, orgID, nil, statuses, limit, offset)
}

// DecideMembershipRequest accepts (the user becomes a member) or rejects
// a pending request.
func (s *Service) DecideMembershipRequest(ctx context.Context, orgID, reqID string, accept bool) (*MembershipRequest, error) {
	status := "rejected"
	var m *Membership
	if accept {
		status = "accepted"
		m = s.newMembership(orgID, "", RoleMember, nil, nil, s.Now().UnixMilli())
	}
	return s.Store.DecideMembershipRequest(ctx, orgID, reqID, status, m, s.Now().UnixMilli())
}
