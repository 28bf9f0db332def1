package backendapi_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestMetrics: /metrics, behind its token, counts requests by route (IDs
// folded into {id}), method and status with latency histograms, and
// reports the outbox, rate-limit refusals and the database pools.
func TestMetrics(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin), withoutDispatcher(), func(c *envConfig) { c.opts.MetricsToken = "scrape-me" })
		scrape := func(token string) (int, string) {
			req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if st, _ := scrape(""); st != 401 {
			t.Fatalf("no token: %d", st)
		}
		if st, _ := scrape("wrong"); st != 401 {
			t.Fatalf("a wrong token: %d", st)
		}
		for _, id := range []string{"user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdA", "user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdB", "user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdC"} {
			if st, _ := e.do("GET", "/v1/users/"+id, nil); st != 404 {
				t.Fatalf("unknown user: %d", st)
			}
		}
		// An invitation queues an email (no dispatcher runs here).
		if st, b := e.do("POST", "/v1/invitations", map[string]any{"email_address": "inv@example.com"}); st != 200 {
			t.Fatalf("invitation: %d %s", st, b)
		}
		b := e.browser()
		for range 6 {
			b.call("POST", "/v1/client/sign_ins", url.Values{"identifier": {"nobody@example.com"}, "strategy": {"password"}, "password": {"whatever-123"}})
		}
		st, body := scrape("scrape-me")
		if st != 200 {
			t.Fatalf("scrape: %d", st)
		}
		value := func(series string) float64 {
			m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no series %s in:\n%s", series, body)
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
		if v := value(`concierge_http_requests_total{route="/v1/users/{id}",method="GET",status="404"}`); v != 3 {
			t.Errorf("404s on /v1/users/{id}: %v", v)
		}
		if v := value(`concierge_http_request_duration_seconds_count{route="/v1/users/{id}",method="GET"}`); v != 3 {
			t.Errorf("latency count: %v", v)
		}
		if v := value(`concierge_http_request_duration_seconds_bucket{route="/v1/users/{id}",method="GET",le="+Inf"}`); v != 3 {
			t.Errorf("latency +Inf bucket: %v", v)
		}
		if v := value(`concierge_http_requests_total{route="/v1/client/sign_ins",method="POST",status="429"}`); v != 1 {
			t.Errorf("429s: %v", v)
		}
		if v := value(`concierge_rate_limited_total{limit="fapi_sign_in"}`); v != 1 {
			t.Errorf("refusals: %v", v)
		}
		if v := value(`concierge_outbox_queued`); v != 1 {
			t.Errorf("queued: %v", v)
		}
		if v := value(`concierge_scrape_errors_total`); v != 0 {
			t.Errorf("scrape errors: %v", v)
		}
		if !strings.Contains(body, "concierge_db_connections_open{pool=") || strings.Contains(body, "user_2bV1") {
			t.Errorf("pools missing, or an ID in a label:\n%s", body)
		}
	})
}
