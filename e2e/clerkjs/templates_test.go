package clerkjs_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/jwttemplate"
)

// TestTemplateTokens: clerk-js's session.getToken({template}) returns a
// token shaped by the template, and the session token it keeps carries
// the instance's custom claims.
func TestTemplateTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		aliceID := e.alice()
		name := "convex"
		if _, err := e.a.API.Templates.Create(ctx, jwttemplate.Params{Name: &name,
			Claims: json.RawMessage(`{"aud":"convex","name":"{{user.first_name}}"}`)}); err != nil {
			t.Fatal(err)
		}
		if err := e.a.Settings.Set(ctx, instance.SessionClaims, `{"role":"{{user.public_metadata.role || 'member'}}"}`); err != nil {
			t.Fatal(err)
		}
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.session`)

		jwt := eval[string](e, `Clerk.session.getToken({template: 'convex'})`)
		parts := strings.Split(jwt, ".")
		if len(parts) != 3 {
			t.Fatalf("template token %q", jwt)
		}
		var claims map[string]any
		if err := json.Unmarshal(decodeSegment(t, parts[1]), &claims); err != nil || claims["aud"] != "convex" ||
			claims["name"] != "Alice" || claims["sub"] != aliceID || claims["azp"] != e.app {
			t.Fatalf("template claims: %v %v", err, claims)
		}
		if _, err := e.a.Keys.Verify(jwt, e.fapi, time.Now()); err == nil {
			t.Fatal("a template token verified as a session token")
		}
		// The session token clerk-js holds (and writes to __session).
		session := eval[string](e, `Clerk.session.getToken({skipCache: true})`)
		c, err := e.a.Keys.Verify(session, e.fapi, time.Now())
		if err != nil || c.Subject != aliceID {
			t.Fatalf("session token: %v", err)
		}
		var raw map[string]any
		json.Unmarshal(decodeSegment(t, strings.Split(session, ".")[1]), &raw)
		if raw["role"] != "member" {
			t.Fatalf("custom claims: %v", raw)
		}
	})
}

func decodeSegment(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("segment %q: %v", s, err)
	}
	return b
}
