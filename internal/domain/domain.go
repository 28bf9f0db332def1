// Package domain answers Clerk's domains and proxy checks for a
// Concierge instance: one primary domain, the host of the public URL.
// Satellite domains are not supported, so the list is not stored.
package domain

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
)

// Domain is the instance's primary domain.
type Domain struct {
	ID   string
	Name string
	// FrontendAPIURL and AccountsPortalURL are both the public URL:
	// Concierge serves the Frontend API and the hosted pages together.
	FrontendAPIURL    string
	AccountsPortalURL string
}

// ProxyCheck is the outcome of one proxy check. Times are Unix
// milliseconds.
type ProxyCheck struct {
	ID         string
	DomainID   string
	ProxyURL   string
	Successful bool
	LastRunAt  int64
	CreatedAt  int64
	UpdatedAt  int64
}

// Service derives the primary domain and runs proxy checks.
type Service struct {
	PublicURL string
	// Client makes the proxy checks' requests: an address the caller
	// chose, so it must refuse private networks and time out
	// (webhook.SafeClient).
	Client *http.Client
	// CheckURL refuses a proxy URL before it is called (the webhook
	// endpoint rule).
	CheckURL func(ctx context.Context, raw string) error
	Now      func() time.Time
}

// idEpoch fixes the time part of the primary domain's ID, so the ID is
// the same in every process and after every restart.
var idEpoch = time.Unix(1400000000, 0)

// Primary returns the instance's domain.
func (s *Service) Primary() Domain {
	base := strings.TrimRight(s.PublicURL, "/")
	name := base
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		name = u.Hostname()
	}
	return Domain{ID: id.Derived(id.Domain, idEpoch, name), Name: name, FrontendAPIURL: base, AccountsPortalURL: base}
}

// Get returns the domain with this ID.
func (s *Service) Get(domainID string) (*Domain, error) {
	d := s.Primary()
	if domainID != d.ID {
		return nil, NotFound(domainID)
	}
	return &d, nil
}

// Create always refuses: a satellite needs a second instance domain
// Concierge does not serve, and Clerk only adds satellites.
func (s *Service) Create(isSatellite bool) error {
	if isSatellite {
		return errs.New(errs.Invalid, "satellite_domains_not_supported", "satellite domains are not supported",
			"Concierge serves one primary domain, the host of its public URL; satellite domains are not supported.").WithParam("is_satellite")
	}
	return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
		"Only satellite domains can be added, and Concierge does not support them.").WithParam("is_satellite")
}

// Update accepts only what the domain already is: its name comes from
// the public URL, and Concierge takes no proxy URL.
func (s *Service) Update(domainID string, name, proxyURL *string) (*Domain, error) {
	d, err := s.Get(domainID)
	if err != nil {
		return nil, err
	}
	if name != nil && *name != d.Name {
		return nil, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"The primary domain is the host of Concierge's public URL (CONCIERGE_PUBLIC_URL); change that instead.").WithParam("name")
	}
	if proxyURL != nil && *proxyURL != "" {
		return nil, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"Concierge does not store a proxy URL: serve it at its public URL, or set that to the proxy's.").WithParam("proxy_url")
	}
	return d, nil
}

// Delete refuses the primary domain, as Clerk refuses the active one.
func (s *Service) Delete(domainID string) error {
	if _, err := s.Get(domainID); err != nil {
		return err
	}
	return errs.New(errs.BadRequest, "primary_domain_deletion_not_allowed", "cannot delete the primary domain",
		"The primary domain of an instance cannot be deleted.")
}

// maxEnvironment bounds the body read from a proxy: an environment is a
// few kilobytes.
const maxEnvironment = 1 << 20

// CheckProxy asks proxyURL for the Frontend API's environment and
// reports whether the answer is this instance's: its hosted sign-in URL
// is under our public URL. A proxy that cannot be reached gives an
// unsuccessful check, not an error.
func (s *Service) CheckProxy(ctx context.Context, domainID, proxyURL string) (*ProxyCheck, error) {
	d, err := s.Get(domainID)
	if err != nil {
		return nil, err
	}
	proxyURL = strings.TrimRight(strings.TrimSpace(proxyURL), "/")
	if proxyURL == "" {
		return nil, errs.ParamMissing("proxy_url")
	}
	if err := s.CheckURL(ctx, proxyURL); err != nil {
		// The webhook rule speaks of url; the parameter here is proxy_url.
		if e, ok := errs.As(err); ok && e.Kind == errs.Invalid {
			return nil, errs.ParamFormat("proxy_url", strings.Replace(e.LongMessage, "url", "proxy_url", 1))
		}
		return nil, err
	}
	now := s.Now()
	ms := now.UnixMilli()
	return &ProxyCheck{ID: id.NewAt(id.ProxyCheck, now), DomainID: d.ID, ProxyURL: proxyURL,
		Successful: s.reaches(ctx, proxyURL), LastRunAt: ms, CreatedAt: ms, UpdatedAt: ms}, nil
}

func (s *Service) reaches(ctx context.Context, proxyURL string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, proxyURL+"/v1/environment", nil)
	if err != nil {
		return false
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var env struct {
		Object        string `json:"object"`
		DisplayConfig struct {
			SignInURL string `json:"sign_in_url"`
		} `json:"display_config"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxEnvironment)).Decode(&env); err != nil {
		return false
	}
	return env.Object == "environment" && env.DisplayConfig.SignInURL == strings.TrimRight(s.PublicURL, "/")+"/sign-in"
}

// NotFound is the error for an unknown domain ID.
func NotFound(domainID string) error {
	return errs.ResourceNotFound("Domain not found", "No domain was found with id "+domainID)
}
