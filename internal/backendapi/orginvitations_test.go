package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func (e *env) orgInvitations() *organizationinvitation.Client {
	cc := &clerk.ClientConfig{}
	cc.URL = clerk.String(e.url + "/v1")
	cc.Key = clerk.String(testKey)
	cc.HTTPClient = sdkHTTP
	return organizationinvitation.NewClient(cc)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/v1/tickets/accept\?ticket=[^\s"<>]+`)

// invitationLink reads the link of the newest email to addr, as the
// invitee would click it.
func (e *env) invitationLink(addr string) string {
	e.t.Helper()
	msgs, err := e.db.MessagesTo(context.Background(), addr)
	if err != nil || len(msgs) == 0 {
		e.t.Fatalf("no email to %s: %v", addr, err)
	}
	link := linkRE.FindString(msgs[len(msgs)-1].Body)
	if link == "" {
		e.t.Fatalf("no invitation link in the email to %s: %s", addr, msgs[len(msgs)-1].Body)
	}
	return strings.ReplaceAll(link, "&amp;", "&")
}

// land follows an invitation link's landing and returns where it sends
// the invitee.
func (e *env) land(link string) *url.URL {
	e.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(link)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil {
		e.t.Fatalf("landing: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc
}

// TestOrganizationInvitations drives the Backend API's invitation routes
// through clerk-sdk-go, with their refusals: duplicates, members, bad
// roles and addresses, unknown IDs, the membership quota, revoking.
func TestOrganizationInvitations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		orgs, members := e.orgClients()
		invs := e.orgInvitations()
		ada := e.plainUser("ada@example.com")
		acme, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		meta := json.RawMessage(`{"team":"rockets"}`)
		inv, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String(" Bob@Example.com "),
			Role: clerk.String("org:member"), InviterUserID: &ada, PublicMetadata: &meta, RedirectURL: clerk.String("https://app.example.com/join")})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Object != "organization_invitation" || !strings.HasPrefix(inv.ID, "orginv_") || inv.EmailAddress != "bob@example.com" ||
			inv.Role != "org:member" || inv.RoleName != "Member" || inv.Status != "pending" || inv.OrganizationID != acme.ID ||
			string(inv.PublicMetadata) != `{"team":"rockets"}` || string(inv.PrivateMetadata) != `{}` || inv.ExpiresAt == nil ||
			!strings.Contains(inv.URL, "/v1/tickets/accept?ticket=") {
			t.Fatalf("created: %+v", inv)
		}
		if days := time.Duration(*inv.ExpiresAt-inv.CreatedAt) * time.Millisecond / (24 * time.Hour); days != 30 {
			t.Fatalf("default expiry %d days", days)
		}
		if link := e.invitationLink("bob@example.com"); link != inv.URL {
			t.Fatalf("emailed link %q, invitation url %q", link, inv.URL)
		}

		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("bob@example.com"), Role: clerk.String("org:admin")})
		apiErr(t, err, 400, "duplicate_record")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("ada@example.com"), Role: clerk.String("org:member")})
		apiErr(t, err, 400, "already_a_member_in_organization")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("x@example.com"), Role: clerk.String("org:owner")})
		apiErr(t, err, 422, "form_param_value_invalid")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("not an address"), Role: clerk.String("org:member")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, Role: clerk.String("org:member")})
		apiErr(t, err, 422, "form_param_missing")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("x@example.com"),
			Role: clerk.String("org:member"), RedirectURL: clerk.String("javascript:alert(1)")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: "org_missing", EmailAddress: clerk.String("x@example.com"), Role: clerk.String("org:member")})
		apiErr(t, err, 404, "resource_not_found")

		got, err := invs.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme.ID, ID: inv.ID})
		if err != nil || got.ID != inv.ID || got.URL != inv.URL {
			t.Fatalf("get: %v %+v", err, got)
		}
		other, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = invs.Get(ctx, &organizationinvitation.GetParams{OrganizationID: other.ID, ID: inv.ID})
		apiErr(t, err, 404, "resource_not_found")
		_, err = invs.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme.ID, ID: "orginv_missing"})
		apiErr(t, err, 404, "resource_not_found")

		// Bulk: all or none.
		status, body := e.do("POST", "/v1/organizations/"+acme.ID+"/invitations/bulk", []map[string]any{
			{"email_address": "carol@example.com", "role": "org:member"}, {"email_address": "bob@example.com", "role": "org:member"}})
		if status != 400 || !strings.Contains(string(body), "duplicate_record") || !strings.Contains(string(body), `"email_addresses":["bob@example.com"]`) {
			t.Fatalf("bulk with a duplicate: %d %s", status, body)
		}
		status, body = e.do("POST", "/v1/organizations/"+acme.ID+"/invitations/bulk", []map[string]any{
			{"email_address": "carol@example.com", "role": "org:member"}, {"email_address": "dave@example.com", "role": "org:admin"}})
		var bulk struct {
			Data       []map[string]any `json:"data"`
			TotalCount int              `json:"total_count"`
		}
		if status != 200 || json.Unmarshal(body, &bulk) != nil || bulk.TotalCount != 2 || bulk.Data[1]["role"] != "org:admin" {
			t.Fatalf("bulk: %d %s", status, body)
		}

		list, err := invs.List(ctx, &organizationinvitation.ListParams{OrganizationID: acme.ID, Statuses: &[]string{"pending"}, OrderBy: clerk.String("+email_address")})
		if err != nil || list.TotalCount != 3 || list.OrganizationInvitations[0].EmailAddress != "bob@example.com" {
			t.Fatalf("list: %v %+v", err, list)
		}
		all, err := invs.ListFromInstance(ctx, &organizationinvitation.ListFromInstanceParams{Query: clerk.String("dave")})
		if err != nil || all.TotalCount != 1 || all.OrganizationInvitations[0].PublicOrganizationData == nil ||
			all.OrganizationInvitations[0].PublicOrganizationData.Name != "Acme" {
			t.Fatalf("instance list: %v %+v", err, all)
		}
		status, body = e.do("GET", "/v1/organizations/"+acme.ID+"/invitations?status=bogus", nil)
		if status != 422 {
			t.Fatalf("bad status filter: %d %s", status, body)
		}

		revoked, err := invs.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: acme.ID, ID: inv.ID, RequestingUserID: &ada})
		if err != nil || revoked.Status != "revoked" || revoked.URL != "" {
			t.Fatalf("revoke: %v %+v", err, revoked)
		}
		_, err = invs.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: acme.ID, ID: inv.ID})
		apiErr(t, err, 400, "organization_invitation_not_pending")
		if loc := e.land(inv.URL); loc.Query().Get("__clerk_error") != "revoked_invitation" {
			t.Fatalf("revoked link lands on %s", loc)
		}
		// Revoked, the address may be invited again.
		if _, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: clerk.String("bob@example.com"), Role: clerk.String("org:member")}); err != nil {
			t.Fatalf("invite again after revoking: %v", err)
		}

		// The quota counts members and pending invitations.
		small, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Small"), CreatedBy: &ada, MaxAllowedMemberships: clerk.Int64(2)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: small.ID, EmailAddress: clerk.String("erin@example.com"), Role: clerk.String("org:member")}); err != nil {
			t.Fatal(err)
		}
		_, err = invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: small.ID, EmailAddress: clerk.String("frank@example.com"), Role: clerk.String("org:member")})
		apiErr(t, err, 403, "organization_membership_quota_exceeded")

		// The user's invitations: to its verified addresses.
		dave := e.plainUser("dave@example.com")
		users := clerkuser.NewClient(e.sdkConfig())
		mine, err := users.ListOrganizationInvitations(ctx, &clerkuser.ListOrganizationInvitationsParams{UserID: dave})
		if err != nil || mine.TotalCount != 1 || mine.OrganizationInvitations[0].Role != "org:admin" {
			t.Fatalf("user's invitations: %v %+v", err, mine)
		}
		_, err = users.ListOrganizationInvitations(ctx, &clerkuser.ListOrganizationInvitationsParams{UserID: "user_missing"})
		apiErr(t, err, 404, "resource_not_found")
		if ms, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: acme.ID}); err != nil || ms.TotalCount != 1 {
			t.Fatalf("inviting made members: %v %+v", err, ms)
		}
	})
}

// TestOrganizationInvitationAcceptance: an invitation is accepted by
// signing up with its ticket (a new address), by signing in with it (an
// address with an account), or by a signed-in invitee from their list;
// each makes exactly one membership, and a ticket works once.
func TestOrganizationInvitationAcceptance(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		if err := e.app.Settings.Set(ctx, instance.Organizations, "true"); err != nil {
			t.Fatal(err)
		}
		orgs, members := e.orgClients()
		invs := e.orgInvitations()
		ada := e.userWithPassword("ada@example.com")
		acme, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		invite := func(email, role string) *clerk.OrganizationInvitation {
			t.Helper()
			inv, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme.ID, EmailAddress: &email, Role: &role})
			if err != nil {
				t.Fatal(err)
			}
			return inv
		}
		roleOf := func(userID string) string {
			t.Helper()
			ms, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: acme.ID, UserIDs: []string{userID}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms.OrganizationMemberships) == 0 {
				return ""
			}
			return ms.OrganizationMemberships[0].Role
		}

		// A new address: the link lands on sign-up; signing up with the
		// ticket verifies the address and joins.
		invite("bob@example.com", "org:admin")
		link := e.invitationLink("bob@example.com")
		loc := e.land(link)
		ticket := loc.Query().Get("__clerk_ticket")
		if loc.Path != "/sign-up" || loc.Query().Get("__clerk_status") != "sign_up" || ticket == "" {
			t.Fatalf("new address lands on %s", loc)
		}
		bob := e.browser()
		su := bob.ok("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {ticket}, "password": {pw}})
		bobID, _ := get(su, "response", "created_user_id").(string)
		if get(su, "response", "status") != "complete" || bobID == "" {
			t.Fatalf("sign-up with ticket: %v", su)
		}
		if roleOf(bobID) != "org:admin" {
			t.Fatalf("bob's role %q", roleOf(bobID))
		}
		e.browser().fails("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {ticket}, "password": {pw}},
			400, "invitation_already_accepted")

		// An address with an account: the link lands on sign-in, and the
		// ticket alone signs in and joins.
		carol := e.userWithPassword("carol@example.com")
		invite("carol@example.com", "org:member")
		loc = e.land(e.invitationLink("carol@example.com"))
		if loc.Path != "/sign-in" || loc.Query().Get("__clerk_status") != "sign_in" {
			t.Fatalf("existing address lands on %s", loc)
		}
		si := e.browser().ok("POST", "/v1/client/sign_ins", url.Values{"strategy": {"ticket"}, "ticket": {loc.Query().Get("__clerk_ticket")}})
		if get(si, "response", "status") != "complete" || roleOf(carol) != "org:member" {
			t.Fatalf("sign-in with ticket: %v (role %q)", si, roleOf(carol))
		}
		// A ticket for a new address cannot sign in.
		invite("nobody@example.com", "org:member")
		e.browser().fails("POST", "/v1/client/sign_ins", url.Values{"strategy": {"ticket"},
			"ticket": {e.land(e.invitationLink("nobody@example.com")).Query().Get("__clerk_ticket")}}, 400, "invitation_account_not_exists")
		e.browser().fails("POST", "/v1/client/sign_ins", url.Values{"strategy": {"ticket"}, "ticket": {"forged.ticket.value"}}, 400, "ticket_invalid_code")

		// A signed-in invitee sees their invitation and accepts it; it is
		// nobody else's to accept.
		dave := e.userWithPassword("dave@example.com")
		inv := invite("dave@example.com", "org:member")
		db, eve := e.browser(), e.browser()
		db.signIn("dave@example.com", pw)
		e.userWithPassword("eve@example.com")
		eve.signIn("eve@example.com", pw)
		list := db.ok("GET", "/v1/me/organization_invitations?status=pending", nil)
		if get(list, "response", "total_count") != float64(1) || get(list, "response", "data", 0, "id") != inv.ID ||
			get(list, "response", "data", 0, "public_organization_data", "name") != "Acme" {
			t.Fatalf("my invitations: %v", list)
		}
		eve.fails("POST", "/v1/me/organization_invitations/"+inv.ID+"/accept", nil, 404, "resource_not_found")
		acc := db.ok("POST", "/v1/me/organization_invitations/"+inv.ID+"/accept", nil)
		if get(acc, "response", "status") != "accepted" || roleOf(dave) != "org:member" {
			t.Fatalf("accept: %v (role %q)", acc, roleOf(dave))
		}
		if get(acc, "client", "sessions", 0, "user", "organization_memberships", 0, "organization", "id") != acme.ID {
			t.Fatalf("the client's user does not show the membership: %v", get(acc, "client"))
		}
		db.fails("POST", "/v1/me/organization_invitations/"+inv.ID+"/accept", nil, 400, "organization_invitation_not_pending")
		got, err := invs.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme.ID, ID: inv.ID})
		if err != nil || got.Status != "accepted" {
			t.Fatalf("accepted invitation reads %v %+v", err, got)
		}
	})
}

// TestFrontendOrganizationInvitations: an admin invites one address or
// several from the Frontend API, lists and revokes; a member cannot.
func TestFrontendOrganizationInvitations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		if err := e.app.Settings.Set(ctx, instance.Organizations, "true"); err != nil {
			t.Fatal(err)
		}
		adaID := e.userWithPassword("ada@example.com")
		bobID := e.userWithPassword("bob@example.com")
		ada, bob := e.browser(), e.browser()
		ada.signIn("ada@example.com", pw)
		bob.signIn("bob@example.com", pw)
		orgID, _ := get(ada.ok("POST", "/v1/organizations", url.Values{"name": {"Front"}}), "response", "id").(string)
		// A user's create_organizations_limit counts what they created.
		if _, err := e.users.Update(ctx, adaID, &clerkuser.UpdateParams{CreateOrganizationsLimit: ptr(1)}); err != nil {
			t.Fatal(err)
		}
		ada.fails("POST", "/v1/organizations", url.Values{"name": {"Second"}}, 403, "organization_creation_limit_exceeded")
		ada.ok("POST", "/v1/organizations/"+orgID+"/memberships", url.Values{"user_id": {bobID}, "role": {"org:member"}})

		one := ada.ok("POST", "/v1/organizations/"+orgID+"/invitations", url.Values{"email_address": {"carol@example.com"}, "role": {"org:member"},
			"redirect_url": {"https://evil.example/phish"}})
		// A member cannot make the link land elsewhere.
		if loc := e.land(e.invitationLink("carol@example.com")); loc.Host == "evil.example" || loc.Path != "/sign-up" {
			t.Fatalf("the invitation link lands on %s", loc)
		}
		invID, _ := get(one, "response", "id").(string)
		if get(one, "response", "object") != "organization_invitation" || get(one, "response", "status") != "pending" ||
			get(one, "response", "role_name") != "Member" || get(one, "response", "private_metadata") != nil {
			t.Fatalf("invite: %v", one)
		}
		many := ada.ok("POST", "/v1/organizations/"+orgID+"/invitations/bulk", url.Values{"email_address": {"dave@example.com", "erin@example.com"}, "role": {"org:admin"}})
		if arr, ok := many["response"].([]any); !ok || len(arr) != 2 {
			t.Fatalf("bulk invite: %v", many)
		}
		ada.fails("POST", "/v1/organizations/"+orgID+"/invitations", url.Values{"email_address": {"bob@example.com"}, "role": {"org:member"}}, 400, "already_a_member_in_organization")
		bob.fails("POST", "/v1/organizations/"+orgID+"/invitations", url.Values{"email_address": {"x@example.com"}, "role": {"org:member"}}, 403, "missing_organization_permission")
		list := ada.ok("GET", "/v1/organizations/"+orgID+"/invitations?paginated=true&status=pending", nil)
		if get(list, "response", "total_count") != float64(3) {
			t.Fatalf("list: %v", list)
		}
		bob.fails("POST", "/v1/organizations/"+orgID+"/invitations/"+invID+"/revoke", nil, 403, "missing_organization_permission")
		if rv := ada.ok("POST", "/v1/organizations/"+orgID+"/invitations/"+invID+"/revoke", nil); get(rv, "response", "status") != "revoked" {
			t.Fatalf("revoke: %v", rv)
		}
		if msgs, err := e.db.MessagesTo(ctx, "erin@example.com"); err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "Front") {
			t.Fatalf("erin's invitation email: %v %+v", err, msgs)
		}
	})
}
