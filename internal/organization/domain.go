package organization

import (
	"context"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
)

// Enrollment modes of a verified domain: what happens to a user with a
// verified address at it.
const (
	// ManualInvitation: nothing; admins invite.
	ManualInvitation = "manual_invitation"
	// AutomaticInvitation: the user finds a pending invitation.
	AutomaticInvitation = "automatic_invitation"
	// AutomaticSuggestion: the user is suggested the organization and may
	// ask to join (a membership request an admin accepts).
	AutomaticSuggestion = "automatic_suggestion"
)

// Domain is an organization's email domain. Times are Unix milliseconds.
type Domain struct {
	ID             string
	OrganizationID string
	Name           string
	EnrollmentMode string
	// Verification: "" (never started), "unverified" (a code was sent to
	// AffiliationEmail) or "verified".
	VerificationStatus string
	Attempts           int
	// CodeExpiresAt is when the code sent expires.
	CodeExpiresAt    int64
	CodeHash         string
	AffiliationEmail string
	CreatedAt        int64
	UpdatedAt        int64
	// PendingInvitations is read, never written: pending invitations of
	// the organization to addresses at the domain.
	PendingInvitations int64
}

// Verified reports whether the domain was verified.
func (d *Domain) Verified() bool { return d.VerificationStatus == "verified" }

// DomainQuery selects a page of an organization's domains.
type DomainQuery struct {
	OrganizationID  string
	Verified        *bool
	EnrollmentModes []string
	Limit, Offset   int
}

// MembershipRequest is a user asking to join an organization, after
// accepting a suggestion.
type MembershipRequest struct {
	ID             string
	OrganizationID string
	UserID         string
	Status         string // pending, accepted or rejected
	CreatedAt      int64
	UpdatedAt      int64
}

// DomainStore persists domains and membership requests.
type DomainStore interface {
	// CreateDomain stores a domain; one organization holds a name once,
	// and a verified name belongs to one organization (ErrDomainTaken).
	CreateDomain(ctx context.Context, d *Domain) error
	Domain(ctx context.Context, id string) (*Domain, error)
	ListDomains(ctx context.Context, q DomainQuery) ([]*Domain, int64, error)
	// UpdateDomain changes a domain in one transaction; msg, if fn sets
	// it, is queued with the change (a verification code).
	UpdateDomain(ctx context.Context, id string, fn func(*Domain) (*delivery.Message, error)) (*Domain, error)
	DeleteDomain(ctx context.Context, id string) (*Domain, error)
	// DeletePendingDomainInvitations revokes the organization's pending
	// invitations to addresses at domain (when its mode changes).
	DeletePendingDomainInvitations(ctx context.Context, orgID, domain string, now int64) error
	// VerifiedDomains finds the verified domains with these names.
	VerifiedDomains(ctx context.Context, names []string) ([]*Domain, error)

	// CreateMembershipRequest stores a pending request, once per user
	// and organization (an existing pending one is kept).
	CreateMembershipRequest(ctx context.Context, r *MembershipRequest) error
	MembershipRequests(ctx context.Context, orgID string, userIDs []string, statuses []string, limit, offset int) ([]*MembershipRequest, int64, error)
	// DecideMembershipRequest accepts (creating m) or rejects a pending
	// request, in one transaction.
	DecideMembershipRequest(ctx context.Context, orgID, id, status string, m *Membership, now int64) (*MembershipRequest, error)
}

// Domain errors.
var (
	ErrDomainTaken = errs.New(errs.Invalid, "organization_domain_exists", "Domain taken",
		"This domain is already an organization's: an organization holds a domain once, and a verified domain belongs to one organization.").WithParam("name")
	ErrDomainCommon = errs.New(errs.Invalid, "organization_domain_common", "Common email domain",
		"Domains of public email providers cannot be an organization's.").WithParam("name")
	ErrDomainNotVerified = errs.New(errs.BadRequest, "organization_domain_not_verified", "Domain not verified",
		"Only a verified domain can enrol users: verify it first.")
	ErrAffiliationMismatch = errs.New(errs.Invalid, "organization_domain_mismatch", "Address not at the domain",
		"The affiliation email address must be an address at the domain.").WithParam("affiliation_email_address")
	ErrRequestNotPending = errs.New(errs.BadRequest, "organization_membership_request_not_pending", "Request not pending",
		"Only a pending membership request can be accepted or rejected.")
)

// DomainNotFound is the 404 of an unknown domain.
func DomainNotFound(id string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No organization domain was found with id "+id+".")
}

// RequestNotFound is the 404 of an unknown membership request.
func RequestNotFound(id string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No membership request was found with id "+id+".")
}

// commonDomains are public email providers: an address at one says
// nothing about an employer.
var commonDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"msn.com": true, "icloud.com": true, "me.com": true, "mac.com": true, "aol.com": true, "proton.me": true,
	"protonmail.com": true, "gmx.com": true, "gmx.net": true, "mail.com": true, "yandex.com": true, "yandex.ru": true,
	"zoho.com": true, "fastmail.com": true, "qq.com": true, "163.com": true, "web.de": true,
}
