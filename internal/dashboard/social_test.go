package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestSocialProviders: an operator enables Google and a custom OpenID
// Connect provider; the secrets are kept but never shown back, and an
// incomplete set-up is refused with the reason.
func TestSocialProviders(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		st, body, _ := c.get("/dashboard/social")
		if st != 200 || !strings.Contains(body, "oauth_google") || !strings.Contains(body, "oauth_github") || !strings.Contains(body, "/v1/oauth_callback") {
			t.Fatalf("page: %d", st)
		}
		if st, body := post("/dashboard/social/oauth_google", url.Values{"enabled": {"true"}, "client_id": {"gid"}}); st != 422 || !strings.Contains(body, "client secret") {
			t.Fatalf("enabled without a secret: %d", st)
		}
		if st, _ := post("/dashboard/social/oauth_google", url.Values{"enabled": {"true"}, "client_id": {"gid"}, "client_secret": {"g-secret-42"},
			"allow_sign_up": {"true"}, "link_by_email": {"true"}}); st != 303 {
			t.Fatalf("save google: %d", st)
		}
		// Saved again without the secret: kept.
		post("/dashboard/social/oauth_google", url.Values{"enabled": {"true"}, "client_id": {"gid"}, "scopes": {"openid email"}, "link_by_email": {"true"}})
		if st, _ := post("/dashboard/social/custom", url.Values{"key": {"acme"}, "name": {"Acme SSO"}, "issuer": {"https://sso.acme.test"},
			"client_id": {"cid"}, "client_secret": {"c-secret"}, "enabled": {"true"}}); st != 303 {
			t.Fatalf("add custom: %d", st)
		}
		if st, _ := post("/dashboard/social/custom", url.Values{"key": {"Bad Key!"}, "client_id": {"x"}}); st != 422 {
			t.Fatalf("bad custom key: %d", st)
		}
		cfgs, err := e.app.OAuth.Enabled(ctx)
		if err != nil || len(cfgs) != 2 || cfgs[0].Strategy != "oauth_custom_acme" || cfgs[1].ClientSecret != "g-secret-42" ||
			strings.Join(cfgs[1].Scopes, " ") != "openid email" || !cfgs[1].LinkByEmail {
			t.Fatalf("stored: %v %+v", err, cfgs)
		}
		_, body, _ = c.get("/dashboard/social")
		if strings.Contains(body, "g-secret-42") || strings.Contains(body, "c-secret") || !strings.Contains(body, "Acme SSO") {
			t.Fatal("the page shows a secret, or lacks the custom provider")
		}
	})
}
