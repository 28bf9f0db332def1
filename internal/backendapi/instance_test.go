package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/instancesettings"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// TestInstance: GET and PATCH /v1/instance through clerk-sdk-go and raw
// requests: the instance's id and origins, the support address reaching
// the environment's display_config, fields without behaviour accepted,
// and bad values refused with 422 and nothing changed.
func TestInstance(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		is := instancesettings.NewClient(e.sdkConfig())

		getInstance := func() map[string]any {
			t.Helper()
			st, body := e.do("GET", "/v1/instance", nil)
			var out map[string]any
			if st != 200 || json.Unmarshal(body, &out) != nil {
				t.Fatalf("GET /v1/instance: %d %s", st, body)
			}
			return out
		}
		got := getInstance()
		if got["object"] != "instance" || !strings.HasPrefix(got["id"].(string), "ins_") || got["id"] != e.app.API.Webhooks.InstanceID ||
			got["environment_type"] != "development" || len(got["allowed_origins"].([]any)) != 1 || got["allowed_origins"].([]any)[0] != appOrigin {
			t.Fatalf("instance: %v", got)
		}

		if err := is.Update(ctx, &instancesettings.UpdateParams{SupportEmail: clerk.String("help@example.com"),
			TestMode: clerk.Bool(true), HIBP: clerk.Bool(true), EnhancedEmailDeliverability: clerk.Bool(false),
			ClerkJSVersion: clerk.String("5"), URLBasedSessionSyncing: clerk.Bool(true), CookielessDev: clerk.Bool(true),
			DevelopmentOrigin: clerk.String("http://localhost:3000")}); err != nil {
			t.Fatal(err)
		}
		dc := e.browser().ok("GET", "/v1/environment", nil)["display_config"].(map[string]any)
		if dc["support_email"] != "help@example.com" {
			t.Fatalf("display_config.support_email: %v", dc["support_email"])
		}
		// allowed_origins is not in clerk-sdk-go v2.4.2; @clerk/backend
		// sends it (instance.mjs), as this request does.
		if st, body := e.do("PATCH", "/v1/instance", map[string]any{"allowed_origins": []string{appOrigin, "https://app.example.com/"}}); st != 204 || len(body) != 0 {
			t.Fatalf("PATCH allowed_origins: %d %s", st, body)
		}
		if o := getInstance()["allowed_origins"].([]any); len(o) != 2 || o[1] != "https://app.example.com" {
			t.Fatalf("allowed_origins: %v", o)
		}

		err := is.Update(ctx, &instancesettings.UpdateParams{SupportEmail: clerk.String("not an address")})
		apiErr(t, err, 422, "form_param_format_invalid")
		err = is.Update(ctx, &instancesettings.UpdateParams{DevelopmentOrigin: clerk.String("javascript:alert(1)")})
		apiErr(t, err, 422, "form_param_format_invalid")
		for _, bad := range []string{`{"allowed_origins":["ftp://x.example"]}`, `{"allowed_origins":["https://a.example,https://b.example"]}`,
			`{"allowed_origins":"https://a.example"}`, `{"test_mode":"yes"}`, `{"support_email":7}`} {
			st, body := e.do("PATCH", "/v1/instance", bad)
			envelope(t, st, body, 422, "form_param_format_invalid")
		}
		st, body := e.do("PATCH", "/v1/instance", `{"support_email":`)
		if st != 400 && st != 422 {
			t.Fatalf("malformed body: %d %s", st, body)
		}
		if o := getInstance()["allowed_origins"].([]any); len(o) != 2 {
			t.Fatalf("a refused PATCH changed allowed_origins: %v", o)
		}
		// An empty support_email removes it.
		if err := is.Update(ctx, &instancesettings.UpdateParams{SupportEmail: clerk.String("")}); err != nil {
			t.Fatal(err)
		}
		if dc := e.browser().ok("GET", "/v1/environment", nil)["display_config"].(map[string]any); dc["support_email"] != nil {
			t.Fatalf("support_email after removal: %v", dc["support_email"])
		}
	})
}

// TestInstanceRestrictions: PATCH /v1/instance/restrictions through
// clerk-sdk-go turns the restrictions on and off, and sign-up follows:
// subaddresses and disposable domains refused only while on, the
// blocklist applied only while on, the allowlist the restricted mode.
func TestInstanceRestrictions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		ctx := context.Background()
		is := instancesettings.NewClient(e.sdkConfig())
		signUp := func(email string) url.Values { return url.Values{"email_address": {email}, "password": {pw}} }

		// Off by default: both sign up.
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("ada+news@example.com"))
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("ada@mailinator.com"))

		r, err := is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{
			BlockEmailSubaddresses: clerk.Bool(true), BlockDisposableEmailDomains: clerk.Bool(true)})
		if err != nil || r.Object != "instance_restrictions" || !r.BlockEmailSubaddresses || !r.BlockDisposableEmailDomains ||
			!r.Blocklist || r.Allowlist || r.IgnoreDotsForGmailAddresses {
			t.Fatalf("restrictions: %+v %v", r, err)
		}
		for _, email := range []string{"bob+news@example.com", "bob=x@example.com", "bob#1@example.com", "bob@mailinator.com", "bob@eu.yopmail.com"} {
			er := e.browser().fails("POST", "/v1/client/sign_ups", signUp(email), 403, "not_allowed_access")
			if er["meta"].(map[string]any)["param_name"] != "email_address" {
				t.Errorf("%s: %v", email, er)
			}
		}
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("bob@example.com"))
		// Setting the address later is refused too.
		b := e.browser()
		su := b.ok("POST", "/v1/client/sign_ups", url.Values{"password": {pw}})["response"].(map[string]any)
		b.fails("PATCH", "/v1/client/sign_ups/"+su["id"].(string), url.Values{"email_address": {"carol+1@example.com"}}, 403, "not_allowed_access")

		r, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{
			BlockEmailSubaddresses: clerk.Bool(false), BlockDisposableEmailDomains: clerk.Bool(false)})
		if err != nil || r.BlockEmailSubaddresses || r.BlockDisposableEmailDomains {
			t.Fatalf("restrictions off: %+v %v", r, err)
		}
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("bob+news@example.com"))
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("bob@mailinator.com"))

		// The blocklist applies only while on.
		bl := blocklistidentifier.NewClient(e.sdkConfig())
		if _, err := bl.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("*@spam.example")}); err != nil {
			t.Fatal(err)
		}
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("x@spam.example"), 403, "not_allowed_access")
		if r, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Blocklist: clerk.Bool(false)}); err != nil || r.Blocklist {
			t.Fatalf("blocklist off: %+v %v", r, err)
		}
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("x@spam.example"))
		if _, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Blocklist: clerk.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("y@spam.example"), 403, "not_allowed_access")

		// The allowlist is the restricted sign-up mode.
		if r, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Allowlist: clerk.Bool(true)}); err != nil || !r.Allowlist {
			t.Fatalf("allowlist on: %+v %v", r, err)
		}
		if mode, _ := e.app.Settings.Mode(ctx); mode != "restricted" {
			t.Fatalf("sign-up mode %q with the allowlist on", mode)
		}
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("stranger@example.org"), 403, "not_allowed_access")
		if r, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{Allowlist: clerk.Bool(false)}); err != nil || r.Allowlist {
			t.Fatalf("allowlist off: %+v %v", r, err)
		}
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("stranger@example.org"))

		// Bad input.
		_, err = is.UpdateRestrictions(ctx, &instancesettings.UpdateRestrictionsParams{IgnoreDotsForGmailAddresses: clerk.Bool(true)})
		apiErr(t, err, 422, "form_param_value_invalid")
		st, body := e.do("PATCH", "/v1/instance/restrictions", `{"blocklist":"no"}`)
		envelope(t, st, body, 422, "form_param_format_invalid")
		st, body = e.do("GET", "/v1/instance/restrictions", nil)
		envelope(t, st, body, 405, "method_not_allowed")
	})
}

// TestInstanceOrganizationSettings: GET and PATCH
// /v1/instance/organization_settings map onto the organization settings;
// the creator's role is given by key or id and must be an admin role.
func TestInstanceOrganizationSettings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		is := instancesettings.NewClient(e.sdkConfig())

		st, body := e.do("GET", "/v1/instance/organization_settings", nil)
		var got map[string]any
		if st != 200 || json.Unmarshal(body, &got) != nil || got["object"] != "organization_settings" || got["enabled"] != false ||
			got["creator_role"] != "org:admin" || got["admin_delete_enabled"] != true || got["domains_enabled"] != false ||
			got["slug_disabled"] != false || got["domains_default_role"] != "org:member" || got["max_allowed_memberships"] != 0.0 {
			t.Fatalf("GET: %d %s", st, body)
		}

		s, err := is.UpdateOrganizationSettings(ctx, &instancesettings.UpdateOrganizationSettingsParams{Enabled: clerk.Bool(true),
			MaxAllowedMemberships: clerk.Int64(5), AdminDeleteEnabled: clerk.Bool(false), DomainsEnabled: clerk.Bool(true),
			CreatorRoleID: clerk.String("org:admin"), DomainsEnrollmentModes: &[]string{"automatic_invitation"},
			DomainsDefaultRoleID: clerk.String("org:member")})
		if err != nil || s.Object != "organization_settings" || !s.Enabled || s.MaxAllowedMemberships != 5 || s.AdminDeleteEnabled ||
			!s.DomainsEnabled || s.CreatorRole != "org:admin" || len(s.DomainsEnrollmentModes) != 3 {
			t.Fatalf("PATCH: %+v %v", s, err)
		}
		live, _ := e.app.Settings.Live(ctx)
		if !live.Organizations || live.OrganizationMaxMemberships != 5 || live.OrganizationAdminDelete || !live.OrganizationDomains {
			t.Fatalf("settings: %+v", live)
		}
		// A new organization starts with the settings.
		org := map[string]any{}
		if st, body := e.do("POST", "/v1/organizations", map[string]any{"name": "Acme"}); st != 200 || json.Unmarshal(body, &org) != nil ||
			org["max_allowed_memberships"] != 5.0 || org["admin_delete_enabled"] != false {
			t.Fatalf("new organization: %d %s", st, body)
		}

		// The creator's role by id.
		st, body = e.do("GET", "/v1/organization_roles", nil)
		var roles struct {
			Data []struct{ ID, Key string } `json:"data"`
		}
		if st != 200 || json.Unmarshal(body, &roles) != nil {
			t.Fatalf("roles: %d %s", st, body)
		}
		var adminID string
		for _, r := range roles.Data {
			if r.Key == "org:admin" {
				adminID = r.ID
			}
		}
		if s, err := is.UpdateOrganizationSettings(ctx, &instancesettings.UpdateOrganizationSettingsParams{CreatorRoleID: clerk.String(adminID)}); err != nil || s.CreatorRole != "org:admin" {
			t.Fatalf("creator role by id %q: %+v %v", adminID, s, err)
		}

		// Bad input changes nothing.
		for _, c := range []struct {
			p      instancesettings.UpdateOrganizationSettingsParams
			status int
			code   string
		}{
			{instancesettings.UpdateOrganizationSettingsParams{CreatorRoleID: clerk.String("org:member"), Enabled: clerk.Bool(false)}, 422, "form_param_value_invalid"},
			{instancesettings.UpdateOrganizationSettingsParams{CreatorRoleID: clerk.String("role_nope")}, 404, "resource_not_found"},
			{instancesettings.UpdateOrganizationSettingsParams{DomainsDefaultRoleID: clerk.String("org:nope")}, 404, "resource_not_found"},
			{instancesettings.UpdateOrganizationSettingsParams{MaxAllowedMemberships: clerk.Int64(-1)}, 422, "form_param_format_invalid"},
			{instancesettings.UpdateOrganizationSettingsParams{DomainsEnrollmentModes: &[]string{"bogus"}}, 422, "form_param_value_invalid"},
		} {
			_, err := is.UpdateOrganizationSettings(ctx, &c.p)
			apiErr(t, err, c.status, c.code)
		}
		st, body = e.do("PATCH", "/v1/instance/organization_settings", `{"max_allowed_memberships":"many"}`)
		envelope(t, st, body, 422, "form_param_format_invalid")
		if live, _ := e.app.Settings.Live(ctx); !live.Organizations || live.OrganizationMaxMemberships != 5 {
			t.Fatalf("a refused PATCH changed the settings: %+v", live)
		}
	})
}

// TestInstanceThroughNodeSDK runs testdata/node/instance.mjs: the
// instance API through @clerk/backend's InstanceAPI, success and 4xx.
func TestInstanceThroughNodeSDK(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend"))
	_, nodeErr := exec.LookPath("node")
	if statErr != nil || nodeErr != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatalf("CONCIERGE_TEST_NODE is set but node or @clerk/backend is missing (run npm install in %s)", dir)
		}
		t.Skip("node or @clerk/backend not installed (npm install in " + dir + ")")
	}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		cmd := exec.Command("node", "instance.mjs", e.url, testKey)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("node SDK check instance.mjs: %v\n%s", err, out)
		}
	})
}

// TestDisposableDomainsFile: CONCIERGE_DISPOSABLE_DOMAINS_FILE adds a
// domain to the shipped list and takes one off; the restrictions set
// from the environment apply from the start.
func TestDisposableDomainsFile(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		path := filepath.Join(t.TempDir(), "disposable.txt")
		if err := os.WriteFile(path, []byte("# ours\nthrowaway.example\n!mailinator.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, engine, withOrigins(appOrigin), func(c *envConfig) { c.opts.DisposableDomainsFile = path },
			withSettings(map[string]string{instance.BlockDisposableEmailDomains: "true", instance.BlockEmailSubaddresses: "true"}))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		signUp := func(email string) url.Values { return url.Values{"email_address": {email}, "password": {pw}} }
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("a@throwaway.example"), 403, "not_allowed_access")
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("a@yopmail.com"), 403, "not_allowed_access")
		e.browser().fails("POST", "/v1/client/sign_ups", signUp("a+b@example.com"), 403, "not_allowed_access")
		e.browser().ok("POST", "/v1/client/sign_ups", signUp("a@mailinator.com"))
	})
}
