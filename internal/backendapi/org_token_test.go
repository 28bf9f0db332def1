package backendapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// orgClaimsChecked reads token with @clerk/backend (testdata/node/
// orgclaims.mjs): orgID "-" means no active organization.
func orgClaimsChecked(t *testing.T, e *env, tok, orgID, slug, role string) {
	t.Helper()
	dir := filepath.Join("testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend")); err != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatal("CONCIERGE_TEST_NODE is set but @clerk/backend is missing")
		}
		return // the claims were checked in Go; the SDK's reading needs node
	}
	cmd := exec.Command("node", "orgclaims.mjs", e.url, testKey, tok, orgID, slug, role)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("@clerk/backend on the token: %v\n%s", err, out)
	}
}

func tokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(raw, &c)
	return c
}

// TestOrganizationSessionToken: a session switched to an organization
// (POST /v1/client/sessions/{id}/touch with active_organization_id, as
// clerk-js's setActive does) mints tokens whose o claim @clerk/backend
// reads as orgId, orgSlug and orgRole, with has({role}); a role change
// shows in the next token, a removed member's next token has no o, and
// only a member may switch to an organization.
func TestOrganizationSessionToken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		orgs, mems := e.orgClients()
		ada := e.userWithPassword("ada@example.com")
		bob := e.plainUser("bob@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil {
			t.Fatal(err)
		}
		other, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other"), CreatedBy: &bob})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		mint := func() string {
			out := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", nil)
			return out["jwt"].(string)
		}
		if c := tokenClaims(t, mint()); c["o"] != nil {
			t.Fatalf("o claim before switching: %v", c)
		}

		out := b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {org.ID}})
		if get(out, "response", "last_active_organization_id") != org.ID {
			t.Fatalf("touch: %v", out)
		}
		tok := mint()
		o, _ := tokenClaims(t, tok)["o"].(map[string]any)
		if o["id"] != org.ID || o["slg"] != "acme" || o["rol"] != "admin" {
			t.Fatalf("o claim: %v", o)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:admin")
		st, body := e.do("GET", "/v1/sessions/"+sid, nil)
		if st != 200 || !strings.Contains(string(body), `"last_active_organization_id":"`+org.ID+`"`) {
			t.Fatalf("Backend API session: %d %s", st, body)
		}

		// Bob becomes admin, Ada a member: her next token says so.
		if _, err := mems.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: &bob, Role: clerk.String("org:admin")}); err != nil {
			t.Fatal(err)
		}
		if _, err := mems.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: org.ID, UserID: ada, Role: clerk.String("org:member")}); err != nil {
			t.Fatal(err)
		}
		tok = mint()
		if o, _ := tokenClaims(t, tok)["o"].(map[string]any); o["rol"] != "member" {
			t.Fatalf("after the role change: %v", o)
		}
		orgClaimsChecked(t, e, tok, org.ID, "acme", "org:member")

		// Not a member of Other: no switching there.
		b.fails("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {other.ID}}, 404, "organization_not_found_or_unauthorized")
		b.fails("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {"org_nope"}}, 404, "organization_not_found_or_unauthorized")
		// By slug, as clerk-js may send it.
		if out := b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {"acme"}}); get(out, "response", "last_active_organization_id") != org.ID {
			t.Fatalf("touch by slug: %v", out)
		}

		// Removed: the next token has no o.
		if _, err := mems.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: org.ID, UserID: ada}); err != nil {
			t.Fatal(err)
		}
		tok = mint()
		if c := tokenClaims(t, tok); c["o"] != nil {
			t.Fatalf("a removed member's token: %v", c)
		}
		orgClaimsChecked(t, e, tok, "-", "", "")

		// Back to the personal account.
		out = b.ok("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {""}})
		if v := get(out, "response", "last_active_organization_id"); v != nil {
			t.Fatalf("cleared: %v", v)
		}
	})
}
