package clerkjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/token"
)

// orgKnown lists the organization calls the organization components are
// expected to make, with the body fields each may carry; the harness's
// known table holds the rest. Organization IDs in paths are *.
var orgKnown = map[string][]string{
	"POST /v1/organizations":                                {"name", "slug"},
	"GET /v1/organizations/*":                               {},
	"PATCH /v1/organizations/*":                             {"name", "slug"},
	"GET /v1/organizations/*/memberships":                   {},
	"GET /v1/organizations/*/roles":                         {},
	"GET /v1/me/organization_memberships":                   {},
	"GET /v1/me/organization_invitations":                   {},
	"GET /v1/me/organization_suggestions":                   {},
	"POST /v1/me/organization_suggestions/*/accept":         {},
	"GET /v1/organizations/*/invitations":                   {},
	"POST /v1/organizations/*/invitations/bulk":             {"email_address", "role"},
	"POST /v1/organizations/*/invitations/*/revoke":         {},
	"GET /v1/organizations/*/domains":                       {},
	"GET /v1/organizations/*/membership_requests":           {},
	"POST /v1/organizations/*/membership_requests/*/accept": {},
}

var orgIDSegment = regexp.MustCompile(`/(org|orginv|orgmem|orgdmn|orgsug|orgmemreq)_[A-Za-z0-9]+`)

// orgShape is shape for organization paths: their IDs become *.
func orgShape(key string) string { return orgIDSegment.ReplaceAllString(key, "/*") }

// isOrgPath tells the organization routes from the harness's.
func isOrgPath(key string) bool {
	return strings.Contains(key, " /v1/organizations") || strings.Contains(key, " /v1/me/organization_")
}

// organizations turns the instance's organizations on, and has the
// organization calls checked against orgKnown when the test ends, before
// the harness reports the calls its table does not know.
func (e *env) organizations() {
	e.t.Helper()
	if err := e.a.Settings.Set(context.Background(), instance.Organizations, "true"); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		// The page stops calling first: a list that failed keeps
		// retrying.
		chromedp.Do(e.ctx, chromedp.Navigate("about:blank"))
		for _, c := range e.takeOrgCalls() {
			e.t.Errorf("unexpected organization call: %s", c)
		}
	})
}

// takeOrgCalls moves the organization calls out of the recorder's
// unexpected list (its table knows only the other routes) and returns
// those orgKnown does not cover either, or whose fields it does not
// allow. Errors the calls met are the failures list's business.
func (e *env) takeOrgCalls() []string {
	rec := e.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var keep, odd []string
	for _, u := range rec.unexpected {
		method, rest, _ := strings.Cut(u, " ")
		path, detail, _ := strings.Cut(rest, " ")
		key := method + " " + path
		if !isOrgPath(key) {
			keep = append(keep, u)
			continue
		}
		key = orgShape(key)
		if strings.HasPrefix(detail, "answered ") {
			continue
		}
		allowed, ok := orgKnown[key]
		if !ok {
			odd = append(odd, orgShape(u))
			continue
		}
		for _, f := range strings.Split(detail, ",") {
			if f != "" && !slices.Contains(allowed, f) {
				odd = append(odd, key+": field "+f)
			}
		}
	}
	rec.unexpected = keep
	return odd
}

// failure is a request to Concierge that the browser saw fail: a 4xx or
// 5xx answer, or a response it refused (a CORS error) or never got.
type failure struct {
	id     network.RequestID
	method string
	url    string
	status int64
	reason string // when there was no usable response
	code   string // the Clerk error code of the body, if read
}

// String is the call and what it met, without the code.
func (f failure) String() string {
	u, _ := url.Parse(f.url)
	q := u.Query()
	for _, k := range []string{"__clerk_api_version", "_clerk_js_version", "_clerk_session_id", "_method", "_clerk_retry_attempt"} {
		q.Del(k)
	}
	path := orgShape(u.Path)
	if strings.HasPrefix(path, "/avatars/") {
		path = "/avatars/*"
	}
	s := f.method + " " + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	s += " ->"
	if f.status != 0 {
		s += fmt.Sprintf(" %d", f.status)
	}
	if f.reason != "" {
		s += " " + f.reason
	}
	return s
}

// failures keeps the requests to Concierge that failed in the page, from
// the browser's network events: what clerk-js (or an img of its
// components) asked for and did not get, whatever the components made of
// it. The server's view misses the answers the browser refused.
type failures struct {
	mu       sync.Mutex
	requests map[network.RequestID]*failure
	failed   []*failure
}

// watchFailures starts recording the tab's failed requests to Concierge.
func (e *env) watchFailures() *failures {
	e.t.Helper()
	fs := &failures{requests: map[network.RequestID]*failure{}}
	prefix := e.fapi + "/"
	err := chromedp.Listen(e.ctx, func(ev any) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.HasPrefix(ev.Request.URL, prefix) {
				m := ev.Request.Method
				if u, err := url.Parse(ev.Request.URL); err == nil && u.Query().Get("_method") != "" {
					m = strings.ToUpper(u.Query().Get("_method"))
				}
				fs.requests[ev.RequestID] = &failure{id: ev.RequestID, method: m, url: ev.Request.URL}
			}
		case *network.EventResponseReceived:
			if f := fs.requests[ev.RequestID]; f != nil {
				f.status = ev.Response.Status
				if f.status >= 400 {
					fs.failed = append(fs.failed, f)
				}
			}
		case *network.EventLoadingFailed:
			if f := fs.requests[ev.RequestID]; f != nil && !ev.Canceled {
				f.reason = ev.ErrorText
				if ev.CorsErrorStatus != nil {
					f.reason = "blocked by CORS (" + string(ev.CorsErrorStatus.CorsError) + ")"
				}
				if f.status < 400 {
					fs.failed = append(fs.failed, f)
				}
			}
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return fs
}

// report returns the failed calls, each once, with the error code of a
// body the browser still holds.
func (fs *failures) report(e *env) []string {
	fs.mu.Lock()
	var list []failure
	for _, f := range fs.failed {
		list = append(list, *f)
	}
	fs.mu.Unlock()
	// The same call once, with its code if any body of it was kept.
	byCall := map[string]string{}
	for _, f := range list {
		if f.reason == "" {
			ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
			body, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: f.id})
			cancel()
			var env struct {
				Errors []struct{ Code string } `json:"errors"`
			}
			if err == nil && json.Unmarshal(body.Body, &env) == nil && len(env.Errors) > 0 {
				f.code = env.Errors[0].Code
			}
		}
		if call := f.String(); byCall[call] == "" || f.code != "" {
			byCall[call] = strings.TrimSpace(call + " " + f.code)
		}
	}
	return slices.Sorted(maps.Values(byCall))
}

// check fails the test for each failed call, once.
func (fs *failures) check(e *env) {
	e.t.Helper()
	for _, f := range fs.report(e) {
		e.t.Errorf("failed request: %s", f)
	}
}

// orgClaim mints a session token through clerk-js and returns its o
// claim, after checking it with Concierge's keys.
func (e *env) orgClaim() *token.OrgClaim {
	e.t.Helper()
	_, claims := e.sessionToken()
	return claims.Org
}

// sessionToken mints a session token through clerk-js, skipping its
// cache, and returns it with its claims, checked with Concierge's keys.
func (e *env) sessionToken() (string, *token.Claims) {
	e.t.Helper()
	jwt := eval[string](e, `Clerk.session.getToken({skipCache: true})`)
	claims, err := e.a.Keys.Verify(jwt, e.fapi, time.Now())
	if err != nil {
		e.t.Fatalf("session token %q: %v", jwt, err)
	}
	if claims.Version != 2 {
		e.t.Fatalf("session token v %d, want 2", claims.Version)
	}
	return jwt, claims
}

// backendOrganizations lists the instance's organizations through the
// Backend API.
func (e *env) backendOrganizations() []struct{ ID, Name, Slug string } {
	e.t.Helper()
	var page struct {
		Data       []struct{ ID, Name, Slug string }
		TotalCount int64 `json:"total_count"`
	}
	e.backend("GET", "/v1/organizations", nil, &page)
	if int(page.TotalCount) != len(page.Data) {
		e.t.Fatalf("GET /v1/organizations: %+v", page)
	}
	return page.Data
}

// waitShown is waitJS for what a component renders, with the failed
// requests in its report: a component waiting on a call Concierge does
// not answer shows only a spinner.
func (e *env) waitShown(fs *failures, js string) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			e.shot("timeout")
			body, _ := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("body")))
			e.t.Fatalf("never shown: %s\npage text: %q\nfailed requests:\n  %s\nFrontend API calls: %v\nconsole:\n%s",
				js, body, strings.Join(fs.report(e), "\n  "), e.rec.seen(), e.consoleText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listCalls are clerk-js's list methods the organization components call
// while they render, as the components call them, with the path each
// asks for.
var listCalls = []struct{ js, path string }{
	{`Clerk.organization.getMemberships()`, "/v1/organizations/*/memberships"},
	{`Clerk.organization.getRoles()`, "/v1/organizations/*/roles"},
	{`Clerk.organization.getInvitations({status: ['pending']})`, "/v1/organizations/*/invitations"},
	{`Clerk.organization.getDomains()`, "/v1/organizations/*/domains"},
	{`Clerk.user.getOrganizationMemberships()`, "/v1/me/organization_memberships"},
	{`Clerk.user.getOrganizationInvitations({status: 'pending'})`, "/v1/me/organization_invitations"},
	{`Clerk.user.getOrganizationSuggestions({status: ['pending', 'accepted']})`, "/v1/me/organization_suggestions"},
}

// listErrors runs listCalls in the page and returns, by path, what each
// that did not give a page {data, total_count} threw or returned. A
// component given an answer it cannot read shows an empty list or a
// spinner, while the network sees a 200.
func (e *env) listErrors() map[string]string {
	e.t.Helper()
	var js strings.Builder
	js.WriteString(`(async () => { const out = {};`)
	for _, c := range listCalls {
		fmt.Fprintf(&js, `
		try { const r = await %s;
			if (!Array.isArray(r?.data) || typeof r.total_count !== 'number') out[%s] = 'not a page: ' + JSON.stringify(r).slice(0, 120);
		} catch (err) { out[%[2]s] = String(err?.errors?.[0]?.code || err?.message || err); }`, c.js, jsString(c.path))
	}
	js.WriteString(` return out; })()`)
	return eval[map[string]string](e, js.String())
}
