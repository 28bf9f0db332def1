package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/domain"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
)

type domainJSON struct {
	Object            string  `json:"object"`
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	IsSatellite       bool    `json:"is_satellite"`
	FrontendAPIURL    string  `json:"frontend_api_url"`
	AccountsPortalURL string  `json:"accounts_portal_url"`
	ProxyURL          *string `json:"proxy_url"`
	DevelopmentOrigin string  `json:"development_origin"`
	// CNAMETargets is empty: Concierge is served where its operator
	// points it, with no DNS records of Clerk's to add.
	CNAMETargets []struct{} `json:"cname_targets"`
}

func toDomainJSON(d *domain.Domain) domainJSON {
	return domainJSON{Object: "domain", ID: d.ID, Name: d.Name, FrontendAPIURL: d.FrontendAPIURL,
		AccountsPortalURL: d.AccountsPortalURL, CNAMETargets: []struct{}{}}
}

// listInstanceDomains is GET /v1/domains: the primary domain alone.
func (a *API) listInstanceDomains(w http.ResponseWriter, r *http.Request) error {
	d := a.Domains.Primary()
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: []domainJSON{toDomainJSON(&d)}, TotalCount: 1})
	return nil
}

func (a *API) createInstanceDomain(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Name        *string `json:"name"`
		ProxyURL    *string `json:"proxy_url"`
		IsSatellite *bool   `json:"is_satellite"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	satellite := p.IsSatellite != nil && *p.IsSatellite
	if p.Name == nil && !satellite {
		return errs.ParamMissing("name")
	}
	return a.Domains.Create(satellite)
}

func (a *API) updateInstanceDomain(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Name        *string `json:"name"`
		ProxyURL    *string `json:"proxy_url"`
		IsSecondary *bool   `json:"is_secondary"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	d, err := a.Domains.Update(r.PathValue("domain_id"), p.Name, p.ProxyURL)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toDomainJSON(d))
	return nil
}

func (a *API) deleteInstanceDomain(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	return a.Domains.Delete(r.PathValue("domain_id"))
}

type proxyCheckJSON struct {
	Object     string `json:"object"`
	ID         string `json:"id"`
	DomainID   string `json:"domain_id"`
	ProxyURL   string `json:"proxy_url"`
	Successful bool   `json:"successful"`
	LastRunAt  int64  `json:"last_run_at"`
	CreatedAt  int64  `json:"created_at"`
	UpdatedAt  int64  `json:"updated_at"`
}

// createProxyCheck is POST /v1/proxy_checks: whether proxy_url reaches
// this Frontend API.
func (a *API) createProxyCheck(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		DomainID *string `json:"domain_id"`
		ProxyURL *string `json:"proxy_url"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.DomainID == nil {
		return errs.ParamMissing("domain_id")
	}
	if p.ProxyURL == nil {
		return errs.ParamMissing("proxy_url")
	}
	c, err := a.Domains.CheckProxy(r.Context(), *p.DomainID, *p.ProxyURL)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, proxyCheckJSON{Object: "proxy_check", ID: c.ID, DomainID: c.DomainID, ProxyURL: c.ProxyURL,
		Successful: c.Successful, LastRunAt: c.LastRunAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
	return nil
}
