package dashboard

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/organization"
)

// maxDomainsShown bounds the domains an organization page lists: an
// organization has a handful, and the page says if there are more.
const maxDomainsShown = 100

// modeOption is an enrolment mode as the selects offer it.
type modeOption struct{ Value, Label string }

var enrollmentModes = []modeOption{
	{organization.ManualInvitation, "Manual invitation (admins invite)"},
	{organization.AutomaticInvitation, "Automatic invitation"},
	{organization.AutomaticSuggestion, "Automatic suggestion (users ask to join)"},
}

// orgDomains reads the organization's domains into its page.
func (d *Dashboard) orgDomains(r *http.Request, data *orgData) error {
	list, total, err := d.Organizations.Store.ListDomains(r.Context(),
		organization.DomainQuery{OrganizationID: data.Org.ID, Limit: maxDomainsShown})
	if err != nil {
		return err
	}
	data.Domains, data.DomainsTotal, data.Modes = list, total, enrollmentModes
	return nil
}

// addOrgDomain adds a verified domain: the operator vouches for it, as
// the Backend API's caller does by default.
func (d *Dashboard) addOrgDomain(w http.ResponseWriter, r *http.Request) error {
	name, mode := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("enrollment_mode")
	verified := true
	dom, err := d.Organizations.AddDomain(r.Context(), r.PathValue("id"),
		organization.DomainParams{Name: &name, EnrollmentMode: &mode, Verified: &verified}, true)
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+dom.OrganizationID, "added")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) {
		data.DomainName, data.DomainMode, data.DomainsError = name, mode, msg
	})
}

// updateOrgDomain changes a domain's enrolment mode and, for one still
// unverified (added through the Frontend API, its code not yet
// entered), lets the operator vouch for it: only a verified domain may
// enrol users.
func (d *Dashboard) updateOrgDomain(w http.ResponseWriter, r *http.Request) error {
	mode := r.PostForm.Get("enrollment_mode")
	p := organization.DomainParams{EnrollmentMode: &mode}
	// Unticked, the box is not sent: the dashboard never unverifies.
	if r.PostForm.Get("verified") == "true" {
		yes := true
		p.Verified = &yes
	}
	// The path holds the organization's ID (the page's forms post it),
	// which the domain must belong to.
	dom, err := d.Organizations.UpdateDomain(r.Context(), r.PathValue("id"), r.PathValue("domain_id"), p)
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+dom.OrganizationID, "saved")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.DomainsError = msg })
}

// deleteOrgDomain removes a domain; users it enrolled stay members.
func (d *Dashboard) deleteOrgDomain(w http.ResponseWriter, r *http.Request) error {
	dom, err := d.Organizations.RemoveDomain(r.Context(), r.PathValue("id"), r.PathValue("domain_id"))
	if err == nil {
		return back(w, r, "/dashboard/organizations/"+dom.OrganizationID, "deleted")
	}
	return d.refuseOrgForm(w, r, err, func(data *orgData, msg string) { data.DomainsError = msg })
}
