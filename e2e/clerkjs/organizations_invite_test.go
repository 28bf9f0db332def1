package clerkjs_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestOrganizationInvitation: the admin invites an address from
// OrganizationProfile's Members page, sees it in the Invitations tab,
// and revokes it there; the emailed link lands on the hosted sign-up
// with the ticket. An invitation made through the Backend API with the
// application as redirect_url lands, in another browser, on the page
// whose SignUp takes the ticket: the invitee signs up with a password
// only, and is a member, on the Backend API and in the admin's Members
// page. His session switched to the organization carries role member,
// then, given a custom role, its custom permission, as @clerk/backend
// reads the token.
func TestOrganizationInvitation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.organizations()
		aliceID := e.alice()
		fails := e.watchFailures()
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		e.unmount("mountSignIn")
		orgID := eval[string](e, `(async () => { const o = await Clerk.createOrganization({name: 'Acme Rockets'});
			await Clerk.setActive({organization: o.id}); return o.id; })()`)

		// OrganizationProfile: invite, then find the invitation in its
		// tab.
		e.mount("mountOrganizationProfile")
		e.click(`.cl-navbarButton__members`)
		e.waitShown(fails, rowWith("alice@example.com", "Admin"))
		e.clickText("Invite")
		// Leaving the field makes the address a tag (a typed comma would
		// stay in the field, which the form then refuses).
		e.typeInto(`.cl-tagInputContainer input`, "bob@example.com")
		e.do(chromedp.Blur(chromedp.CSS(`.cl-tagInputContainer input`)))
		e.waitJS(`document.querySelector('.cl-tagPillContainer')?.innerText.includes('bob@example.com')`)
		e.click(`.cl-selectButton__role`)
		e.clickOption(`.cl-selectOption__role`, "Member")
		e.waitJS(`document.querySelector('.cl-selectButton__role').innerText.includes('Member')`)
		e.shot("invite-members")
		e.clickText("Send invitations")
		e.waitShown(fails, `document.querySelector('.cl-invitationsSentIconBox')`)
		e.clickText("Finish")
		e.clickTab("Invitations")
		e.waitShown(fails, rowWith("bob@example.com", "Member"))
		e.shot("organization-invitations")
		invs := e.backendInvitations(orgID, "bob@example.com")
		if len(invs) != 1 || invs[0].Status != "pending" || invs[0].Role != "org:member" {
			t.Fatalf("Backend API invitations after the invite: %+v", invs)
		}
		// The link of its email lands on the hosted sign-up: no
		// redirect_url could be given from the browser.
		first := e.invitationLink(1, "bob@example.com")
		if loc := land(t, first); loc.Path != "/sign-up" || loc.Query().Get("__clerk_status") != "sign_up" || loc.Query().Get("__clerk_ticket") == "" {
			t.Fatalf("the invitation link lands on %s", loc)
		}
		e.click(`tbody tr .cl-menuButtonEllipsis`)
		e.clickText("Revoke invitation")
		e.waitShown(fails, `!document.querySelector('tbody')?.innerText.includes('bob@example.com')`)
		if invs := e.backendInvitations(orgID, "bob@example.com"); len(invs) != 1 || invs[0].Status != "revoked" {
			t.Fatalf("Backend API invitations after revoking: %+v", invs)
		}
		if loc := land(t, first); loc.Query().Get("__clerk_error") != "revoked_invitation" {
			t.Fatalf("the revoked invitation's link lands on %s", loc)
		}
		e.unmount("mountOrganizationProfile")

		// The invitation that comes back to the application.
		var inv orgInvitation
		e.backend("POST", "/v1/organizations/"+orgID+"/invitations", map[string]any{"email_address": "bob@example.com",
			"role": "org:member", "inviter_user_id": aliceID, "redirect_url": e.app + "/"}, &inv)
		bob := e.freshBrowser()
		bobFails := bob.watchFailures()
		bob.do(chromedp.Navigate("about:blank"))
		bob.console()
		bob.do(chromedp.Navigate(e.invitationLink(2, "bob@example.com")))
		bob.waitJS(`window.__loaded`)
		landed, _ := url.Parse(eval[string](bob, `location.href`))
		if landed.Query().Get("__clerk_ticket") == "" || landed.Query().Get("__clerk_status") != "sign_up" || !strings.HasPrefix(landed.String(), e.app+"/") {
			t.Fatalf("bob landed on %s", landed)
		}
		if eval[bool](bob, `!!Clerk.user`) {
			t.Fatal("bob's fresh browser is signed in")
		}
		bob.mount("mountSignUp")
		// The ticket gives the address: SignUp asks for the password.
		bob.typeInto(`input[name="password"]`, "bob's long password")
		bob.shot("bob-signup")
		bob.click(primary)
		bob.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](bob, `Clerk.user.primaryEmailAddress.emailAddress`); got != "bob@example.com" {
			t.Fatalf("bob signed up as %s", got)
		}
		bobID := eval[string](bob, `Clerk.user.id`)
		if role := e.backendRole(orgID, bobID); role != "org:member" {
			t.Fatalf("bob's role on the Backend API: %q", role)
		}
		if invs := e.backendInvitations(orgID, "bob@example.com"); len(invs) != 2 || invs[0].ID != inv.ID || invs[0].Status != "accepted" {
			t.Fatalf("Backend API invitations after the sign-up: %+v", invs)
		}
		if n := len(e.mail.Messages()); n != 2 {
			t.Fatalf("%d emails: a ticket sign-up needs no code", n)
		}

		// The admin's Members page lists him, on a fresh page: clerk-js
		// keeps the list it fetched before for the page's life.
		e.load()
		e.waitJS(`Clerk.organization?.id === ` + jsString(orgID))
		e.mount("mountOrganizationProfile")
		e.click(`.cl-navbarButton__members`)
		e.waitShown(fails, rowWith("bob@example.com", "Member"))
		e.shot("organization-members-bob")
		e.unmount("mountOrganizationProfile")

		// Bob's session in the organization.
		eval[bool](bob, `Clerk.setActive({organization: `+jsString(orgID)+`}).then(() => true)`)
		bob.waitJS(`Clerk.organization?.id === ` + jsString(orgID))
		jwt, claims := bob.sessionToken()
		if o := claims.Org; o == nil || o.ID != orgID || o.Slug != "acme-rockets" || o.Role != "member" || o.Permissions != "" || claims.Features != "" {
			t.Fatalf("bob's o claim %+v, fea %q", o, claims.Features)
		}
		e.orgClaimsRead(jwt, orgID, "acme-rockets", "org:member")

		// A custom role with a custom permission.
		e.backend("POST", "/v1/organization_permissions", map[string]any{"name": "Read invoices", "key": "org:invoices:read"}, nil)
		e.backend("POST", "/v1/organization_roles", map[string]any{"name": "Billing", "key": "org:billing",
			"permissions": []string{"org:invoices:read"}}, nil)
		e.backend("PATCH", "/v1/organizations/"+orgID+"/memberships/"+bobID, map[string]any{"role": "org:billing"}, nil)
		jwt, claims = bob.sessionToken()
		if o := claims.Org; o == nil || o.Role != "billing" || o.Permissions != "read" || o.FeaturePermissionMap != "1" || claims.Features != "o:invoices" {
			t.Fatalf("bob's o claim with the custom role %+v, fea %q", o, claims.Features)
		}
		e.orgClaimsRead(jwt, orgID, "acme-rockets", "org:billing", "org:invoices:read")
		// clerk-js's own check reads the membership on the user object.
		if !eval[bool](bob, `Clerk.user.reload().then(() => Clerk.session.checkAuthorization({permission: 'org:invoices:read'}) && Clerk.session.checkAuthorization({role: 'org:billing'}))`) {
			t.Errorf("clerk-js's checkAuthorization: memberships %s", eval[string](bob, `JSON.stringify(Clerk.user.organizationMemberships.map(m => [m.role, m.permissions]))`))
		}

		fails.check(e)
		bobFails.check(bob)
	})
}

// rowWith is JavaScript true when a table row of the page shows all of
// texts.
func rowWith(texts ...string) string {
	var conds []string
	for _, s := range texts {
		conds = append(conds, `r.innerText.includes(`+jsString(s)+`)`)
	}
	return `[...document.querySelectorAll('tbody tr')].some(r => ` + strings.Join(conds, " && ") + `)`
}

// clickOption clicks the option matching sel whose text is label.
func (e *env) clickOption(sel, label string) {
	e.t.Helper()
	e.waitJS(`(() => { const o = [...document.querySelectorAll(` + jsString(sel) + `)].find(o => o.innerText.trim().startsWith(` + jsString(label) + `));
		if (!o) return false; o.click(); return true; })()`)
}

// clickTab clicks the tab whose label starts with label (a count may
// follow it).
func (e *env) clickTab(label string) {
	e.t.Helper()
	e.clickOption(`[role="tab"]`, label)
	e.waitJS(`[...document.querySelectorAll('[role="tab"]')].some(t => t.getAttribute('aria-selected') === 'true' && t.innerText.trim().startsWith(` + jsString(label) + `))`)
}

// freshBrowser opens a tab in a new browser context of the same browser,
// with cookies and storage of its own: another person's browser, on the
// same Concierge and application.
func (e *env) freshBrowser() *env {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.ctx, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		e.t.Fatal(err)
	}
	return &env{t: e.t, fapi: e.fapi, app: e.app, a: e.a, db: e.db, mail: e.mail, sms: e.sms, rec: e.rec, ctx: ctx, shots: e.shots}
}

var invitationLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/v1/tickets/accept\?ticket=[^\s"<>]+`)

// invitationLink waits for the n-th email, which must be to addr, and
// returns the invitation link it holds, as the invitee would click it.
func (e *env) invitationLink(n int, addr string) string {
	e.t.Helper()
	m := e.mail.Wait(n, 15*time.Second)[n-1]
	if len(m.To) != 1 || m.To[0] != addr {
		e.t.Fatalf("email %d to %v, want %s", n, m.To, addr)
	}
	link := invitationLinkRE.FindString(m.Text + " " + m.HTML)
	if link == "" {
		e.t.Fatalf("no invitation link in email %d: %s", n, m.Text)
	}
	return strings.ReplaceAll(link, "&amp;", "&")
}

// land follows an invitation link's landing, and returns where it sends
// the invitee.
func land(t *testing.T, link string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("landing: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc
}

// backend sends a Backend API request with the secret key and a JSON
// body (if any), fails the test unless it succeeds, and decodes the
// answer into out (if not nil).
func (e *env) backend(method, path string, body, out any) {
	e.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, e.fapi+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+secretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %s %s", method, path, resp.Status, raw.String())
	}
	if out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, raw.String())
		}
	}
}

// orgInvitation is what the tests read of an organization invitation.
type orgInvitation struct{ ID, Role, Status string }

// backendInvitations lists an organization's invitations to addr, newest
// first, through the Backend API.
func (e *env) backendInvitations(orgID, addr string) []orgInvitation {
	e.t.Helper()
	var page struct{ Data []orgInvitation }
	e.backend("GET", "/v1/organizations/"+orgID+"/invitations?order_by=-created_at&email_address="+url.QueryEscape(addr), nil, &page)
	return page.Data
}

// backendRole is the user's role in the organization on the Backend API,
// "" if not a member.
func (e *env) backendRole(orgID, userID string) string {
	e.t.Helper()
	var page struct {
		Data []struct {
			Role           string
			PublicUserData struct {
				UserID string `json:"user_id"`
			} `json:"public_user_data"`
		}
	}
	e.backend("GET", "/v1/organizations/"+orgID+"/memberships?user_id="+url.QueryEscape(userID), nil, &page)
	for _, m := range page.Data {
		if m.PublicUserData.UserID == userID {
			return m.Role
		}
	}
	return ""
}

// orgClaimsRead has @clerk/backend read a session token, as an
// application's server does (internal/backendapi/testdata/node/
// orgclaims.mjs): verifyToken, then the auth object's orgId, orgSlug,
// orgRole and has({role}), has({permission}) for exactly perms. Without
// the SDK installed it does nothing, unless CONCIERGE_TEST_NODE is set.
func (e *env) orgClaimsRead(jwt, orgID, slug, role string, perms ...string) {
	e.t.Helper()
	dir := filepath.Join("..", "..", "internal", "backendapi", "testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend")); err != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			e.t.Fatalf("CONCIERGE_TEST_NODE is set but @clerk/backend is missing (npm ci in %s)", dir)
		}
		return // the claims were checked in Go
	}
	cmd := exec.Command("node", "orgclaims.mjs", e.fapi, secretKey, jwt, orgID, slug, role, strings.Join(perms, ","))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
		e.t.Fatalf("@clerk/backend on the token: %v\n%s", err, out)
	}
}
