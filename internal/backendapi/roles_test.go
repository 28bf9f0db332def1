package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// call sends a Backend API request and decodes the answer.
func (e *env) call(method, path string, body any, wantStatus int) map[string]any {
	e.t.Helper()
	st, raw := e.do(method, path, body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if st != wantStatus {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, st, raw, wantStatus)
	}
	return out
}

func errCode(out map[string]any) any { return get(out, "errors", 0, "code") }

// TestOrganizationRoles: custom permissions and roles through the
// Backend API, their rules (keys, system permissions, roles in use,
// default roles), and the session token carrying a member's custom
// permissions packed as Clerk packs them, read by @clerk/backend's has().
func TestOrganizationRoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, mems := e.orgClients()

		roles := e.call("GET", "/v1/organization_roles?order_by=%2Bcreated_at", nil, 200)
		if roles["total_count"] != float64(2) || get(roles, "data", 0, "key") != "org:admin" || get(roles, "data", 0, "is_creator_eligible") != true ||
			get(roles, "data", 1, "key") != "org:member" || get(roles, "data", 1, "is_creator_eligible") != false {
			t.Fatalf("default roles: %v", roles)
		}
		perms := e.call("GET", "/v1/organization_permissions?limit=100", nil, 200)
		if perms["total_count"] != float64(8) || get(perms, "data", 0, "type") != "system" {
			t.Fatalf("system permissions: %v", perms)
		}

		read := e.call("POST", "/v1/organization_permissions", map[string]any{"name": "Read invoices", "key": "org:invoices:read"}, 200)
		write := e.call("POST", "/v1/organization_permissions", map[string]any{"name": "Write invoices", "key": "org:invoices:write", "description": "Edit them"}, 200)
		reports := e.call("POST", "/v1/organization_permissions", map[string]any{"name": "Read reports", "key": "org:reports:read"}, 200)
		if read["object"] != "permission" || read["type"] != "user" || write["description"] != "Edit them" {
			t.Fatalf("created permissions: %v %v", read, write)
		}
		for _, bad := range []map[string]any{{"name": "x", "key": "invoices:read"}, {"name": "x", "key": "org:Invoices:read"},
			{"name": "x", "key": "org:sys_profile:manage"}, {"name": "x", "key": "org:invoices"}, {"key": "org:a:b"}} {
			if out := e.call("POST", "/v1/organization_permissions", bad, 422); errCode(out) == nil {
				t.Fatalf("%v: %v", bad, out)
			}
		}
		if out := e.call("POST", "/v1/organization_permissions", map[string]any{"name": "again", "key": "org:invoices:read"}, 422); errCode(out) != "form_identifier_exists" {
			t.Fatalf("duplicate permission: %v", out)
		}
		if out := e.call("PATCH", "/v1/organization_permissions/perm_sys_profile_manage", map[string]any{"name": "mine"}, 400); errCode(out) != "system_permission_immutable" {
			t.Fatalf("changing a system permission: %v", out)
		}

		// A role given by permission IDs and keys alike.
		billing := e.call("POST", "/v1/organization_roles", map[string]any{"name": "Billing manager", "key": "org:billing_manager",
			"description": "Invoices", "permissions": []string{read["id"].(string), "org:invoices:write", "org:reports:read", "org:sys_memberships:read"}}, 200)
		if billing["object"] != "role" || len(billing["permissions"].([]any)) != 4 || billing["is_creator_eligible"] != false {
			t.Fatalf("created role: %v", billing)
		}
		roleID := billing["id"].(string)
		if out := e.call("POST", "/v1/organization_roles", map[string]any{"name": "x", "key": "org:billing_manager"}, 422); errCode(out) != "form_identifier_exists" {
			t.Fatalf("duplicate role: %v", out)
		}
		if out := e.call("POST", "/v1/organization_roles", map[string]any{"name": "x", "key": "org:x", "permissions": []string{"org:no:such"}}, 422); errCode(out) != "form_param_value_invalid" {
			t.Fatalf("unknown permission: %v", out)
		}
		if out := e.call("POST", "/v1/organization_roles", map[string]any{"name": "x", "key": "admin"}, 422); errCode(out) != "form_param_format_invalid" {
			t.Fatalf("bad role key: %v", out)
		}
		e.call("GET", "/v1/organization_roles/role_missing", nil, 404)
		e.call("GET", "/v1/organization_permissions/perm_missing", nil, 404)

		// A member with the custom role: the token carries its custom
		// permissions (not the system one).
		ada := e.plainUser("ada@example.com")
		bob := e.userWithPassword("bob@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:billing_manager")}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		sid := b.signIn("bob@example.com", pw)
		b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {org.ID}})
		mint := func() (string, map[string]any) {
			tok := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", nil)["jwt"].(string)
			return tok, tokenClaims(t, tok)
		}
		tok, c := mint()
		if get(c, "o", "rol") != "billing_manager" || get(c, "o", "per") != "read,write" || get(c, "o", "fpm") != "3,1" || c["fea"] != "o:invoices,o:reports" {
			t.Fatalf("token: %v", c)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:billing_manager", "org:invoices:read", "org:invoices:write", "org:reports:read")

		// Taking a permission away, renaming one: the next token follows.
		e.call("DELETE", "/v1/organization_roles/"+roleID+"/permissions/"+write["id"].(string), nil, 200)
		e.call("PATCH", "/v1/organization_permissions/"+reports["id"].(string), map[string]any{"key": "org:reports:view"}, 200)
		tok, c = mint()
		if get(c, "o", "per") != "read,view" || get(c, "o", "fpm") != "1,2" {
			t.Fatalf("token after changes: %v", c)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:billing_manager", "org:invoices:read", "org:reports:view")
		assigned := e.call("POST", "/v1/organization_roles/"+roleID+"/permissions/"+write["id"].(string), nil, 200)
		if len(assigned["permissions"].([]any)) != 4 {
			t.Fatalf("assign: %v", assigned)
		}
		e.call("POST", "/v1/organization_roles/"+roleID+"/permissions/perm_missing", nil, 404)

		// A role in use stays; the default roles stay.
		if out := e.call("DELETE", "/v1/organization_roles/"+roleID, nil, 400); errCode(out) != "organization_role_assigned_to_members" {
			t.Fatalf("deleting a role in use: %v", out)
		}
		adminID := get(roles, "data", 0, "id").(string)
		if out := e.call("DELETE", "/v1/organization_roles/"+adminID, nil, 400); errCode(out) != "organization_role_is_default" {
			t.Fatalf("deleting org:admin: %v", out)
		}
		if out := e.call("PATCH", "/v1/organization_roles/"+adminID, map[string]any{"key": "org:boss"}, 422); errCode(out) != "form_param_format_invalid" {
			t.Fatalf("renaming org:admin's key: %v", out)
		}
		if out := e.call("DELETE", "/v1/organization_roles/"+adminID+"/permissions/perm_sys_memberships_manage", nil, 400); errCode(out) != "organization_minimum_permissions_needed" {
			t.Fatalf("taking manage from org:admin: %v", out)
		}
		if out := e.call("PATCH", "/v1/organization_roles/"+adminID, map[string]any{"permissions": []string{"org:sys_memberships:read"}}, 400); errCode(out) != "organization_minimum_permissions_needed" {
			t.Fatalf("replacing org:admin's permissions: %v", out)
		}

		// A new key is carried over to the members holding the role.
		e.call("PATCH", "/v1/organization_roles/"+roleID, map[string]any{"key": "org:billing", "name": "Billing"}, 200)
		ms, err := mems.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, UserIDs: []string{bob}})
		if err != nil || len(ms.OrganizationMemberships) != 1 || ms.OrganizationMemberships[0].Role != "org:billing" ||
			ms.OrganizationMemberships[0].RoleName != "Billing" {
			t.Fatalf("membership after the key change: %v %+v", err, ms)
		}

		// A deleted permission leaves every role.
		e.call("DELETE", "/v1/organization_permissions/"+read["id"].(string), nil, 200)
		if got := e.call("GET", "/v1/organization_roles/"+roleID, nil, 200); len(got["permissions"].([]any)) != 3 {
			t.Fatalf("role after deleting a permission: %v", got)
		}

		// A custom role holding the manage permission counts as an admin
		// for the last-admin rule.
		e.call("POST", "/v1/organization_roles", map[string]any{"name": "Owner", "key": "org:owner",
			"permissions": []string{"org:sys_memberships:manage", "org:sys_memberships:read"}}, 200)
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: bob, Role: clerk.String("org:owner")}); err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:member")}); err != nil {
			t.Fatalf("demoting ada while bob is an owner: %v", err)
		}
		_, err = mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: bob, Role: clerk.String("org:member")})
		apiErr(t, err, 400, "organization_minimum_permissions_needed")

		// Deleted once unused.
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:admin")}); err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: bob, Role: clerk.String("org:member")}); err != nil {
			t.Fatal(err)
		}
		if del := e.call("DELETE", "/v1/organization_roles/"+roleID, nil, 200); del["deleted"] != true {
			t.Fatalf("delete: %v", del)
		}
		if got := e.call("GET", "/v1/organization_roles?query=bill", nil, 200); got["total_count"] != float64(0) {
			t.Fatalf("deleted role listed: %v", got)
		}
	})
}
