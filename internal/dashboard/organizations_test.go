package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/organization"
)

// orgGets and orgPosts are the organization pages' routes.
var orgGets = []string{"/dashboard/organizations", "/dashboard/organizations/org_x"}

var orgPosts = []string{"/dashboard/organizations", "/dashboard/organizations/org_x/update",
	"/dashboard/organizations/org_x/metadata", "/dashboard/organizations/org_x/delete",
	"/dashboard/organizations/org_x/members", "/dashboard/organizations/org_x/members/user_x/role",
	"/dashboard/organizations/org_x/members/user_x/remove", "/dashboard/organizations/org_x/invitations",
	"/dashboard/organizations/org_x/invitations/orginv_x/revoke", "/dashboard/organizations/org_x/domains",
	"/dashboard/organizations/org_x/domains/orgdmn_x/update", "/dashboard/organizations/org_x/domains/orgdmn_x/delete"}

// TestOrganizationPagesNeedAnOperator: signed out, the pages redirect to
// the sign-in and the forms are refused; signed in, a form needs the
// session's token.
func TestOrganizationPagesNeedAnOperator(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		for _, p := range orgGets {
			if st, _, h := c.get(p); st != 303 || !strings.HasPrefix(h.Get("Location"), "/dashboard/sign-in?next=") {
				t.Errorf("GET %s signed out: %d %s", p, st, h.Get("Location"))
			}
		}
		for _, p := range orgPosts {
			if st, _, _ := c.post(p, url.Values{"csrf": {"x"}}); st != 401 {
				t.Errorf("POST %s signed out: %d", p, st)
			}
		}
		c.signIn("op@example.com")
		for _, p := range orgPosts {
			if st, _, _ := c.post(p, url.Values{"name": {"Acme"}}); st != 403 {
				t.Errorf("POST %s without a token: %d", p, st)
			}
		}
		if n := mustOrgs(t, e, ""); len(n) != 0 {
			t.Fatalf("a refused form made an organization: %+v", n[0])
		}
	})
}

// TestOrganizationPages walks the organization pages over HTTP: create,
// list and search, members and roles, the rules' refusals shown on the
// page, details, metadata and delete; every change is read back from the
// store.
func TestOrganizationPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		csrf := c.signIn("op@example.com")
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf", csrf)
			st, body, _ := c.post(path, form)
			return st, body
		}
		orgs := e.app.API.Organizations
		ada, err := e.app.API.Users.Create(ctx, userParams("ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		bob, err := e.app.API.Users.Create(ctx, userParams("bob@example.com"))
		if err != nil {
			t.Fatal(err)
		}

		// Create: the creator is its admin; a taken slug is shown on the
		// list page with what was typed.
		st, _, h := c.post("/dashboard/organizations", url.Values{"name": {"Acme Inc"}, "created_by": {ada.ID}, "csrf": {csrf}})
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/dashboard/organizations/org_") {
			t.Fatalf("create: %d %v", st, h)
		}
		id := strings.TrimPrefix(strings.Split(h.Get("Location"), "?")[0], "/dashboard/organizations/")
		o := mustOrg(t, e, id)
		if o.Name != "Acme Inc" || o.Slug != "acme-inc" || o.CreatedBy != ada.ID || o.MembersCount != 1 {
			t.Fatalf("created: %+v", o)
		}
		if ms := mustMembers(t, e, id); ms[ada.ID] != organization.RoleAdmin {
			t.Fatalf("the creator's membership: %v", ms)
		}
		if st, _ := post("/dashboard/organizations", url.Values{"name": {"Globex"}, "slug": {"globex"}}); st != 303 {
			t.Fatalf("create Globex: %d", st)
		}
		st, body := post("/dashboard/organizations", url.Values{"name": {"Initech"}, "slug": {"globex"}})
		if st != 422 || !strings.Contains(body, "Another organization already has this slug.") || !strings.Contains(body, `value="Initech"`) {
			t.Fatalf("a taken slug: %d %s", st, body)
		}
		if st, body := post("/dashboard/organizations", url.Values{"name": {"Hooli"}, "created_by": {"user_nobody"}}); st != 422 ||
			!strings.Contains(body, "No users found with id user_nobody.") {
			t.Fatalf("an unknown creator: %d %s", st, body)
		}
		if st, _ := post("/dashboard/organizations", url.Values{"name": {" "}}); st != 422 {
			t.Fatalf("no name: %d", st)
		}
		if n := len(mustOrgs(t, e, "")); n != 2 {
			t.Fatalf("%d organizations after the refusals", n)
		}

		// List and search by name, slug and ID.
		_, body, _ = c.get("/dashboard/organizations")
		if !strings.Contains(body, `href="/dashboard/organizations/`+id+`"`) || !strings.Contains(body, "Globex") ||
			!strings.Contains(body, "2 organization(s)") || !strings.Contains(body, `href="/dashboard/organizations" aria-current="page"`) {
			t.Fatalf("the list: %s", body)
		}
		for q, want := range map[string]string{"ACME": "Acme Inc", "glob": "Globex", id[4:14]: "Acme Inc"} {
			_, body, _ := c.get("/dashboard/organizations?q=" + url.QueryEscape(q))
			other := map[string]string{"Acme Inc": "Globex", "Globex": "Acme Inc"}[want]
			if !strings.Contains(body, want) || strings.Contains(body, other) || !strings.Contains(body, "1 organization(s)") {
				t.Errorf("search %q: want %s alone", q, want)
			}
		}

		// Members: add, the rules' refusals on the page, roles, removal.
		page := "/dashboard/organizations/" + id
		if st, _ := post(page+"/members", url.Values{"user_id": {bob.ID}, "role": {organization.RoleMember}}); st != 303 {
			t.Fatalf("add bob: %d", st)
		}
		if ms := mustMembers(t, e, id); len(ms) != 2 || ms[bob.ID] != organization.RoleMember {
			t.Fatalf("after adding bob: %v", ms)
		}
		_, body, _ = c.get(page)
		if !strings.Contains(body, `<a href="/dashboard/users/`+bob.ID+`">bob@example.com</a>`) ||
			!strings.Contains(body, `<option value="org:admin" selected>`) {
			t.Fatalf("the members table: %s", body)
		}
		refused := map[string]struct {
			path string
			form url.Values
			want string
		}{
			"already a member": {page + "/members", url.Values{"user_id": {bob.ID}, "role": {organization.RoleMember}}, "The user is already a member of the organization."},
			"unknown user":     {page + "/members", url.Values{"user_id": {"user_nobody"}, "role": {organization.RoleMember}}, `value="user_nobody"`},
			"unknown role":     {page + "/members/" + bob.ID + "/role", url.Values{"role": {"org:owner"}}, "role must be one of"},
			"last admin role":  {page + "/members/" + ada.ID + "/role", url.Values{"role": {organization.RoleMember}}, "needs at least one admin"},
			"last admin leave": {page + "/members/" + ada.ID + "/remove", url.Values{}, "needs at least one admin"},
			"not a member":     {page + "/members/user_nobody/remove", url.Values{}, "is not a member"},
		}
		for name, x := range refused {
			if st, body := post(x.path, x.form); st != 422 || !strings.Contains(body, x.want) || !strings.Contains(body, `id="members-error"`) {
				t.Errorf("%s: %d, want 422 with %q on the page", name, st, x.want)
			}
		}
		if ms := mustMembers(t, e, id); len(ms) != 2 || ms[ada.ID] != organization.RoleAdmin || ms[bob.ID] != organization.RoleMember {
			t.Fatalf("after the refusals: %v", ms)
		}
		// With bob an admin, ada may step down and leave.
		for _, x := range []struct{ path, role string }{{bob.ID + "/role", organization.RoleAdmin}, {ada.ID + "/role", organization.RoleMember}} {
			if st, _ := post(page+"/members/"+x.path, url.Values{"role": {x.role}}); st != 303 {
				t.Fatalf("%s to %s: %d", x.path, x.role, st)
			}
		}
		if ms := mustMembers(t, e, id); ms[ada.ID] != organization.RoleMember || ms[bob.ID] != organization.RoleAdmin {
			t.Fatalf("after the role changes: %v", ms)
		}
		if st, _ := post(page+"/members/"+ada.ID+"/remove", url.Values{}); st != 303 {
			t.Fatalf("remove ada: %d", st)
		}
		if ms := mustMembers(t, e, id); len(ms) != 1 || ms[bob.ID] == "" {
			t.Fatalf("after removing ada: %v", ms)
		}

		// Details: a member limit the next add meets, a taken slug refused.
		st, _ = post(page+"/update", url.Values{"name": {"Acme Corp"}, "slug": {"acme"}, "max_allowed_memberships": {"1"}})
		if o = mustOrg(t, e, id); st != 303 || o.Name != "Acme Corp" || o.Slug != "acme" || o.MaxAllowedMemberships != 1 || o.AdminDeleteEnabled {
			t.Fatalf("update: %d %+v", st, o)
		}
		if st, body := post(page+"/members", url.Values{"user_id": {ada.ID}, "role": {organization.RoleMember}}); st != 422 ||
			!strings.Contains(body, "reached its max_allowed_memberships") {
			t.Fatalf("over the limit: %d", st)
		}
		st, body = post(page+"/update", url.Values{"name": {"Acme Corp"}, "slug": {"globex"}, "max_allowed_memberships": {"1"}})
		if st != 422 || !strings.Contains(body, "Another organization already has this slug.") || !strings.Contains(body, `id="details-error"`) {
			t.Fatalf("update to a taken slug: %d", st)
		}
		if st, _ := post(page+"/update", url.Values{"name": {"Acme Corp"}, "slug": {"acme"}, "max_allowed_memberships": {"many"}}); st != 422 {
			t.Fatalf("a member limit that is not a number: %d", st)
		}
		if o = mustOrg(t, e, id); o.Slug != "acme" || o.MaxAllowedMemberships != 1 {
			t.Fatalf("after the refused updates: %+v", o)
		}

		// Metadata: saved as objects, invalid JSON refused and shown back.
		if st, _ := post(page+"/metadata", url.Values{"public_metadata": {`{"plan":"pro"}`}, "private_metadata": {`{"seats":5}`}}); st != 303 {
			t.Fatalf("metadata: %d", st)
		}
		if o = mustOrg(t, e, id); !sameJSON(o.PublicMetadata, `{"plan":"pro"}`) || !sameJSON(o.PrivateMetadata, `{"seats":5}`) {
			t.Fatalf("metadata saved: %s %s", o.PublicMetadata, o.PrivateMetadata)
		}
		st, body = post(page+"/metadata", url.Values{"public_metadata": {`{"plan":`}, "private_metadata": {`[1]`}})
		if st != 422 || !strings.Contains(body, "not valid JSON objects") || !strings.Contains(body, `{&#34;plan&#34;:</textarea>`) {
			t.Fatalf("invalid metadata: %d %s", st, body)
		}
		if o = mustOrg(t, e, id); !sameJSON(o.PublicMetadata, `{"plan":"pro"}`) {
			t.Fatalf("invalid metadata changed it: %s", o.PublicMetadata)
		}

		// Delete: only once confirmed.
		if st, body := post(page+"/delete", url.Values{}); st != 422 || !strings.Contains(body, `id="delete-error"`) {
			t.Fatalf("delete without confirmation: %d", st)
		}
		mustOrg(t, e, id)
		if st, _ := post(page+"/delete", url.Values{"confirm": {"delete"}}); st != 303 {
			t.Fatalf("delete: %d", st)
		}
		if _, err := orgs.Store.Organization(ctx, id); err == nil {
			t.Fatal("the organization survived the delete")
		}
		if st, _, _ := c.get(page); st != 404 {
			t.Fatalf("a deleted organization's page: %d", st)
		}
	})
}

// TestOrganizationsPaging: the list shows pageSize organizations, newest
// first, and links the next page.
func TestOrganizationsPaging(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		c := e.client()
		c.signIn("op@example.com")
		for i := range 22 {
			name := fmt.Sprintf("Filler %02d", i)
			if _, err := e.app.API.Organizations.Create(context.Background(), organization.CreateParams{Name: &name}); err != nil {
				t.Fatal(err)
			}
		}
		_, body, _ := c.get("/dashboard/organizations")
		if !strings.Contains(body, "22 organization(s)") || !strings.Contains(body, "Filler 21") || strings.Contains(body, "Filler 01") ||
			!strings.Contains(body, `href="/dashboard/organizations?offset=20"`) {
			t.Fatalf("the first page: %s", body)
		}
		_, body, _ = c.get("/dashboard/organizations?offset=20")
		if !strings.Contains(body, "Filler 00") || !strings.Contains(body, "Filler 01") || strings.Contains(body, "Filler 02") ||
			!strings.Contains(body, `href="/dashboard/organizations">`) {
			t.Fatalf("the second page: %s", body)
		}
	})
}

// sameJSON reports whether raw holds the value of want, however spaced
// (PostgreSQL may store it differently).
func sameJSON(raw json.RawMessage, want string) bool {
	var a, b any
	return json.Unmarshal(raw, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && reflect.DeepEqual(a, b)
}

func mustOrg(t testing.TB, e *env, id string) *organization.Organization {
	t.Helper()
	o, err := e.app.API.Organizations.Store.Organization(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustOrgs(t testing.TB, e *env, query string) []*organization.Organization {
	t.Helper()
	list, _, err := e.app.API.Organizations.Store.ListOrganizations(context.Background(), organization.Query{Query: query, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// mustMembers maps an organization's members to their roles.
func mustMembers(t testing.TB, e *env, orgID string) map[string]string {
	t.Helper()
	ms, _, err := e.app.API.Organizations.Store.ListMemberships(context.Background(),
		organization.MembershipQuery{OrganizationID: orgID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.UserID] = m.Role
	}
	return out
}
