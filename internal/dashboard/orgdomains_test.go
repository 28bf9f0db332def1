package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/organization"
)

// TestOrganizationDomains walks the organization page's domains over
// HTTP: add (verified), the rules' refusals shown in the section, the
// enrolment mode, vouching for a domain the Frontend API left
// unverified, delete; each change read back from the store.
func TestOrganizationDomains(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		acme, globex := mustCreateOrg(t, e, "Acme", ""), mustCreateOrg(t, e, "Globex", "")
		page := "/dashboard/organizations/" + acme.ID

		if st, _, _ := c.post(page+"/domains", url.Values{"name": {"acme.test"}, "enrollment_mode": {organization.ManualInvitation}}); st != 403 {
			t.Fatalf("a domain without a token: %d", st)
		}
		if ds := mustDomains(t, e, acme.ID); len(ds) != 0 {
			t.Fatalf("a refused form added a domain: %+v", ds[0])
		}

		st, _ := post(page+"/domains", url.Values{"name": {" ACME.test "}, "enrollment_mode": {organization.AutomaticInvitation}})
		if st != 303 {
			t.Fatalf("add acme.test: %d", st)
		}
		ds := mustDomains(t, e, acme.ID)
		if len(ds) != 1 || ds[0].Name != "acme.test" || !ds[0].Verified() || ds[0].EnrollmentMode != organization.AutomaticInvitation {
			t.Fatalf("after adding acme.test: %+v", ds)
		}
		dom := ds[0]
		_, body, _ := c.get(page)
		if !strings.Contains(body, "<td>acme.test</td>") || !strings.Contains(body, `<span class="badge">verified</span>`) ||
			!strings.Contains(body, `<option value="automatic_invitation" selected>`) ||
			!strings.Contains(body, `action="`+page+`/domains/`+dom.ID+`/delete"`) {
			t.Fatalf("the domains table: %s", body)
		}

		// Refusals, shown in the section with what was typed.
		refused := map[string]struct {
			page, name, mode, want string
		}{
			"held already":          {page, "acme.test", organization.ManualInvitation, "This domain is already an organization&#39;s"},
			"another's, verified":   {"/dashboard/organizations/" + globex.ID, "acme.test", organization.ManualInvitation, "This domain is already an organization&#39;s"},
			"a common email domain": {page, "gmail.com", organization.ManualInvitation, "Domains of public email providers"},
			"not a domain":          {page, "not a domain", organization.ManualInvitation, `value="not a domain"`},
			"an unknown mode":       {page, "beta.test", "automatic_everything", "automatic_everything does not match"},
		}
		for name, x := range refused {
			st, body := post(x.page+"/domains", url.Values{"name": {x.name}, "enrollment_mode": {x.mode}})
			if st != 422 || !strings.Contains(body, x.want) || !strings.Contains(body, `id="domains-error"`) {
				t.Errorf("%s: %d, want 422 with %q in the section", name, st, x.want)
			}
		}
		if n := len(mustDomains(t, e, acme.ID)) + len(mustDomains(t, e, globex.ID)); n != 1 {
			t.Fatalf("%d domains after the refusals", n)
		}

		// The mode changes; another organization's domain is not found
		// through this one.
		if st, _ := post(page+"/domains/"+dom.ID+"/update", url.Values{"enrollment_mode": {organization.AutomaticSuggestion}}); st != 303 {
			t.Fatalf("change the mode: %d", st)
		}
		if d := mustDomains(t, e, acme.ID)[0]; d.EnrollmentMode != organization.AutomaticSuggestion || !d.Verified() {
			t.Fatalf("after the mode change: %+v", d)
		}
		other := "/dashboard/organizations/" + globex.ID + "/domains/" + dom.ID
		for _, path := range []string{other + "/update", other + "/delete"} {
			if st, body := post(path, url.Values{"enrollment_mode": {organization.ManualInvitation}}); st != 422 ||
				!strings.Contains(body, "No organization domain was found") {
				t.Errorf("POST %s: %d, want the domain not found", path, st)
			}
		}
		if d := mustDomains(t, e, acme.ID)[0]; d.EnrollmentMode != organization.AutomaticSuggestion {
			t.Fatalf("changed through another organization: %+v", d)
		}

		// A domain the Frontend API added, not yet verified, enrols nobody
		// until the operator vouches for it.
		name := "beta.test"
		beta, err := e.app.API.Organizations.AddDomain(ctx, acme.ID, organization.DomainParams{Name: &name}, false)
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ = c.get(page)
		if !strings.Contains(body, `<span class="badge bad">not verified</span>`) || strings.Count(body, `name="verified" value="true"`) != 1 {
			t.Fatalf("the unverified domain: %s", body)
		}
		st, body = post(page+"/domains/"+beta.ID+"/update", url.Values{"enrollment_mode": {organization.AutomaticInvitation}})
		if st != 422 || !strings.Contains(body, "Only a verified domain can enrol users") || !strings.Contains(body, `id="domains-error"`) {
			t.Fatalf("enrolling through an unverified domain: %d", st)
		}
		if d := mustDomain(t, e, beta.ID); d.Verified() || d.EnrollmentMode != organization.ManualInvitation {
			t.Fatalf("after the refusal: %+v", d)
		}
		st, _ = post(page+"/domains/"+beta.ID+"/update", url.Values{"enrollment_mode": {organization.AutomaticInvitation}, "verified": {"true"}})
		if d := mustDomain(t, e, beta.ID); st != 303 || !d.Verified() || d.EnrollmentMode != organization.AutomaticInvitation {
			t.Fatalf("vouched for: %d %+v", st, d)
		}

		// Delete: once.
		if st, _ := post(page+"/domains/"+dom.ID+"/delete", url.Values{}); st != 303 {
			t.Fatalf("delete: %d", st)
		}
		if ds := mustDomains(t, e, acme.ID); len(ds) != 1 || ds[0].ID != beta.ID {
			t.Fatalf("after the delete: %+v", ds)
		}
		if st, body := post(page+"/domains/"+dom.ID+"/delete", url.Values{}); st != 422 || !strings.Contains(body, "No organization domain was found") {
			t.Fatalf("delete again: %d", st)
		}
		// Freed, the name may be another organization's.
		if st, _ := post("/dashboard/organizations/"+globex.ID+"/domains", url.Values{"name": {"acme.test"}, "enrollment_mode": {organization.ManualInvitation}}); st != 303 {
			t.Fatalf("acme.test for Globex: %d", st)
		}
	})
}

func mustDomains(t testing.TB, e *env, orgID string) []*organization.Domain {
	t.Helper()
	list, _, err := e.app.API.Organizations.Store.ListDomains(context.Background(), organization.DomainQuery{OrganizationID: orgID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func mustDomain(t testing.TB, e *env, id string) *organization.Domain {
	t.Helper()
	d, err := e.app.API.Organizations.Store.Domain(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
