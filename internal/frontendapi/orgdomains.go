package frontendapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Verified domains as clerk-js manages them (an admin adds a domain and
// proves it with a code sent to an address at it, then picks its
// enrolment mode), the membership requests its suggestions lead to, and
// the suggestions a user sees.

// domainJSON is the Frontend API's domain: the Backend API's, with the
// verification also under its newer name.
type domainJSON struct {
	backendapi.DomainJSON
	AffiliationVerification *backendapi.DomainVerificationJSON `json:"affiliation_verification"`
	OwnershipVerification   *struct{}                          `json:"ownership_verification"`
}

func domainOut(d *organization.Domain) domainJSON {
	b := backendapi.DomainObject(d)
	return domainJSON{DomainJSON: b, AffiliationVerification: b.Verification}
}

// errDomainsOff refuses adding domains while the instance does not offer
// verified domains.
var errDomainsOff = errs.New(errs.Forbidden, "organization_domains_not_enabled", "Verified domains are not enabled",
	"Verified domains are not enabled for this instance. Turn on the organization_domains setting in the dashboard.")

func (a *API) listDomains(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermDomainsRead)
	if err != nil {
		return err
	}
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	q := organization.DomainQuery{OrganizationID: o.ID, EnrollmentModes: commaList(v, "enrollment_mode"), Limit: limit, Offset: offset}
	if s := v.Get("verified"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errs.ParamValue("verified", s)
		}
		q.Verified = &b
	}
	list, total, err := a.Organizations.Store.ListDomains(r.Context(), q)
	if err != nil {
		return err
	}
	out := make([]domainJSON, len(list))
	for i, d := range list {
		out[i] = domainOut(d)
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": total})
}

// domainAction runs a change of a member holding perm on the path's
// domain and answers the domain.
func (a *API) domainAction(w http.ResponseWriter, r *http.Request, u *user.User, perm string,
	fn func(orgID, domID string) (*organization.Domain, error)) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, perm)
	if err != nil {
		return err
	}
	d, err := fn(o.ID, r.PathValue("domain_id"))
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, domainOut(d))
}

func (a *API) createDomain(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	if !live.OrganizationDomains {
		return errDomainsOff
	}
	return a.domainAction(w, r, u, organization.PermDomainsManage, func(orgID, _ string) (*organization.Domain, error) {
		return a.Organizations.AddDomain(r.Context(), orgID, organization.DomainParams{Name: opt(v, "name")}, false)
	})
}

func (a *API) getDomain(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	return a.domainAction(w, r, u, organization.PermDomainsRead, func(orgID, domID string) (*organization.Domain, error) {
		return a.Organizations.Domain(r.Context(), orgID, domID)
	})
}

func (a *API) deleteDomain(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermDomainsManage)
	if err != nil {
		return err
	}
	d, err := a.Organizations.RemoveDomain(r.Context(), o.ID, r.PathValue("domain_id"))
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "organization_domain", "id": d.ID, "deleted": true})
}

func (a *API) prepareDomain(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	return a.domainAction(w, r, u, organization.PermDomainsManage, func(orgID, domID string) (*organization.Domain, error) {
		return a.Organizations.PrepareAffiliation(r.Context(), orgID, domID, v.Get("affiliation_email_address"))
	})
}

func (a *API) attemptDomain(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	return a.domainAction(w, r, u, organization.PermDomainsManage, func(orgID, domID string) (*organization.Domain, error) {
		return a.Organizations.AttemptAffiliation(r.Context(), orgID, domID, v.Get("code"))
	})
}

func (a *API) domainMode(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	p := organization.DomainParams{EnrollmentMode: opt(v, "enrollment_mode")}
	if p.EnrollmentMode == nil {
		return errs.ParamMissing("enrollment_mode")
	}
	if s := v.Get("delete_pending"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errs.ParamValue("delete_pending", s)
		}
		p.DeletePending = &b
	}
	return a.domainAction(w, r, u, organization.PermDomainsManage, func(orgID, domID string) (*organization.Domain, error) {
		return a.Organizations.UpdateDomain(r.Context(), orgID, domID, p)
	})
}

type membershipRequestJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	OrganizationID string          `json:"organization_id"`
	Status         string          `json:"status"`
	PublicUserData *publicUserData `json:"public_user_data"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

func (a *API) requestOut(req *organization.MembershipRequest, u *user.User) membershipRequestJSON {
	out := membershipRequestJSON{Object: "organization_membership_request", ID: req.ID, OrganizationID: req.OrganizationID,
		Status: req.Status, CreatedAt: req.CreatedAt, UpdatedAt: req.UpdatedAt}
	if u != nil {
		pud := a.publicUserData(u)
		out.PublicUserData = &pud
	}
	return out
}

func (a *API) listMembershipRequests(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsManage)
	if err != nil {
		return err
	}
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	list, total, err := a.Organizations.MembershipRequests(r.Context(), o.ID, statusParam(v), limit, offset)
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, req := range list {
		ids[i] = req.UserID
	}
	users := map[string]*user.User{}
	if len(ids) > 0 {
		found, err := a.UserRules.List(r.Context(), user.Query{Filter: user.Filter{UserIDs: ids}, Limit: len(ids)})
		if err != nil {
			return err
		}
		for _, x := range found {
			users[x.ID] = x
		}
	}
	out := make([]membershipRequestJSON, len(list))
	for i, req := range list {
		out[i] = a.requestOut(req, users[req.UserID])
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": total})
}

func (a *API) decideMembershipRequest(accept bool) meHandler {
	return func(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
		o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermMembershipsManage)
		if err != nil {
			return err
		}
		req, err := a.Organizations.DecideMembershipRequest(r.Context(), o.ID, r.PathValue("request_id"), accept)
		if err != nil {
			return err
		}
		requester, err := a.UserRules.Get(r.Context(), req.UserID)
		if err != nil {
			requester = nil // deleted meanwhile: the request still answers
		}
		return a.envelope(w, r, clientOf(r).ID, a.requestOut(req, requester))
	}
}

type suggestionJSON struct {
	Object                 string        `json:"object"`
	ID                     string        `json:"id"`
	PublicOrganizationData publicOrgData `json:"public_organization_data"`
	Status                 string        `json:"status"`
	CreatedAt              int64         `json:"created_at"`
	UpdatedAt              int64         `json:"updated_at"`
}

func (a *API) suggestionOut(sg *organization.Suggestion) suggestionJSON {
	oj := a.orgOut(sg.Organization)
	return suggestionJSON{Object: "organization_suggestion", ID: sg.ID, Status: sg.Status, CreatedAt: sg.CreatedAt, UpdatedAt: sg.UpdatedAt,
		PublicOrganizationData: publicOrgData{ID: oj.ID, Name: oj.Name, Slug: oj.Slug, ImageURL: oj.ImageURL, HasImage: oj.HasImage}}
}

// mySuggestions lists the organizations the user's verified domains
// suggest, always as {data, total_count}.
func (a *API) mySuggestions(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	limit, offset, err := pageOf(v)
	if err != nil {
		return err
	}
	list, err := a.Organizations.Suggestions(r.Context(), u)
	if err != nil {
		return err
	}
	want := statusParam(v)
	out := []suggestionJSON{}
	for i := range list {
		if len(want) == 0 || contains(want, list[i].Status) {
			out = append(out, a.suggestionOut(&list[i]))
		}
	}
	total := len(out)
	out = out[min(offset, len(out)):]
	out = out[:min(limit, len(out))]
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"data": out, "total_count": total})
}

func (a *API) acceptSuggestion(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	sg, err := a.Organizations.AcceptSuggestion(r.Context(), u, r.PathValue("suggestion_id"))
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.suggestionOut(sg))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
