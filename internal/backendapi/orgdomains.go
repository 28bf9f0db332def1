package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/respond"
)

// DomainVerificationJSON is a domain's verification. Clerk's SDKs name
// its expiry differently (@clerk/backend expires_at, clerk-sdk-go
// expire_at): both are sent.
type DomainVerificationJSON struct {
	Status    string `json:"status"`
	Strategy  string `json:"strategy"`
	Attempts  int    `json:"attempts"`
	ExpiresAt int64  `json:"expires_at"`
	ExpireAt  int64  `json:"expire_at"`
}

// DomainJSON is Clerk's organization_domain object.
type DomainJSON struct {
	Object                  string                  `json:"object"`
	ID                      string                  `json:"id"`
	Name                    string                  `json:"name"`
	OrganizationID          string                  `json:"organization_id"`
	EnrollmentMode          string                  `json:"enrollment_mode"`
	Verification            *DomainVerificationJSON `json:"verification"`
	AffiliationEmailAddress *string                 `json:"affiliation_email_address"`
	TotalPendingInvitations int64                   `json:"total_pending_invitations"`
	TotalPendingSuggestions int64                   `json:"total_pending_suggestions"`
	CreatedAt               int64                   `json:"created_at"`
	UpdatedAt               int64                   `json:"updated_at"`
}

// DomainObject renders a domain. Suggestions are derived when a user
// reads them, so none is counted pending here.
func DomainObject(d *organization.Domain) DomainJSON {
	out := DomainJSON{Object: "organization_domain", ID: d.ID, Name: d.Name, OrganizationID: d.OrganizationID,
		EnrollmentMode: d.EnrollmentMode, TotalPendingInvitations: d.PendingInvitations, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.VerificationStatus != "" {
		out.Verification = &DomainVerificationJSON{Status: d.VerificationStatus, Strategy: "email_code", Attempts: d.Attempts,
			ExpiresAt: d.CodeExpiresAt, ExpireAt: d.CodeExpiresAt}
	}
	if d.AffiliationEmail != "" {
		out.AffiliationEmailAddress = &d.AffiliationEmail
	}
	return out
}

func (a *API) listDomains(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := organization.DomainQuery{}
	var err error
	if q.Limit, q.Offset, err = limitOffset(v); err != nil {
		return err
	}
	if v.Get("verified") != "" {
		b, err := boolParam(v, "verified")
		if err != nil {
			return err
		}
		q.Verified = &b
	}
	if q.EnrollmentModes, err = values(v, "enrollment_mode"); err != nil {
		return err
	}
	o, err := a.Organizations.Store.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	q.OrganizationID = o.ID
	list, total, err := a.Organizations.Store.ListDomains(r.Context(), q)
	if err != nil {
		return err
	}
	out := make([]DomainJSON, len(list))
	for i, d := range list {
		out[i] = DomainObject(d)
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) createDomain(w http.ResponseWriter, r *http.Request) error {
	var p organization.DomainParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	d, err := a.Organizations.AddDomain(r.Context(), r.PathValue("organization_id"), p, true)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, DomainObject(d))
	return nil
}

// orgOf resolves the path's organization (ID or slug) to its ID.
func (a *API) orgOf(r *http.Request) (string, error) {
	o, err := a.Organizations.Store.Organization(r.Context(), r.PathValue("organization_id"))
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

func (a *API) updateDomain(w http.ResponseWriter, r *http.Request) error {
	var p organization.DomainParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	orgID, err := a.orgOf(r)
	if err != nil {
		return err
	}
	d, err := a.Organizations.UpdateDomain(r.Context(), orgID, r.PathValue("domain_id"), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, DomainObject(d))
	return nil
}

func (a *API) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	orgID, err := a.orgOf(r)
	if err != nil {
		return err
	}
	d, err := a.Organizations.RemoveDomain(r.Context(), orgID, r.PathValue("domain_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "organization_domain", ID: d.ID, Deleted: true})
	return nil
}
