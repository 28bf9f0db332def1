package clerkjs_test

import (
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestOrganizationComponents: with organizations turned on, a signed-in
// user creates an organization in CreateOrganization; OrganizationSwitcher
// lists it and switches between it and the personal account, and the
// session token's o claim follows; OrganizationProfile lists the creator
// as Admin and renames the organization; OrganizationList lists it. Calls
// the components make that Concierge does not answer are reported.
func TestOrganizationComponents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.organizations()
		e.alice()
		fails := e.watchFailures()
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		e.unmount("mountSignIn")

		// CreateOrganization: the name; the slug follows it.
		e.mount("mountCreateOrganization")
		e.typeInto(`input[name="name"]`, "Acme Rockets")
		e.waitJS(`document.querySelector('input[name="slug"]').value === 'acme-rockets'`)
		e.shot("create-organization")
		e.click(primary)
		e.waitJS(`Clerk.organization && Clerk.organization.name === 'Acme Rockets'`)
		orgs := e.backendOrganizations()
		if len(orgs) != 1 || orgs[0].Name != "Acme Rockets" || orgs[0].Slug != "acme-rockets" {
			t.Fatalf("Backend API organizations: %+v", orgs)
		}
		org := orgs[0]
		if got := eval[string](e, `Clerk.organization.id`); got != org.ID {
			t.Fatalf("active organization %s, want %s", got, org.ID)
		}
		// The invitation step follows the form; it is not tested here.
		e.unmount("mountCreateOrganization")

		// OrganizationSwitcher: the active organization, then the
		// personal account, then the organization again.
		e.mount("mountOrganizationSwitcher")
		e.waitShown(fails, `document.querySelector('.cl-organizationSwitcherTrigger')?.innerText.includes('Acme Rockets')`)
		e.checkOrgClaim(org.ID, "acme-rockets")
		e.click(`.cl-organizationSwitcherTrigger`)
		e.waitShown(fails, `/Acme Rockets\s+Admin/.test(document.querySelector('.cl-organizationSwitcherPopoverCard')?.innerText)`)
		e.shot("organization-switcher")
		e.click(`.cl-organizationSwitcherPreviewButton__personal`)
		e.waitJS(`!Clerk.organization`)
		if o := e.orgClaim(); o != nil {
			t.Fatalf("personal account: o claim %+v", o)
		}
		e.waitJS(`!document.querySelector('.cl-organizationSwitcherPopoverCard')`)
		e.click(`.cl-organizationSwitcherTrigger`)
		e.click(`.cl-organizationSwitcherPreviewButton__organization`)
		e.waitJS(`Clerk.organization?.id === ` + jsString(org.ID))
		e.checkOrgClaim(org.ID, "acme-rockets")
		e.unmount("mountOrganizationSwitcher")

		// OrganizationProfile: the members page, then General's rename.
		e.mount("mountOrganizationProfile")
		e.click(`.cl-navbarButton__members`)
		e.waitShown(fails, `[...document.querySelectorAll('tbody tr')].some(r => r.innerText.includes('alice@example.com') && r.innerText.includes('Admin'))`)
		e.shot("organization-members")
		e.click(`.cl-navbarButton__general`)
		e.clickText("Update profile")
		e.typeInto(`input[name="name"]`, "Acme Spaceships")
		e.clickText("Save")
		e.waitJS(`Clerk.organization.name === 'Acme Spaceships'`)
		if orgs := e.backendOrganizations(); len(orgs) != 1 || orgs[0].ID != org.ID || orgs[0].Name != "Acme Spaceships" || orgs[0].Slug != "acme-rockets" {
			t.Fatalf("after the rename, Backend API organizations: %+v", orgs)
		}
		e.shot("organization-general")
		e.unmount("mountOrganizationProfile")

		// OrganizationList, on a fresh page: the list clerk-js cached
		// before the rename is not fetched again. The active
		// organization outlives the reload.
		e.load()
		e.waitJS(`Clerk.organization?.id === ` + jsString(org.ID))
		for path, err := range e.listErrors() {
			if pendingOrgFeature.MatchString(path) {
				t.Logf("GET %s, pending feature: %s", path, err)
			} else {
				t.Errorf("GET %s: %s", path, err)
			}
		}
		e.mount("mountOrganizationList")
		// OrganizationList waits for the user's invitations and
		// suggestions as well as memberships.
		e.waitShown(fails, `[...document.querySelectorAll('.cl-organizationListPreviewButton')].some(b => b.innerText.includes('Acme Spaceships'))`)
		e.shot("organization-list")

		for _, f := range fails.report(e) {
			if pendingOrgFeature.MatchString(f) {
				t.Logf("not answered yet (pending feature): %s", f)
			} else {
				t.Errorf("failed request: %s", f)
			}
		}
		t.Logf("Frontend API calls: %v", e.rec.calls)
	})
}

// unmount unmounts a component mounted with mount, by its mount
// function's name.
func (e *env) unmount(component string) {
	e.t.Helper()
	eval[bool](e, `Clerk.un`+component+`(document.getElementById('app')), true`)
}

// checkOrgClaim checks the session token's o claim names the organization
// with the creator's role, admin.
func (e *env) checkOrgClaim(id, slug string) {
	e.t.Helper()
	o := e.orgClaim()
	if o == nil || o.ID != id || o.Slug != slug || o.Role != "admin" {
		e.t.Fatalf("o claim %+v, want {%s %s admin}", o, id, slug)
	}
}
