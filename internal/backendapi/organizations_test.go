package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func (e *env) orgClients() (*organization.Client, *organizationmembership.Client) {
	cc := &clerk.ClientConfig{}
	cc.URL = clerk.String(e.url + "/v1")
	cc.Key = clerk.String(testKey)
	cc.HTTPClient = sdkHTTP
	return organization.NewClient(cc), organizationmembership.NewClient(cc)
}

func (e *env) plainUser(email string) string {
	e.t.Helper()
	u, err := e.users.Create(context.Background(), &clerkuser.CreateParams{EmailAddresses: &[]string{email},
		FirstName: ptr(strings.Split(email, "@")[0]), SkipPasswordRequirement: ptr(true)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// TestOrganizations drives the organizations routes through clerk-sdk-go:
// create (slug from the name, or given and validated, unique), get by ID
// or slug, list with query, order, user filter and paging, update,
// metadata merge, delete; unknown IDs are 404.
func TestOrganizations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		orgs, _ := e.orgClients()
		ada := e.plainUser("ada@example.com")

		acme, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme Rockets, Inc."), CreatedBy: &ada,
			PublicMetadata: rawJSON(`{"plan":"pro"}`), MaxAllowedMemberships: clerk.Int64(0)})
		if err != nil || acme.Slug != "acme-rockets-inc" || acme.CreatedBy != ada || !strings.HasPrefix(acme.ID, "org_") ||
			string(acme.PublicMetadata) != `{"plan":"pro"}` || !acme.AdminDeleteEnabled {
			t.Fatalf("create: %v %+v", err, acme)
		}
		// The same name again gets a slug of its own.
		again, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme Rockets, Inc.")})
		if err != nil || again.Slug == acme.Slug || !strings.HasPrefix(again.Slug, "acme-rockets-inc-") {
			t.Fatalf("second create: %v %+v", err, again)
		}
		_, err = orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("X"), Slug: clerk.String("acme-rockets-inc")})
		apiErr(t, err, 422, "form_identifier_exists")
		_, err = orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("X"), Slug: clerk.String("Not A Slug")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = orgs.Create(ctx, &organization.CreateParams{Slug: clerk.String("nameless")})
		apiErr(t, err, 422, "form_param_missing")
		_, err = orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("X"), CreatedBy: clerk.String("user_missing")})
		apiErr(t, err, 400, "organization_creator_not_found")

		got, err := orgs.GetWithParams(ctx, "acme-rockets-inc", &organization.GetParams{IncludeMembersCount: clerk.Bool(true)})
		if err != nil || got.ID != acme.ID || got.MembersCount == nil || *got.MembersCount != 1 {
			t.Fatalf("get by slug: %v %+v", err, got)
		}
		_, err = orgs.Get(ctx, "org_missing")
		apiErr(t, err, 404, "resource_not_found")

		for _, n := range []string{"Zeta", "Beta", "Gamma"} {
			if _, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String(n)}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := orgs.List(ctx, &organization.ListParams{OrderBy: clerk.String("+name"), ListParams: clerk.ListParams{Limit: clerk.Int64(2)}})
		if err != nil || list.TotalCount != 5 || len(list.Organizations) != 2 || list.Organizations[0].Name != "Acme Rockets, Inc." {
			t.Fatalf("list: %v %+v", err, list)
		}
		list, err = orgs.List(ctx, &organization.ListParams{Query: clerk.String("ETA")})
		if err != nil || list.TotalCount != 2 {
			t.Fatalf("query: %v %+v", err, list)
		}
		list, err = orgs.List(ctx, &organization.ListParams{UserIDs: []string{ada}, IncludeMembersCount: clerk.Bool(true)})
		if err != nil || list.TotalCount != 1 || list.Organizations[0].ID != acme.ID || *list.Organizations[0].MembersCount != 1 {
			t.Fatalf("user filter: %v %+v", err, list)
		}
		if st, body := e.do("GET", "/v1/organizations?order_by=-bogus", nil); st != 422 || !strings.Contains(string(body), "form_param_value_invalid") {
			t.Fatalf("bad order: %d %s", st, body)
		}

		up, err := orgs.Update(ctx, acme.ID, &organization.UpdateParams{Name: clerk.String("Acme"), Slug: clerk.String("acme"),
			MaxAllowedMemberships: clerk.Int64(3), AdminDeleteEnabled: clerk.Bool(false)})
		if err != nil || up.Name != "Acme" || up.Slug != "acme" || up.MaxAllowedMemberships != 3 || up.AdminDeleteEnabled ||
			string(up.PublicMetadata) != `{"plan":"pro"}` {
			t.Fatalf("update: %v %+v", err, up)
		}
		_, err = orgs.Update(ctx, again.ID, &organization.UpdateParams{Slug: clerk.String("acme")})
		apiErr(t, err, 422, "form_identifier_exists")
		md, err := orgs.UpdateMetadata(ctx, acme.ID, &organization.UpdateMetadataParams{
			PublicMetadata: rawJSON(`{"seats":10,"plan":null}`), PrivateMetadata: rawJSON(`{"crm":"x1"}`)})
		if err != nil || string(md.PublicMetadata) != `{"seats":10}` || string(md.PrivateMetadata) != `{"crm":"x1"}` {
			t.Fatalf("metadata: %v %s %s", err, md.PublicMetadata, md.PrivateMetadata)
		}

		del, err := orgs.Delete(ctx, again.ID)
		if err != nil || !del.Deleted || del.ID != again.ID {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = orgs.Delete(ctx, again.ID)
		apiErr(t, err, 404, "resource_not_found")

		// One slug, many writers: exactly one wins.
		var wg sync.WaitGroup
		wins := make(chan string, 10)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if o, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Race"), Slug: clerk.String("race")}); err == nil {
					wins <- o.ID
				} else if ae, ok := err.(*clerk.APIErrorResponse); !ok || ae.HTTPStatusCode != 422 {
					t.Errorf("race loser: %v", err)
				}
			}()
		}
		wg.Wait()
		close(wins)
		if len(wins) != 1 {
			t.Fatalf("%d winners for one slug", len(wins))
		}
	})
}

// TestOrganizationMemberships: add, list (per organization, per user,
// instance-wide, and as GET /v1/users?organization_id=), change roles,
// merge metadata, remove; a user joins once, within the quota even under
// concurrent adds; the last admin keeps the role while others remain; a
// deleted user's membership goes with it.
func TestOrganizationMemberships(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		orgs, mems := e.orgClients()
		ada, bob := e.plainUser("ada@example.com"), e.plainUser("bob@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		m, err := mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:member")})
		if err != nil || m.Role != "org:member" || m.RoleName != "Member" || m.Organization == nil || m.Organization.ID != org.ID ||
			m.PublicUserData == nil || m.PublicUserData.UserID != bob || m.PublicUserData.Identifier != "bob@example.com" ||
			!strings.HasPrefix(m.ID, "orgmem_") || len(m.Permissions) == 0 {
			t.Fatalf("add: %v %+v", err, m)
		}
		_, err = mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:member")})
		apiErr(t, err, 400, "already_a_member_in_organization")
		_, err = mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:boss")})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: clerk.String("user_missing"), Role: clerk.String("org:member")})
		apiErr(t, err, 404, "resource_not_found")
		_, err = mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: "org_missing", UserID: &bob, Role: clerk.String("org:member")})
		apiErr(t, err, 404, "resource_not_found")

		list, err := mems.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, OrderBy: clerk.String("+created_at")})
		if err != nil || list.TotalCount != 2 || list.OrganizationMemberships[0].PublicUserData.UserID != ada ||
			list.OrganizationMemberships[0].Role != "org:admin" {
			t.Fatalf("list: %v %+v", err, list)
		}
		list, err = mems.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, Roles: []string{"org:member"}})
		if err != nil || list.TotalCount != 1 || list.OrganizationMemberships[0].PublicUserData.UserID != bob {
			t.Fatalf("role filter: %v %+v", err, list)
		}
		var page struct {
			Data []struct {
				Organization struct{ ID string }
			}
			TotalCount int64 `json:"total_count"`
		}
		for _, path := range []string{"/v1/users/" + bob + "/organization_memberships", "/v1/organization_memberships?user_id=" + bob} {
			st, body := e.do("GET", path, nil)
			if st != 200 || json.Unmarshal(body, &page) != nil || page.TotalCount != 1 || page.Data[0].Organization.ID != org.ID {
				t.Fatalf("%s: %d %s", path, st, body)
			}
		}
		users, err := e.users.List(ctx, &clerkuser.ListParams{OrganizationIDs: []string{org.ID}})
		if err != nil || users.TotalCount != 2 {
			t.Fatalf("users by organization: %v %+v", err, users)
		}

		// The only admin cannot step down or leave while bob is there.
		_, err = mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:member")})
		apiErr(t, err, 400, "organization_minimum_permissions_needed")
		_, err = mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: ada})
		apiErr(t, err, 400, "organization_minimum_permissions_needed")
		up, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: bob, Role: clerk.String("org:admin")})
		if err != nil || up.Role != "org:admin" {
			t.Fatalf("promote: %v %+v", err, up)
		}
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:member")}); err != nil {
			t.Fatalf("demote with another admin: %v", err)
		}
		st, body := e.do("PATCH", "/v1/organizations/"+org.ID+"/memberships/"+ada+"/metadata", map[string]any{"public_metadata": map[string]any{"team": "red"}})
		if st != 200 || !strings.Contains(string(body), `"public_metadata":{"team":"red"}`) {
			t.Fatalf("membership metadata: %d %s", st, body)
		}
		gone, err := mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: ada})
		if err != nil || gone.PublicUserData.UserID != ada {
			t.Fatalf("remove: %v %+v", err, gone)
		}
		_, err = mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: ada})
		apiErr(t, err, 404, "resource_not_found")

		// Quota: max 3 members, 8 users trying at once: 2 more get in.
		if _, err := orgs.Update(ctx, org.ID, &organization.UpdateParams{MaxAllowedMemberships: clerk.Int64(3)}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 0; i < 8; i++ {
			ids = append(ids, e.plainUser("q"+itoa(i)+"@example.com"))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		added, refused := 0, 0
		for _, uid := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &uid, Role: clerk.String("org:member")})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					added++
				} else if ae, ok := err.(*clerk.APIErrorResponse); ok && ae.HTTPStatusCode == http.StatusForbidden &&
					ae.Errors[0].Code == "organization_membership_quota_exceeded" {
					refused++
				} else {
					t.Errorf("add under quota: %v", err)
				}
			}()
		}
		wg.Wait()
		if added != 2 || refused != 6 {
			t.Fatalf("quota: %d added, %d refused", added, refused)
		}
		// A deleted user's membership goes with it.
		if _, err := e.users.Delete(ctx, bob); err != nil {
			t.Fatal(err)
		}
		got, err := orgs.GetWithParams(ctx, org.ID, &organization.GetParams{IncludeMembersCount: clerk.Bool(true)})
		if err != nil || *got.MembersCount != 2 {
			t.Fatalf("after deleting a member: %v %+v", err, got)
		}
		// Deleting the organization ends its memberships.
		if _, err := orgs.Delete(ctx, org.ID); err != nil {
			t.Fatal(err)
		}
		st, body = e.do("GET", "/v1/organization_memberships", nil)
		if st != 200 || !strings.Contains(string(body), `"total_count":0`) {
			t.Fatalf("after deleting the organization: %d %s", st, body)
		}
	})
}

func rawJSON(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}

// TestOrganizationWebhooks: organization and membership changes raise
// Clerk's organization.* and organizationMembership.* events, verified by
// the official receivers.
func TestOrganizationWebhooks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		rcv := startReceiver(t)
		e := newEnv(t, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}))
		ctx := context.Background()
		st, body := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url + "/hook",
			"events": []string{"organization.created", "organization.updated", "organization.deleted",
				"organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
				"organizationInvitation.created", "organizationInvitation.revoked", "organizationDomain.created",
				"role.created", "permission.created", "permission.deleted"}})
		var ep struct{ Secret string }
		if st != 200 || json.Unmarshal(body, &ep) != nil {
			t.Fatalf("create endpoint: %d %s", st, body)
		}
		rcv.post("/secret", ep.Secret)
		orgs, mems := e.orgClients()
		ada, bob := e.plainUser("ada@example.com"), e.plainUser("bob@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Hooked"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:member")})
		mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: bob, Role: clerk.String("org:admin")})
		mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: bob})
		invs := e.orgInvitations()
		inv, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: org.ID, EmailAddress: clerk.String("carol@example.com"), Role: clerk.String("org:member")})
		if err != nil {
			t.Fatal(err)
		}
		invs.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: org.ID, ID: inv.ID})
		e.orgDomains().Create(ctx, org.ID, &organizationdomain.CreateParams{Name: clerk.String("hooked.example")})
		perm := e.call("POST", "/v1/organization_permissions", map[string]any{"name": "Hook", "key": "org:hook:run"}, 200)
		e.call("POST", "/v1/organization_roles", map[string]any{"name": "Hooker", "key": "org:hooker", "permissions": []string{"org:hook:run"}}, 200)
		e.call("DELETE", "/v1/organization_permissions/"+perm["id"].(string), nil, 200)
		orgs.Update(ctx, org.ID, &organization.UpdateParams{Name: clerk.String("Hooked 2")})
		orgs.Delete(ctx, org.ID)
		seen := map[string]int{}
		var created, memberDeleted, revoked, role map[string]any
		for _, ev := range rcv.wait(13) {
			if ev["bySvix"] != true || ev["byClerk"] != true {
				t.Fatalf("unverified: %v", ev)
			}
			typ := ev["type"].(string)
			seen[typ]++
			data, _ := ev["data"].(map[string]any)
			switch typ {
			case "organization.created":
				created = data
			case "organizationMembership.deleted":
				memberDeleted = data
			case "organizationInvitation.revoked":
				revoked = data
			case "role.created":
				role = data
			}
		}
		want := map[string]int{"organization.created": 1, "organization.updated": 1, "organization.deleted": 1,
			"organizationMembership.created": 2, "organizationMembership.updated": 1, "organizationMembership.deleted": 1,
			"organizationInvitation.created": 1, "organizationInvitation.revoked": 1, "organizationDomain.created": 1,
			"role.created": 1, "permission.created": 1, "permission.deleted": 1}
		for k, n := range want {
			if seen[k] != n {
				t.Fatalf("events %v, want %v", seen, want)
			}
		}
		if created["id"] != org.ID || created["slug"] != "hooked" || get(memberDeleted, "public_user_data", "user_id") != bob ||
			get(memberDeleted, "organization", "id") != org.ID || revoked["id"] != inv.ID || revoked["status"] != "revoked" ||
			revoked["object"] != "organization_invitation" || role["key"] != "org:hooker" || get(role, "permissions", 0, "key") != "org:hook:run" {
			t.Fatalf("payloads: %v / %v / %v / %v", created, memberDeleted, revoked, role)
		}
	})
}
