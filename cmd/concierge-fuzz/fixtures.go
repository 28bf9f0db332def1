package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// fixtures are real resources made before (and again during) the run,
// so that mutated requests reach handlers with IDs that exist rather
// than stopping at a 404. Pools are keyed by wildcard name
// ("organization_id") or, for a bare {id}, by the segment before it
// ("sign_ups").
type fixtures struct {
	mu    sync.RWMutex
	pools map[string][]string
	// clientToken is a native client with a signed-in session; signUpToken
	// a client in the middle of a sign-up and a sign-in.
	clientToken, signUpToken string
	testingToken             string
	// operatorCookie and csrf are an operator's dashboard session, if
	// the run was given an operator account.
	operatorCookie, csrf string
	made                 int // resources made, for the summary
	// failed are the set-up's own requests answered ≥ 500: they count
	// as the run's failures (a set-up racing the run's deletions found
	// one).
	failed []failure
}

func (f *fixtures) add(id string, keys ...string) {
	if id == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.made++
	for _, k := range keys {
		p := append(f.pools[k], id)
		if len(p) > 8 { // keep the newest: older ones may have been deleted
			p = p[len(p)-8:]
		}
		f.pools[k] = p
	}
}

// pool returns a copy of the IDs under key.
func (f *fixtures) pool(key string) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]string(nil), f.pools[key]...)
}

func (f *fixtures) tokens() (client, signUp, testing, cookie, csrf string) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.clientToken, f.signUpToken, f.testingToken, f.operatorCookie, f.csrf
}

// setup makes one round of resources; round keeps names unique across
// rounds. What fails is skipped: the run goes on with what exists.
func (f *fixtures) setup(ctx context.Context, cfg *config, round int) {
	s := &setupClient{ctx: ctx, cfg: cfg, fx: f, http: &http.Client{Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	// The run's nonce keeps names apart from an earlier run's on the
	// same server.
	tag := fmt.Sprintf("fz%d-%s-%d", cfg.seed, cfg.nonce, round)
	if cfg.appOrigin != "" {
		// The run changes the instance's settings: the browser-like
		// calls need their origin back.
		s.bapi("PATCH", "/v1/instance", map[string]any{"allowed_origins": []string{cfg.appOrigin}})
	}
	mail := func(who string) string { return who + "-" + tag + "@example.com" }
	var users []string
	for _, who := range []string{"owner", "member"} {
		u := s.bapi("POST", "/v1/users", map[string]any{"email_address": []string{mail(who)}, "password": "fuzz-" + tag + "-Passw0rd!",
			"first_name": "Fuzz", "last_name": who, "public_metadata": map[string]any{"fuzz": true}})
		users = append(users, str(u, "id"))
		f.add(str(u, "id"), "user_id", "users")
		if emails, _ := u["email_addresses"].([]any); len(emails) > 0 {
			em, _ := emails[0].(map[string]any)
			f.add(str(em, "id"), "identifier_id", "email_addresses", "email_address_id")
		}
	}
	owner, member := users[0], users[1]
	org := str(s.bapi("POST", "/v1/organizations", map[string]any{"name": "Fuzz " + tag, "created_by": owner}), "id")
	f.add(org, "organization_id", "organizations")
	if org != "" {
		s.bapi("POST", "/v1/organizations/"+org+"/memberships", map[string]any{"user_id": member, "role": "org:member"})
		f.add(str(s.bapi("POST", "/v1/organizations/"+org+"/invitations", map[string]any{"email_address": mail("orginvite"),
			"role": "org:member", "inviter_user_id": owner}), "id"), "invitation_id")
		f.add(str(s.bapi("POST", "/v1/organizations/"+org+"/domains", map[string]any{"name": tag + ".example.com",
			"enrollment_mode": "automatic_invitation", "verified": true}), "id"), "domain_id")
	}
	f.add(str(s.bapi("POST", "/v1/invitations", map[string]any{"email_address": mail("invite"), "ignore_existing": true}), "id"), "invitation_id", "invitations")
	f.add(str(s.bapi("POST", "/v1/allowlist_identifiers", map[string]any{"identifier": mail("allow")}), "id"), "identifier_id", "allowlist")
	f.add(str(s.bapi("POST", "/v1/blocklist_identifiers", map[string]any{"identifier": mail("block")}), "id"), "identifier_id", "blocklist")
	f.add(str(s.bapi("POST", "/v1/waitlist_entries", map[string]any{"email_address": mail("wait")}), "id"), "waitlist_entry_id", "waitlist")
	f.add(str(s.bapi("POST", "/v1/redirect_urls", map[string]any{"url": "https://" + tag + ".example.com/callback"}), "id"), "redirect_urls")
	tpl := s.bapi("POST", "/v1/jwt_templates", map[string]any{"name": "fuzz_" + strings.ReplaceAll(tag, "-", "_"), "claims": map[string]any{"fuzz": "{{user.id}}"}})
	f.add(str(tpl, "id"), "template_id")
	f.add(str(tpl, "name"), "template")
	key := strings.ReplaceAll(tag, "-", "_")
	f.add(str(s.bapi("POST", "/v1/organization_permissions", map[string]any{"name": "Fuzz " + tag, "key": "org:fuzz" + key + ":run",
		"description": "made by the fuzzer"}), "id"), "permission_id", "permissions")
	f.add(str(s.bapi("POST", "/v1/organization_roles", map[string]any{"name": "Fuzz " + tag, "key": "org:fuzz" + key,
		"description": "made by the fuzzer"}), "id"), "role_id", "roles")
	// Disabled, so that the run's changes are not sent anywhere.
	f.add(str(s.bapi("POST", "/v1/webhook_endpoints", map[string]any{"url": "https://" + tag + ".example.com/webhook", "disabled": true}), "id"), "endpoint_id", "webhooks")
	for _, kind := range []string{"/v1/actor_tokens", "/v1/sign_in_tokens"} {
		f.add(str(s.bapi("POST", kind, map[string]any{"user_id": owner, "actor": map[string]any{"sub": member}}), "id"), "token_id")
	}
	for _, d := range list(s.bapi("GET", "/v1/domains", nil)) {
		f.add(str(d, "id"), "domain_id")
	}
	f.add(str(s.bapi("POST", "/v1/testing_tokens", nil), "token"), "testing_token")

	f.signIn(ctx, cfg, member)
	// Another native client, in the middle of a sign-up and of a sign-in.
	out, tok2 := s.fapi("", "/v1/client/sign_ups", url.Values{"email_address": {mail("signup")}, "password": {"fuzz-" + tag + "-Passw0rd!"}})
	resp, _ := out["response"].(map[string]any)
	f.add(str(resp, "id"), "sign_up_id", "sign_ups")
	out, _ = s.fapi(tok2, "/v1/client/sign_ins", url.Values{"identifier": {mail("owner")}})
	resp, _ = out["response"].(map[string]any)
	f.add(str(resp, "id"), "sign_ins")

	cookie, csrf := s.operator()
	f.mu.Lock()
	if tok2 != "" {
		f.signUpToken = tok2
	}
	if t := f.pools["testing_token"]; len(t) > 0 {
		f.testingToken = t[len(t)-1]
	}
	if cookie != "" {
		f.operatorCookie, f.csrf = cookie, csrf
	}
	f.mu.Unlock()
}

// setupClient makes the fixtures through the APIs, as a client would.
type setupClient struct {
	ctx  context.Context
	cfg  *config
	http *http.Client
	fx   *fixtures
}

// signIn signs a new native client in as user with a sign-in token,
// returning its client token: the run's frontend calls end sessions and
// delete clients, so this is redone often.
func (f *fixtures) signIn(ctx context.Context, cfg *config, user string) string {
	s := &setupClient{ctx: ctx, cfg: cfg, fx: f, http: &http.Client{Timeout: cfg.timeout}}
	ticket := str(s.bapi("POST", "/v1/sign_in_tokens", map[string]any{"user_id": user}), "token")
	out, tok := s.fapi("", "/v1/client/sign_ins", url.Values{"strategy": {"ticket"}, "ticket": {ticket}})
	client, _ := out["client"].(map[string]any)
	f.add(str(client, "id"), "client_id")
	for _, ss := range list(client["sessions"]) {
		f.add(str(ss, "id"), "session_id", "sessions")
	}
	resp, _ := out["response"].(map[string]any)
	f.add(str(resp, "id"), "sign_ins")
	if tok != "" && ticket != "" {
		f.mu.Lock()
		f.clientToken = tok
		f.mu.Unlock()
	}
	return tok
}

// resignIn signs a client in again as the newest user that still
// exists, and the operator too (the run signs out of the dashboard).
func (f *fixtures) resignIn(ctx context.Context, cfg *config) {
	s := &setupClient{ctx: ctx, cfg: cfg, fx: f, http: &http.Client{Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if cookie, csrf := s.operator(); cookie != "" {
		f.mu.Lock()
		f.operatorCookie, f.csrf = cookie, csrf
		f.mu.Unlock()
	}
	users := f.pool("user_id")
	for i := len(users) - 1; i >= 0 && i >= len(users)-3; i-- {
		if f.signIn(ctx, cfg, users[i]) != "" {
			return
		}
	}
}

func (s *setupClient) send(req *http.Request) (*http.Response, map[string]any) {
	res, err := s.http.Do(req.WithContext(s.ctx))
	if err != nil {
		return nil, nil
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode >= 500 && s.fx != nil {
		q := &request{method: req.Method, target: req.URL.RequestURI(), route: "set-up", mutations: []string{"set-up, not mutated"}}
		s.fx.mu.Lock()
		s.fx.failed = append(s.fx.failed, failure{request: q, outcome: outcome{status: res.StatusCode, body: raw}})
		s.fx.mu.Unlock()
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return res, m
}

// bapi calls the Backend API and returns the decoded answer (nil on
// failure).
func (s *setupClient) bapi(method, path string, body any) map[string]any {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.cfg.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.cfg.secretKey)
	req.Header.Set("Content-Type", "application/json")
	res, m := s.send(req)
	if res == nil || res.StatusCode >= 300 {
		return nil
	}
	return m
}

// fapi posts a form to the Frontend API as a native app with client
// token tok ("" for none), returning the answer and the client token.
func (s *setupClient) fapi(tok, path string, form url.Values) (map[string]any, string) {
	req, _ := http.NewRequest("POST", s.cfg.url+path+"?_is_native=1", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	res, m := s.send(req)
	if res == nil {
		return nil, tok
	}
	if t := res.Header.Get("Authorization"); t != "" {
		tok = t
	}
	return m, tok
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// operator signs in to the dashboard with the run's operator account
// (setting the dashboard up with it first if it has no operator yet),
// returning the session cookie and its CSRF token.
func (s *setupClient) operator() (cookie, csrf string) {
	if s.cfg.operatorEmail == "" {
		return "", ""
	}
	form := url.Values{"email": {s.cfg.operatorEmail}, "password": {s.cfg.operatorPassword}}
	for _, path := range []string{"/dashboard/sign-in", "/dashboard/setup"} {
		if path == "/dashboard/setup" {
			form.Set("secret_key", s.cfg.secretKey)
		}
		req, _ := http.NewRequest("POST", s.cfg.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.cfg.origin())
		res, _ := s.send(req)
		if res == nil {
			return "", ""
		}
		for _, c := range res.Cookies() {
			if c.Name == "__concierge_operator" && c.Value != "" {
				cookie = c.Name + "=" + c.Value
			}
		}
		if cookie != "" {
			break
		}
	}
	if cookie == "" {
		return "", ""
	}
	req, _ := http.NewRequest("GET", s.cfg.url+"/dashboard/users", nil)
	req.Header.Set("Cookie", cookie)
	res, err := s.http.Do(req.WithContext(s.ctx))
	if err != nil {
		return "", ""
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if m := csrfField.FindSubmatch(page); m != nil {
		csrf = string(m[1])
	}
	return cookie, csrf
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// list returns the objects of a JSON array, or of a {"data": [...]} list.
func list(v any) []map[string]any {
	if m, ok := v.(map[string]any); ok {
		v = m["data"]
	}
	var out []map[string]any
	arr, _ := v.([]any)
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
