package clerkjs_test

import (
	"context"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/user"
)

// TestOrganizationComponents: with organizations turned on, a signed-in
// user creates an organization in CreateOrganization; OrganizationSwitcher
// lists it and switches between it and the personal account, and the
// session token's o claim follows; OrganizationProfile lists the creator
// as Admin and renames the organization; OrganizationList lists it. A
// call of theirs that Concierge does not answer fails the test.
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
			t.Errorf("GET %s: %s", path, err)
		}
		e.mount("mountOrganizationList")
		// OrganizationList waits for the user's invitations and
		// suggestions as well as memberships.
		e.waitShown(fails, `[...document.querySelectorAll('.cl-organizationListPreviewButton')].some(b => b.innerText.includes('Acme Spaceships'))`)
		e.shot("organization-list")

		fails.check(e)
		t.Logf("Frontend API calls: %v", e.rec.seen())
	})
}

// TestOrganizationDomainSuggestion: an organization's verified domain in
// automatic_suggestion mode makes OrganizationSwitcher suggest it to a
// new user with an address there, who asks to join from it;
// OrganizationList shows the request pending; the admin approves it in
// OrganizationProfile's Requests tab, and the user is a member.
func TestOrganizationDomainSuggestion(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.organizations()
		if err := e.a.Settings.Set(context.Background(), instance.OrganizationDomains, "true"); err != nil {
			t.Fatal(err)
		}
		e.alice()
		fails := e.watchFailures()
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		e.unmount("mountSignIn")
		orgID := eval[string](e, `(async () => { const o = await Clerk.createOrganization({name: 'Acme Rockets'});
			await Clerk.setActive({organization: o.id}); return o.id; })()`)
		var dom struct {
			Name           string
			EnrollmentMode string `json:"enrollment_mode"`
			Verification   *struct{ Status string }
		}
		e.backend("POST", "/v1/organizations/"+orgID+"/domains", map[string]any{"name": "acme.test", "enrollment_mode": "automatic_suggestion"}, &dom)
		if dom.Name != "acme.test" || dom.EnrollmentMode != "automatic_suggestion" || dom.Verification == nil || dom.Verification.Status != "verified" {
			t.Fatalf("domain: %+v", dom)
		}

		// Carol, new, at the domain, in her own browser.
		pw := "carol's long password"
		carolUser, err := e.a.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{"carol@acme.test"}, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		carol := e.freshBrowser()
		carolFails := carol.watchFailures()
		carol.load()
		carol.signIn("carol@acme.test", pw)
		carol.waitJS(`window.Clerk.user`)
		carol.unmount("mountSignIn")
		carol.mount("mountOrganizationSwitcher")
		carol.click(`.cl-organizationSwitcherTrigger`)
		const popover = `document.querySelector('.cl-organizationSwitcherPopoverCard')?.innerText`
		carol.waitShown(carolFails, popover+`?.includes('Acme Rockets') && `+popover+`.includes('Request to join')`)
		carol.shot("carol-suggestion")
		carol.click(`.cl-organizationSwitcherInvitationAcceptButton`)
		carol.waitShown(carolFails, popover+`?.includes('Pending approval')`)
		carol.unmount("mountOrganizationSwitcher")
		carol.load()
		carol.mount("mountOrganizationList")
		carol.waitShown(carolFails, `/Acme Rockets[\s\S]*Pending approval/.test(document.getElementById('app').innerText)`)
		carol.shot("carol-organization-list")

		// The admin approves the request.
		e.load()
		e.waitJS(`Clerk.organization?.id === ` + jsString(orgID))
		e.mount("mountOrganizationProfile")
		e.click(`.cl-navbarButton__members`)
		e.clickTab("Requests")
		e.waitShown(fails, rowWith("carol@acme.test"))
		e.shot("organization-requests")
		e.clickText("Approve")
		e.waitShown(fails, `!document.querySelector('tbody')?.innerText.includes('carol@acme.test')`)
		if role := e.backendRole(orgID, carolUser.ID); role != "org:member" {
			t.Fatalf("carol's role on the Backend API: %q", role)
		}

		// Carol's list now has the organization, which she switches to.
		carol.load()
		carol.mount("mountOrganizationList")
		carol.waitShown(carolFails, `[...document.querySelectorAll('.cl-organizationListPreviewButton')].some(b => b.innerText.includes('Acme Rockets'))`)
		eval[bool](carol, `Clerk.setActive({organization: `+jsString(orgID)+`}).then(() => true)`)
		if o := carol.orgClaim(); o == nil || o.ID != orgID || o.Role != "member" {
			t.Fatalf("carol's o claim %+v", o)
		}

		fails.check(e)
		carolFails.check(carol)
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
