package dashboard_test

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/organization"
)

var rolePosts = []string{"/dashboard/roles", "/dashboard/roles/role_member/update", "/dashboard/roles/role_x/delete",
	"/dashboard/permissions", "/dashboard/permissions/perm_x/delete"}

// TestRolesPageNeedsAnOperator: signed out, the page redirects to the
// sign-in and the forms are refused; signed in, a form needs the
// session's token and this site's origin.
func TestRolesPageNeedsAnOperator(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		if st, _, h := c.get("/dashboard/roles"); st != 303 || h.Get("Location") != "/dashboard/sign-in?next=%2Fdashboard%2Froles" {
			t.Errorf("GET /dashboard/roles signed out: %d %s", st, h.Get("Location"))
		}
		form := url.Values{"name": {"Billing"}, "key": {"org:billing"}, "permissions": {organization.PermBillingRead}}
		for _, p := range rolePosts {
			if st, _, _ := c.post(p, form); st != 401 {
				t.Errorf("POST %s signed out: %d", p, st)
			}
		}
		csrf := c.signIn("op@example.com")
		for _, p := range rolePosts {
			if st, _, _ := c.post(p, form); st != 403 {
				t.Errorf("POST %s without a token: %d", p, st)
			}
		}
		form.Set("csrf", csrf)
		if st, _, _ := c.do("POST", "/dashboard/roles", form, "https://elsewhere.example"); st != 403 {
			t.Errorf("a role from another site: %d", st)
		}
		if st, _, _ := c.do("POST", "/dashboard/permissions", url.Values{"csrf": {csrf}, "name": {"X"}, "key": {"org:x:y"}},
			"https://elsewhere.example"); st != 403 {
			t.Errorf("a permission from another site: %d", st)
		}
		set := mustRoleSet(t, e)
		if len(set.Roles()) != 2 || !slices.Equal(set.RolePermissions(organization.RoleMember), organization.DefaultRoles()[1].Permissions) {
			t.Fatalf("a refused form changed the roles: %+v", set.Roles())
		}
		if ps := mustCustomPerms(t, e); len(ps) != 0 {
			t.Fatalf("a refused form made a permission: %+v", ps)
		}
	})
}

// TestRolesPage walks the roles page over HTTP: the default roles and
// the system permissions shown, custom permissions and roles created,
// edited and deleted, the rules' refusals shown by the form that met
// them; each change read back through the catalog.
func TestRolesPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		set := mustRoleSet(t, e)
		admin, member := set.Role(organization.RoleAdmin), set.Role(organization.RoleMember)

		_, body, _ := c.get("/dashboard/roles")
		for _, want := range []string{`href="/dashboard/roles" aria-current="page"`, "Admin <code>org:admin</code> <span class=\"badge\">default</span>",
			`action="/dashboard/roles/` + member.ID + `/update"`, `value="org:sys_billing:read" checked> <span>Read billing <span class="badge">system</span><br><code class="muted">org:sys_billing:read</code>`,
			`value="org:sys_profile:delete"> <span>Delete organization`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the roles page lacks %s: %s", want, body)
			}
		}
		if strings.Contains(body, "/dashboard/roles/"+admin.ID+"/delete") || strings.Contains(body, "/dashboard/permissions/perm_") {
			t.Fatal("the page offers to delete a default role or a system permission")
		}

		// Permissions: created, the refusals shown with what was typed.
		if st, _ := post("/dashboard/permissions", url.Values{"name": {"Create invoices"}, "key": {"org:invoices:create"}, "description": {"Bill."}}); st != 303 {
			t.Fatalf("create a permission: %d", st)
		}
		if st, _ := post("/dashboard/permissions", url.Values{"name": {"Read invoices"}, "key": {"org:invoices:read"}}); st != 303 {
			t.Fatalf("create a second permission: %d", st)
		}
		ps := mustCustomPerms(t, e)
		if len(ps) != 2 || ps[0].Key != "org:invoices:create" || ps[0].Name != "Create invoices" || ps[0].Description != "Bill." {
			t.Fatalf("the custom permissions: %+v", ps)
		}
		for name, x := range map[string]struct{ key, want string }{
			"a taken key":    {"org:invoices:create", "Another role or permission already has this key."},
			"a system key":   {"org:sys_profile:manage", "org:sys_ is reserved"},
			"not a key":      {"invoices", `value="invoices"`},
			"a role's shape": {"org:invoices", "A permission&#39;s key is org:"},
		} {
			st, body := post("/dashboard/permissions", url.Values{"name": {"Again"}, "key": {x.key}})
			if st != 422 || !strings.Contains(body, x.want) || !strings.Contains(body, `id="permissions-error"`) || !strings.Contains(body, `value="Again"`) {
				t.Errorf("%s: %d, want 422 with %q", name, st, x.want)
			}
		}
		if n := len(mustCustomPerms(t, e)); n != 2 {
			t.Fatalf("%d permissions after the refusals", n)
		}

		// Roles: created with the permissions ticked, refusals shown.
		st, _ := post("/dashboard/roles", url.Values{"name": {"Billing"}, "key": {"org:billing"}, "description": {"Pays."},
			"permissions": {"org:invoices:create", organization.PermBillingRead, organization.PermBillingManage}})
		if st != 303 {
			t.Fatalf("create a role: %d", st)
		}
		billing := mustRoleSet(t, e).Role("org:billing")
		if billing == nil || billing.Name != "Billing" || billing.Description != "Pays." ||
			!sameSet(billing.Permissions, "org:invoices:create", organization.PermBillingRead, organization.PermBillingManage) {
			t.Fatalf("the role created: %+v", billing)
		}
		for name, x := range map[string]struct {
			form url.Values
			want string
		}{
			"a taken key":          {url.Values{"name": {"Boss"}, "key": {organization.RoleAdmin}}, "Another role or permission already has this key."},
			"not a key":            {url.Values{"name": {"Boss"}, "key": {"boss"}}, "A role&#39;s key is org:&lt;name&gt;"},
			"an unknown permisson": {url.Values{"name": {"Boss"}, "key": {"org:boss"}, "permissions": {"org:nope:x"}}, "No permission org:nope:x exists"},
			"no name":              {url.Values{"name": {" "}, "key": {"org:boss"}}, "name must be included."},
		} {
			st, body := post("/dashboard/roles", x.form)
			if st != 422 || !strings.Contains(body, x.want) || !strings.Contains(body, `id="create-role-error"`) ||
				!strings.Contains(body, `id="new-role-key" name="key" value="`+x.form.Get("key")+`"`) {
				t.Errorf("%s: %d, want 422 with %q", name, st, x.want)
			}
		}
		if n := len(mustRoleSet(t, e).Roles()); n != 3 {
			t.Fatalf("%d roles after the refusals", n)
		}
		// The organization pages offer the new role.
		o := mustCreateOrg(t, e, "Acme", "")
		if _, body, _ := c.get("/dashboard/organizations/" + o.ID); !strings.Contains(body, `<option value="org:billing">Billing</option>`) {
			t.Fatalf("the organization page's roles: %s", body)
		}

		// Edit: name, description and permissions; none ticked takes them
		// all; a refusal is shown by the role's own form.
		path := "/dashboard/roles/" + billing.ID
		if st, _ := post(path+"/update", url.Values{"name": {"Billing team"}, "description": {""}, "permissions": {"org:invoices:read"}}); st != 303 {
			t.Fatalf("edit the role: %d", st)
		}
		if r := mustRoleSet(t, e).Role("org:billing"); r.Name != "Billing team" || r.Description != "" || !sameSet(r.Permissions, "org:invoices:read") {
			t.Fatalf("the role edited: %+v", r)
		}
		st, body = post(path+"/update", url.Values{"name": {""}, "permissions": {organization.PermBillingRead}})
		if st != 422 || !strings.Contains(body, `id="role-error-`+billing.ID+`"`) || !strings.Contains(body, "name must be included.") {
			t.Fatalf("edit without a name: %d %s", st, body)
		}
		if st, _ := post(path+"/update", url.Values{"name": {"Billing"}}); st != 303 {
			t.Fatalf("take every permission: %d", st)
		}
		if r := mustRoleSet(t, e).Role("org:billing"); r.Name != "Billing" || len(r.Permissions) != 0 {
			t.Fatalf("the role without permissions: %+v", r)
		}
		if st, body := post("/dashboard/roles/role_nobody/update", url.Values{"name": {"X"}}); st != 422 || !strings.Contains(body, `id="page-error"`) ||
			!strings.Contains(body, "No role was found with id role_nobody.") {
			t.Fatalf("edit an unknown role: %d", st)
		}

		// Deleting a permission takes it from the roles; the system ones
		// stay.
		if st, _ := post(path+"/update", url.Values{"name": {"Billing"}, "permissions": {"org:invoices:create", "org:invoices:read"}}); st != 303 {
			t.Fatalf("give both permissions: %d", st)
		}
		if st, _ := post("/dashboard/permissions/"+ps[0].ID+"/delete", url.Values{}); st != 303 {
			t.Fatalf("delete a permission: %d", st)
		}
		if left := mustCustomPerms(t, e); len(left) != 1 || left[0].Key != "org:invoices:read" {
			t.Fatalf("the permissions left: %+v", left)
		}
		if r := mustRoleSet(t, e).Role("org:billing"); !sameSet(r.Permissions, "org:invoices:read") {
			t.Fatalf("the role kept a deleted permission: %+v", r)
		}
		sys := organization.SystemPermissions[0].ID
		if st, body := post("/dashboard/permissions/"+sys+"/delete", url.Values{}); st != 422 || !strings.Contains(body, "System permissions") ||
			!strings.Contains(body, `id="permissions-error"`) {
			t.Fatalf("delete a system permission: %d", st)
		}

		// Delete: not a role in use, not a default role.
		dora, err := e.app.API.Users.Create(ctx, userParams("dora@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		role := "org:billing"
		if _, _, err := e.app.API.Organizations.AddMember(ctx, o.ID, organization.MembershipParams{UserID: &dora.ID, Role: &role}); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{billing.ID: "Members or pending invitations hold this role", admin.ID: "cannot be deleted",
			member.ID: "cannot be deleted"} {
			if st, body := post("/dashboard/roles/"+id+"/delete", url.Values{}); st != 422 || !strings.Contains(body, want) ||
				!strings.Contains(body, `id="role-error-`+id+`"`) {
				t.Errorf("delete %s: %d, want 422 with %q by the role", id, st, want)
			}
		}
		if n := len(mustRoleSet(t, e).Roles()); n != 3 {
			t.Fatalf("%d roles after the refused deletes", n)
		}
		if _, _, err := e.app.API.Organizations.RemoveMember(ctx, o.ID, dora.ID); err != nil {
			t.Fatal(err)
		}
		if st, _ := post(path+"/delete", url.Values{}); st != 303 {
			t.Fatalf("delete the role: %d", st)
		}
		if r := mustRoleSet(t, e).Role("org:billing"); r != nil {
			t.Fatalf("the role survived its delete: %+v", r)
		}
	})
}

func mustRoleSet(t testing.TB, e *env) *organization.RoleSet {
	t.Helper()
	set, err := e.app.API.Organizations.RoleSet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// mustCustomPerms lists the custom permissions, oldest first.
func mustCustomPerms(t testing.TB, e *env) []organization.Permission {
	t.Helper()
	all, err := e.app.API.Organizations.Roles.Permissions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []organization.Permission
	for _, p := range all {
		if !p.System {
			out = append(out, p)
		}
	}
	return out
}

// sameSet reports whether got holds exactly want, in any order.
func sameSet(got []string, want ...string) bool {
	a, b := slices.Clone(got), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return reflect.DeepEqual(a, b)
}
