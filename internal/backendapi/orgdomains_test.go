package backendapi_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func (e *env) orgDomains() *organizationdomain.Client {
	return organizationdomain.NewClient(e.sdkConfig())
}

// TestOrganizationDomains drives the Backend API's domain routes through
// clerk-sdk-go: verified by default, one organization per verified name,
// public email providers refused, modes changed, deleted.
func TestOrganizationDomains(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		orgs, _ := e.orgClients()
		doms := e.orgDomains()
		acme, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		other, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other")})
		if err != nil {
			t.Fatal(err)
		}
		d, err := doms.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: clerk.String(" Acme.Example "), EnrollmentMode: clerk.String("automatic_suggestion")})
		if err != nil || d.Object != "organization_domain" || d.Name != "acme.example" || d.EnrollmentMode != "automatic_suggestion" ||
			d.Verification == nil || d.Verification.Status != "verified" || d.OrganizationID != acme.ID {
			t.Fatalf("create: %v %+v", err, d)
		}
		_, err = doms.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: clerk.String("gmail.com")})
		apiErr(t, err, 422, "organization_domain_common")
		_, err = doms.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: clerk.String("not a domain")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = doms.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: clerk.String("acme.example"), Verified: clerk.Bool(false)})
		apiErr(t, err, 422, "organization_domain_exists")
		_, err = doms.Create(ctx, other.ID, &organizationdomain.CreateParams{Name: clerk.String("acme.example")})
		apiErr(t, err, 422, "organization_domain_exists")
		_, err = doms.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: clerk.String("x.example"), EnrollmentMode: clerk.String("sometimes")})
		apiErr(t, err, 422, "form_param_value_invalid")
		// Unverified, another organization may hold the name too.
		claim, err := doms.Create(ctx, other.ID, &organizationdomain.CreateParams{Name: clerk.String("acme.example"), Verified: clerk.Bool(false)})
		if err != nil || claim.Verification != nil {
			t.Fatalf("unverified claim: %v %+v", err, claim)
		}
		_, err = doms.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: other.ID, DomainID: claim.ID, EnrollmentMode: clerk.String("automatic_invitation")})
		apiErr(t, err, 400, "organization_domain_not_verified")
		_, err = doms.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: other.ID, DomainID: claim.ID, Verified: clerk.Bool(true)})
		apiErr(t, err, 422, "organization_domain_exists")

		up, err := doms.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acme.ID, DomainID: d.ID, EnrollmentMode: clerk.String("manual_invitation")})
		if err != nil || up.EnrollmentMode != "manual_invitation" {
			t.Fatalf("update: %v %+v", err, up)
		}
		list, err := doms.List(ctx, acme.ID, &organizationdomain.ListParams{})
		if err != nil || list.TotalCount != 1 || list.OrganizationDomains[0].ID != d.ID {
			t.Fatalf("list: %v %+v", err, list)
		}
		_, err = doms.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: other.ID, DomainID: d.ID, EnrollmentMode: clerk.String("manual_invitation")})
		apiErr(t, err, 404, "resource_not_found")
		if del, err := doms.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acme.ID, DomainID: d.ID}); err != nil || !del.Deleted {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = doms.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acme.ID, DomainID: d.ID})
		apiErr(t, err, 404, "resource_not_found")
	})
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// TestDomainEnrolment: an admin adds a domain from the Frontend API and
// verifies it with the code emailed to an address there; in
// automatic_suggestion mode a new user with an address at it is
// suggested the organization and asks to join, and an admin accepts; in
// automatic_invitation mode the user finds an invitation.
func TestDomainEnrolment(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		if err := e.app.Settings.Set(ctx, instance.Organizations, "true"); err != nil {
			t.Fatal(err)
		}
		_, mems := e.orgClients()
		e.userWithPassword("ada@acme.test")
		ada := e.browser()
		ada.signIn("ada@acme.test", pw)
		orgID, _ := get(ada.ok("POST", "/v1/organizations", url.Values{"name": {"Acme"}}), "response", "id").(string)

		base := "/v1/organizations/" + orgID + "/domains"
		ada.fails("POST", base, url.Values{"name": {"acme.test"}}, 403, "organization_domains_not_enabled")
		if err := e.app.Settings.Set(ctx, instance.OrganizationDomains, "true"); err != nil {
			t.Fatal(err)
		}
		if env := ada.ok("GET", "/v1/environment", nil); get(env, "organization_settings", "domains", "enabled") != true {
			t.Fatalf("environment: %v", env["organization_settings"])
		}
		out := ada.ok("POST", base, url.Values{"name": {"acme.test"}})
		domID, _ := get(out, "response", "id").(string)
		if get(out, "response", "verification") != nil || get(out, "response", "enrollment_mode") != "manual_invitation" {
			t.Fatalf("added: %v", out)
		}
		ada.fails("POST", base+"/"+domID+"/update_enrollment_mode", url.Values{"enrollment_mode": {"automatic_suggestion"}}, 400, "organization_domain_not_verified")
		ada.fails("POST", base+"/"+domID+"/prepare_affiliation_verification", url.Values{"affiliation_email_address": {"it@elsewhere.test"}}, 422, "organization_domain_mismatch")
		out = ada.ok("POST", base+"/"+domID+"/prepare_affiliation_verification", url.Values{"affiliation_email_address": {"it@acme.test"}})
		if get(out, "response", "affiliation_verification", "status") != "unverified" || get(out, "response", "affiliation_email_address") != "it@acme.test" {
			t.Fatalf("prepared: %v", out)
		}
		msgs, err := e.db.MessagesTo(ctx, "it@acme.test")
		if err != nil || len(msgs) != 1 {
			t.Fatalf("code email: %v %v", err, msgs)
		}
		code := codeRE.FindString(msgs[0].Body)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		ada.fails("POST", base+"/"+domID+"/attempt_affiliation_verification", url.Values{"code": {wrong}}, 422, "form_code_incorrect")
		out = ada.ok("POST", base+"/"+domID+"/attempt_affiliation_verification", url.Values{"code": {code}})
		if get(out, "response", "verification", "status") != "verified" {
			t.Fatalf("verified: %v", out)
		}
		ada.ok("POST", base+"/"+domID+"/update_enrollment_mode", url.Values{"enrollment_mode": {"automatic_suggestion"}})

		// Carol, new, at the domain: suggested, asks, is accepted.
		carol := e.userWithPassword("carol@acme.test")
		c := e.browser()
		c.signIn("carol@acme.test", pw)
		sug := c.ok("GET", "/v1/me/organization_suggestions?status=pending,accepted", nil)
		sugID, _ := get(sug, "response", "data", 0, "id").(string)
		if get(sug, "response", "total_count") != float64(1) || get(sug, "response", "data", 0, "public_organization_data", "name") != "Acme" ||
			get(sug, "response", "data", 0, "status") != "pending" {
			t.Fatalf("suggestions: %v", sug)
		}
		if acc := c.ok("POST", "/v1/me/organization_suggestions/"+sugID+"/accept", nil); get(acc, "response", "status") != "accepted" {
			t.Fatalf("accept suggestion: %v", acc)
		}
		c.fails("POST", "/v1/me/organization_suggestions/orgsug_nope/accept", nil, 404, "resource_not_found")
		c.fails("GET", "/v1/organizations/"+orgID+"/membership_requests", nil, 404, "organization_not_found_or_unauthorized")
		reqs := ada.ok("GET", "/v1/organizations/"+orgID+"/membership_requests?status=pending", nil)
		reqID, _ := get(reqs, "response", "data", 0, "id").(string)
		if get(reqs, "response", "total_count") != float64(1) || get(reqs, "response", "data", 0, "public_user_data", "identifier") != "carol@acme.test" {
			t.Fatalf("requests: %v", reqs)
		}
		if acc := ada.ok("POST", "/v1/organizations/"+orgID+"/membership_requests/"+reqID+"/accept", nil); get(acc, "response", "status") != "accepted" {
			t.Fatalf("accept request: %v", acc)
		}
		ada.fails("POST", "/v1/organizations/"+orgID+"/membership_requests/"+reqID+"/reject", nil, 400, "organization_membership_request_not_pending")
		ms, err := mems.List(ctx, &organizationmembership.ListParams{OrganizationID: orgID, UserIDs: []string{carol}})
		if err != nil || len(ms.OrganizationMemberships) != 1 || ms.OrganizationMemberships[0].Role != "org:member" {
			t.Fatalf("carol's membership: %v %+v", err, ms)
		}
		if sug := c.ok("GET", "/v1/me/organization_suggestions", nil); get(sug, "response", "total_count") != float64(0) {
			t.Fatalf("a member is still suggested: %v", sug)
		}
		// A member cannot add domains.
		c.fails("POST", base, url.Values{"name": {"carol.test"}}, 403, "missing_organization_permission")

		// Automatic invitations: Dan finds one, once.
		ada.ok("POST", base+"/"+domID+"/update_enrollment_mode", url.Values{"enrollment_mode": {"automatic_invitation"}})
		dan := e.userWithPassword("dan@acme.test")
		d := e.browser()
		d.signIn("dan@acme.test", pw)
		invs := d.ok("GET", "/v1/me/organization_invitations?status=pending", nil)
		invID, _ := get(invs, "response", "data", 0, "id").(string)
		if get(invs, "response", "total_count") != float64(1) || get(invs, "response", "data", 0, "role") != "org:member" {
			t.Fatalf("automatic invitation: %v", invs)
		}
		if again := d.ok("GET", "/v1/me/organization_invitations", nil); get(again, "response", "total_count") != float64(1) {
			t.Fatalf("invited twice: %v", again)
		}
		if dom := ada.ok("GET", base+"/"+domID, nil); get(dom, "response", "total_pending_invitations") != float64(1) {
			t.Fatalf("domain's pending invitations: %v", dom)
		}
		d.ok("POST", "/v1/me/organization_invitations/"+invID+"/accept", nil)
		if ms, err := mems.List(ctx, &organizationmembership.ListParams{OrganizationID: orgID, UserIDs: []string{dan}}); err != nil || len(ms.OrganizationMemberships) != 1 {
			t.Fatalf("dan's membership: %v %+v", err, ms)
		}
		if del := ada.ok("DELETE", base+"/"+domID, nil); get(del, "response", "deleted") != true {
			t.Fatalf("delete: %v", del)
		}
	})
}
