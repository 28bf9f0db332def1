package backendapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/domain"
	"github.com/clerk/clerk-sdk-go/v2/proxycheck"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/webhook"
)

// TestDomains: clerk-sdk-go lists the one primary domain, derived from
// the public URL; satellites are refused, the primary can be neither
// renamed nor deleted, unknown IDs are 404.
func TestDomains(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		dc := domain.NewClient(e.sdkConfig())
		u, _ := url.Parse(e.url)

		list, err := dc.List(ctx, &domain.ListParams{})
		if err != nil || list.TotalCount != 1 || len(list.Domains) != 1 {
			t.Fatalf("list: %+v %v", list, err)
		}
		d := list.Domains[0]
		if d.Object != "domain" || !strings.HasPrefix(d.ID, "dmn_") || d.Name != u.Hostname() || d.IsSatellite ||
			d.FrontendAPIURL != e.url || d.ProxyURL != nil {
			t.Fatalf("domain: %+v", d)
		}
		// The ID is stable: derived, not stored.
		if again, _ := dc.List(ctx, &domain.ListParams{}); again.Domains[0].ID != d.ID {
			t.Fatalf("ID changed: %s %s", d.ID, again.Domains[0].ID)
		}

		_, err = dc.Create(ctx, &domain.CreateParams{Name: clerk.String("sat.example.com"), IsSatellite: clerk.Bool(true)})
		apiErr(t, err, 422, "satellite_domains_not_supported")
		_, err = dc.Create(ctx, &domain.CreateParams{Name: clerk.String("other.example.com")})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = dc.Create(ctx, &domain.CreateParams{})
		apiErr(t, err, 422, "form_param_missing")

		same, err := dc.Update(ctx, d.ID, &domain.UpdateParams{Name: clerk.String(d.Name)})
		if err != nil || same.ID != d.ID {
			t.Fatalf("update to the same: %+v %v", same, err)
		}
		_, err = dc.Update(ctx, d.ID, &domain.UpdateParams{Name: clerk.String("renamed.example.com")})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = dc.Update(ctx, d.ID, &domain.UpdateParams{ProxyURL: clerk.String("https://app.example.com/__clerk")})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = dc.Update(ctx, "dmn_nope", &domain.UpdateParams{})
		apiErr(t, err, 404, "resource_not_found")

		_, err = dc.Delete(ctx, d.ID)
		apiErr(t, err, 400, "primary_domain_deletion_not_allowed")
		_, err = dc.Delete(ctx, "dmn_nope")
		apiErr(t, err, 404, "resource_not_found")
	})
}

// TestProxyChecks: a proxy in front of the Frontend API passes the
// check, a server that is not Concierge fails it; private addresses are
// refused unless the instance allows them (as webhook endpoints); bad
// input is 4xx.
func TestProxyChecks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		pc := proxycheck.NewClient(e.sdkConfig())
		list, err := domain.NewClient(e.sdkConfig()).List(ctx, &domain.ListParams{})
		if err != nil {
			t.Fatal(err)
		}
		domainID := list.Domains[0].ID

		// A proxy serving the Frontend API under /__clerk, as Clerk's
		// proxy guides set it up.
		target, _ := url.Parse(e.url)
		rp := httputil.NewSingleHostReverseProxy(target)
		proxy := httptest.NewServer(http.StripPrefix("/__clerk", rp))
		defer proxy.Close()
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"object":"environment","display_config":{"sign_in_url":"https://elsewhere.example/sign-in"}}`))
		}))
		defer other.Close()

		// Loopback is private: refused before any request.
		_, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID), ProxyURL: clerk.String(proxy.URL + "/__clerk")})
		apiErr(t, err, 422, "form_param_format_invalid")

		if err := e.app.Settings.Set(ctx, instance.WebhookAllowPrivate, "true"); err != nil {
			t.Fatal(err)
		}
		c, err := pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID), ProxyURL: clerk.String(proxy.URL + "/__clerk/")})
		if err != nil || c.Object != "proxy_check" || !c.Successful || c.DomainID != domainID || c.ProxyURL != proxy.URL+"/__clerk" ||
			c.LastRunAt == nil || *c.LastRunAt == 0 || c.ID == "" {
			t.Fatalf("through the proxy: %+v %v", c, err)
		}
		for _, bad := range []string{other.URL, proxy.URL + "/nothing-here", "http://127.0.0.1:1"} {
			c, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID), ProxyURL: clerk.String(bad)})
			if err != nil || c.Successful {
				t.Fatalf("%s: %+v %v", bad, c, err)
			}
		}

		// A proxy that never answers: the check gives up (the app's
		// client, with a shorter time-out than its 10 s).
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer hang.Close()
		e.app.API.Domains.Client = webhook.SafeClient(300*time.Millisecond, func(context.Context) bool { return true })
		began := time.Now()
		c, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID), ProxyURL: clerk.String(hang.URL)})
		if err != nil || c.Successful || time.Since(began) > 5*time.Second {
			t.Fatalf("hanging proxy: %+v %v after %s", c, err, time.Since(began))
		}

		_, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String("dmn_nope"), ProxyURL: clerk.String(proxy.URL)})
		apiErr(t, err, 404, "resource_not_found")
		_, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID)})
		apiErr(t, err, 422, "form_param_missing")
		_, err = pc.Create(ctx, &proxycheck.CreateParams{ProxyURL: clerk.String(proxy.URL)})
		apiErr(t, err, 422, "form_param_missing")
		for _, bad := range []string{"ftp://example.com", "javascript:alert(1)", "not a url", "https://u:p@example.com"} {
			_, err = pc.Create(ctx, &proxycheck.CreateParams{DomainID: clerk.String(domainID), ProxyURL: clerk.String(bad)})
			apiErr(t, err, 422, "form_param_format_invalid")
		}
	})
}

// TestRedirectsBadInput: malformed requests to the redirect URL, domain
// and proxy check routes get a 4xx and Clerk's envelope; without the
// secret key, 401.
func TestRedirectsBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		cases := []struct {
			method, path string
			body         any
			status       int
			code         string
		}{
			{"POST", "/v1/redirect_urls", `{"url":`, 400, "request_body_invalid"},
			{"POST", "/v1/redirect_urls", `{"url": 5}`, 422, "form_param_format_invalid"},
			{"POST", "/v1/redirect_urls", `{"url": "myapp://` + strings.Repeat("a", 2100) + `"}`, 422, "form_param_format_invalid"},
			{"POST", "/v1/redirect_urls", "", 422, "form_param_missing"},
			{"GET", "/v1/redirect_urls/ru_nope", nil, 404, "resource_not_found"},
			{"GET", "/v1/redirect_urls?paginated=maybe", nil, 422, "form_param_value_invalid"},
			{"PUT", "/v1/redirect_urls", nil, 405, "method_not_allowed"},
			{"POST", "/v1/domains", `{"is_satellite": "yes"}`, 422, "form_param_format_invalid"},
			{"PATCH", "/v1/domains/dmn_nope", `{"name": 5}`, 422, "form_param_format_invalid"},
			{"DELETE", "/v1/domains/dmn_nope", nil, 404, "resource_not_found"},
			{"POST", "/v1/proxy_checks", `{"domain_id": 5, "proxy_url": "https://x.example"}`, 422, "form_param_format_invalid"},
			{"POST", "/v1/proxy_checks", `[]`, 400, "request_body_invalid"},
		}
		for _, c := range cases {
			st, body := e.do(c.method, c.path, c.body)
			envelope(t, st, body, c.status, c.code)
		}
		res, err := http.Get(e.url + "/v1/redirect_urls")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Fatalf("without the secret key: %d", res.StatusCode)
		}
	})
}
