package backendapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// orgClaimsChecked reads token with @clerk/backend (testdata/node/
// orgclaims.mjs): orgID "-" means no active organization.
func orgClaimsChecked(t *testing.T, e *env, tok, orgID, slug, role string, perms ...string) {
	t.Helper()
	dir := filepath.Join("testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend")); err != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatal("CONCIERGE_TEST_NODE is set but @clerk/backend is missing")
		}
		return // the claims were checked in Go; the SDK's reading needs node
	}
	cmd := exec.Command("node", "orgclaims.mjs", e.url, testKey, tok, orgID, slug, role, strings.Join(perms, ","))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("@clerk/backend on the token: %v\n%s", err, out)
	}
}

func tokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(raw, &c)
	return c
}

// TestOrganizationSessionToken: a session switched to an organization
// (POST /v1/client/sessions/{id}/touch with active_organization_id, as
// clerk-js's setActive does) mints tokens whose o claim @clerk/backend
// reads as orgId, orgSlug and orgRole, with has({role}); a role change
// shows in the next token, a removed member's next token has no o, and
// only a member may switch to an organization.
func TestOrganizationSessionToken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, mems := e.orgClients()
		ada := e.userWithPassword("ada@example.com")
		bob := e.plainUser("bob@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		other, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other"), CreatedBy: &bob})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		mint := func() string {
			out := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", nil)
			return out["jwt"].(string)
		}
		if c := tokenClaims(t, mint()); c["o"] != nil {
			t.Fatalf("o claim before switching: %v", c)
		}

		out := b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {org.ID}})
		if get(out, "response", "last_active_organization_id") != org.ID {
			t.Fatalf("touch: %v", out)
		}
		tok := mint()
		o, _ := tokenClaims(t, tok)["o"].(map[string]any)
		if o["id"] != org.ID || o["slg"] != "acme" || o["rol"] != "admin" {
			t.Fatalf("o claim: %v", o)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:admin")
		st, body := e.do("GET", "/v1/sessions/"+sid, nil)
		if st != 200 || !strings.Contains(string(body), `"last_active_organization_id":"`+org.ID+`"`) {
			t.Fatalf("Backend API session: %d %s", st, body)
		}

		// Bob becomes admin, Ada a member: her next token says so.
		if _, err := mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:admin")}); err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:member")}); err != nil {
			t.Fatal(err)
		}
		tok = mint()
		if o, _ := tokenClaims(t, tok)["o"].(map[string]any); o["rol"] != "member" {
			t.Fatalf("after the role change: %v", o)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:member")

		// Not a member of Other: no switching there.
		b.fails("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {other.ID}}, 404, "organization_not_found_or_unauthorized")
		b.fails("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {"org_nope"}}, 404, "organization_not_found_or_unauthorized")
		// By slug, as clerk-js may send it.
		if out := b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {"acme"}}); get(out, "response", "last_active_organization_id") != org.ID {
			t.Fatalf("touch by slug: %v", out)
		}

		// Removed: the next token has no o.
		if _, err := mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: ada}); err != nil {
			t.Fatal(err)
		}
		tok = mint()
		if c := tokenClaims(t, tok); c["o"] != nil {
			t.Fatalf("a removed member's token: %v", c)
		}
		orgClaimsChecked(t, e, tok, "-", "", "")

		// Back to the personal account.
		out = b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {""}})
		if v := get(out, "response", "last_active_organization_id"); v != nil {
			t.Fatalf("cleared: %v", v)
		}
	})
}

// TestFrontendOrganizations drives the Frontend API's organization routes
// as clerk-js calls them: a signed-in user creates an organization and is
// its admin, sees it on the user object and in /v1/me's lists, manages
// members; a member reads but cannot manage; a stranger learns nothing;
// leaving and deleting work within the rules. The same paths keep serving
// the Backend API to a secret key.
func TestFrontendOrganizations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, _ := e.orgClients()
		e.userWithPassword("ada@example.com")
		bobID := e.userWithPassword("bob@example.com")
		ada, bob := e.browser(), e.browser()
		ada.signIn("ada@example.com", pw)
		bob.signIn("bob@example.com", pw)

		// Off by default, as Clerk's: the environment says so and the
		// routes refuse; the dashboard setting turns them on.
		if env := ada.ok("GET", "/v1/environment", nil); get(env, "organization_settings", "enabled") != false {
			t.Fatalf("environment: %v", env["organization_settings"])
		}
		ada.fails("POST", "/v1/organizations", url.Values{"name": {"Too soon"}}, 403, "organization_not_enabled_in_instance")
		if err := e.app.Settings.Set(ctx, instance.Organizations, "true"); err != nil {
			t.Fatal(err)
		}
		if env := ada.ok("GET", "/v1/environment", nil); get(env, "organization_settings", "enabled") != true ||
			get(env, "user_settings", "actions", "create_organization") != true {
			t.Fatalf("environment after enabling: %v", env["organization_settings"])
		}

		out := ada.ok("POST", "/v1/organizations", url.Values{"name": {"Front Org"}})
		orgID, _ := get(out, "response", "id").(string)
		if !strings.HasPrefix(orgID, "org_") || get(out, "response", "slug") != "front-org" || get(out, "response", "private_metadata") != nil {
			t.Fatalf("create: %v", out)
		}
		me := ada.ok("GET", "/v1/me", nil)
		if get(me, "response", "organization_memberships", 0, "organization", "id") != orgID ||
			get(me, "response", "organization_memberships", 0, "role") != "org:admin" {
			t.Fatalf("user object: %v", get(me, "response", "organization_memberships"))
		}
		list := ada.ok("GET", "/v1/me/organization_memberships?paginated=true&limit=10", nil)
		if get(list, "response", "total_count") != float64(1) {
			t.Fatalf("my memberships: %v", list)
		}
		bob.fails("GET", "/v1/organizations/"+orgID, nil, 404, "organization_not_found_or_unauthorized")

		ada.ok("POST", "/v1/organizations/"+orgID+"/memberships", url.Values{"user_id": {bobID}, "role": {"org:member"}})
		members := bob.ok("GET", "/v1/organizations/"+orgID+"/memberships?paginated=true&role=org:admin,org:member", nil)
		if get(members, "response", "total_count") != float64(2) || get(members, "response", "data", 1, "public_user_data", "identifier") != "bob@example.com" {
			t.Fatalf("members: %v", members)
		}
		bob.fails("PATCH", "/v1/organizations/"+orgID, url.Values{"name": {"Mine now"}}, 403, "missing_organization_permission")
		bob.fails("PATCH", "/v1/organizations/"+orgID+"/memberships/"+bobID, url.Values{"role": {"org:admin"}}, 403, "missing_organization_permission")
		roles := bob.ok("GET", "/v1/organizations/"+orgID+"/roles", nil)
		if get(roles, "response", "total_count") != float64(2) || get(roles, "response", "data", 0, "key") != "org:admin" {
			t.Fatalf("roles: %v", roles)
		}
		up := ada.ok("PATCH", "/v1/organizations/"+orgID+"/memberships/"+bobID, url.Values{"role": {"org:admin"}})
		if get(up, "response", "role") != "org:admin" {
			t.Fatalf("promote: %v", up)
		}
		if got := ada.ok("PATCH", "/v1/organizations/"+orgID, url.Values{"name": {"Front Org 2"}}); get(got, "response", "name") != "Front Org 2" {
			t.Fatalf("rename: %v", got)
		}
		left := bob.ok("DELETE", "/v1/me/organization_memberships/"+orgID, nil)
		if get(left, "response", "deleted") != true {
			t.Fatalf("leave: %v", left)
		}
		// The Backend API on the same paths, with the secret key.
		if _, err := orgs.Update(ctx, orgID, &organization.UpdateParams{AdminDeleteEnabled: clerk.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		ada.fails("DELETE", "/v1/organizations/"+orgID, nil, 403, "organization_admin_delete_not_enabled")
		if _, err := orgs.Update(ctx, orgID, &organization.UpdateParams{AdminDeleteEnabled: clerk.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if del := ada.ok("DELETE", "/v1/organizations/"+orgID, nil); get(del, "response", "deleted") != true {
			t.Fatalf("delete: %v", del)
		}
		if _, err := orgs.Get(ctx, orgID); err == nil {
			t.Fatal("the organization survived its deletion")
		}
	})
}

// TestOrganizationShortcodes: a JWT template's and the custom session
// claims' {{org.…}} shortcodes read the session's active organization
// and the member's role; without one they are null (and || falls back).
func TestOrganizationShortcodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, _ := e.orgClients()
		ada := e.userWithPassword("ada@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada, PublicMetadata: rawJSON(`{"plan":"pro"}`)})
		if err != nil {
			t.Fatal(err)
		}
		e.call("POST", "/v1/jwt_templates", map[string]any{"name": "orgs", "claims": map[string]any{
			"org": "{{org.id || 'personal'}}", "slug": "{{org.slug}}", "role": "{{org.role}}", "plan": "{{org.public_metadata.plan}}",
			"perms": "{{org.membership_permissions}}", "label": "{{org.name}} ({{org.role}})"}}, 200)
		if err := e.app.Settings.Set(ctx, instance.SessionClaims, `{"org_name":"{{org.name}}"}`); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		claimsOf := func(path string) map[string]any {
			t.Helper()
			return tokenClaims(t, b.ok("POST", "/v1/client/sessions/"+sid+path, nil)["jwt"].(string))
		}
		if c := claimsOf("/tokens/orgs"); c["org"] != "personal" || c["slug"] != nil || c["label"] != " ()" {
			t.Fatalf("personal account: %v", c)
		}
		if c := claimsOf("/tokens"); c["org_name"] != nil {
			t.Fatalf("session claims, personal account: %v", c)
		}
		b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {org.ID}})
		c := claimsOf("/tokens/orgs")
		perms, _ := c["perms"].([]any)
		if c["org"] != org.ID || c["slug"] != "acme" || c["role"] != "org:admin" || c["plan"] != "pro" || len(perms) != 8 || c["label"] != "Acme (org:admin)" {
			t.Fatalf("in Acme: %v", c)
		}
		if c := claimsOf("/tokens"); c["org_name"] != "Acme" {
			t.Fatalf("session claims in Acme: %v", c)
		}
	})
}

// TestOrganizationSettings: the instance settings give new
// organizations their member bound, their creator's role and whether
// admins may delete them, decide whether users create organizations, and
// the environment tells clerk-js.
func TestOrganizationSettings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, mems := e.orgClients()
		for k, bad := range map[string]string{instance.OrganizationMaxMemberships: "-1", instance.OrganizationCreatorRole: "admin",
			instance.OrganizationAdminDelete: "maybe"} {
			if err := e.app.Settings.Set(ctx, k, bad); err == nil {
				t.Fatalf("%s=%s accepted", k, bad)
			}
		}
		e.call("POST", "/v1/organization_roles", map[string]any{"name": "Owner", "key": "org:owner",
			"permissions": []string{"org:sys_memberships:manage", "org:sys_memberships:read", "org:sys_profile:manage"}}, 200)
		for k, v := range map[string]string{instance.Organizations: "true", instance.OrganizationMaxMemberships: "5",
			instance.OrganizationCreatorRole: "org:owner", instance.OrganizationAdminDelete: "false"} {
			if err := e.app.Settings.Set(ctx, k, v); err != nil {
				t.Fatal(err)
			}
		}
		ada := e.userWithPassword("ada@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil || org.MaxAllowedMemberships != 5 || org.AdminDeleteEnabled {
			t.Fatalf("new organization: %v %+v", err, org)
		}
		ms, err := mems.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID})
		if err != nil || len(ms.OrganizationMemberships) != 1 || ms.OrganizationMemberships[0].Role != "org:owner" {
			t.Fatalf("creator's membership: %v %+v", err, ms)
		}
		b := e.browser()
		b.signIn("ada@example.com", pw)
		env := b.ok("GET", "/v1/environment", nil)
		if get(env, "organization_settings", "max_allowed_memberships") != float64(5) || get(env, "organization_settings", "creator_role") != "org:owner" ||
			get(env, "organization_settings", "actions", "admin_delete") != false || get(env, "user_settings", "actions", "create_organization") != true {
			t.Fatalf("environment: %v", env["organization_settings"])
		}
		// A creator role that cannot manage falls back to org:admin.
		if err := e.app.Settings.Set(ctx, instance.OrganizationCreatorRole, "org:member"); err != nil {
			t.Fatal(err)
		}
		out := b.ok("POST", "/v1/organizations", url.Values{"name": {"Second"}})
		if get(out, "response", "max_allowed_memberships") != float64(5) {
			t.Fatalf("frontend create: %v", out)
		}
		if me := b.ok("GET", "/v1/me", nil); get(me, "response", "organization_memberships", 0, "role") != "org:admin" {
			t.Fatalf("fallback creator role: %v", get(me, "response", "organization_memberships"))
		}
		if err := e.app.Settings.Set(ctx, instance.OrganizationCreate, "false"); err != nil {
			t.Fatal(err)
		}
		b.fails("POST", "/v1/organizations", url.Values{"name": {"Third"}}, 403, "not_allowed_access")
		if env := b.ok("GET", "/v1/environment", nil); get(env, "user_settings", "actions", "create_organization") != false {
			t.Fatalf("environment, creating off: %v", env["user_settings"])
		}
	})
}
