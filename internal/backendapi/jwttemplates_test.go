package backendapi_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwttemplate"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// parseToken reads a token's header and claims, checking its signature
// with key.
func parseToken(t *testing.T, raw string, key any, algs ...jose.SignatureAlgorithm) (map[string]any, map[string]any) {
	t.Helper()
	tok, err := josejwt.ParseSigned(raw, algs)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	var claims map[string]any
	if err := tok.Claims(key, &claims); err != nil {
		t.Fatalf("signature: %v", err)
	}
	header := map[string]any{"kid": tok.Headers[0].KeyID}
	for k, v := range tok.Headers[0].ExtraHeaders {
		header[string(k)] = v
	}
	return header, claims
}

// TestJWTTemplates: templates through clerk-sdk-go; bad ones refused at
// save; tokens from the Frontend and Backend APIs shaped by the claims
// (shortcodes, interpolation, fallbacks), signed by the instance key or
// the template's own; a template token is no session token; custom
// session claims reach every session token; @clerk/backend agrees.
func TestJWTTemplates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		templates := jwttemplate.NewClient(e.sdkConfig())
		tmpl, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: clerk.String("convex"), Lifetime: clerk.Int64(300),
			Claims: json.RawMessage(`{"aud":"convex","email":"{{user.primary_email_address}}","role":"{{user.public_metadata.role || 'member'}}",
				"name":"{{user.first_name}} {{user.last_name}}","meta":"{{user.public_metadata}}","org":"{{org.id}}"}`)})
		if err != nil || tmpl.Name != "convex" || tmpl.SigningAlgorithm != "RS256" || tmpl.Lifetime != 300 || tmpl.AllowedClockSkew != 5 {
			t.Fatalf("create: %v %+v", err, tmpl)
		}
		for name, p := range map[string]*jwttemplate.CreateParams{
			"reserved":  {Name: clerk.String("a"), Claims: json.RawMessage(`{"sub":"x"}`)},
			"shortcode": {Name: clerk.String("b"), Claims: json.RawMessage(`{"x":"{{user.password}}"}`)},
			"not json":  {Name: clerk.String("c"), Claims: json.RawMessage(`["x"]`)},
			"algorithm": {Name: clerk.String("d"), Claims: json.RawMessage(`{}`), CustomSigningKey: clerk.Bool(true), SigningAlgorithm: clerk.String("none"), SigningKey: clerk.String(strings.Repeat("k", 40))},
			"short key": {Name: clerk.String("e"), Claims: json.RawMessage(`{}`), CustomSigningKey: clerk.Bool(true), SigningAlgorithm: clerk.String("HS256"), SigningKey: clerk.String("short")},
			"lifetime":  {Name: clerk.String("f"), Claims: json.RawMessage(`{}`), Lifetime: clerk.Int64(1)},
		} {
			if _, err := templates.Create(ctx, p); err == nil {
				t.Errorf("%s: accepted", name)
			} else if ae, ok := err.(*clerk.APIErrorResponse); !ok || ae.HTTPStatusCode != 422 {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: clerk.String("convex"), Claims: json.RawMessage(`{}`)}); err == nil {
			t.Error("a second template named convex")
		}
		secret := strings.Repeat("s3cr3t-", 6)
		hs, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: clerk.String("hasura"), Claims: json.RawMessage(`{"https://hasura.io/jwt/claims":{"x-hasura-user-id":"{{user.id}}"}}`),
			CustomSigningKey: clerk.Bool(true), SigningAlgorithm: clerk.String("HS256"), SigningKey: clerk.String(secret)})
		if err != nil || !hs.CustomSigningKey {
			t.Fatalf("HS256 template: %v %+v", err, hs)
		}
		list, err := templates.List(ctx, &jwttemplate.ListParams{})
		if err != nil || list.TotalCount != 2 {
			t.Fatalf("list: %v %+v", err, list)
		}

		// A user with a session in a browser.
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: ptr(pw),
			FirstName: ptr("Ada"), LastName: ptr("Lovelace"), PublicMetadata: raw(`{"role":"admin","plan":"pro"}`)})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)

		// From the Frontend API (getToken({template})), with azp.
		out := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens/convex", nil)
		jwt, _ := out["jwt"].(string)
		set := e.jwksSet()
		header, claims := parseToken(t, jwt, set.Keys[0].Key, jose.RS256)
		if header["cat"] != "cl_B7d4PD222AAA" || header["kid"] != set.Keys[0].KeyID || claims["aud"] != "convex" || claims["email"] != "ada@example.com" ||
			claims["role"] != "admin" || claims["name"] != "Ada Lovelace" || claims["sub"] != u.ID || claims["sid"] != sid ||
			claims["azp"] != appOrigin || claims["org"] != nil || claims["iss"] != e.url {
			t.Fatalf("template token: %v %v", header, claims)
		}
		if meta, _ := claims["meta"].(map[string]any); meta["plan"] != "pro" {
			t.Fatalf("an object shortcode: %v", claims["meta"])
		}
		if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 300 || iat-claims["nbf"].(float64) != 5 {
			t.Fatalf("times: %v", claims)
		}
		// A template token is no session token.
		// (clerk-sdk-go's session.Verify sends no body, so the raw call.)
		if st, body := e.do("POST", "/v1/sessions/"+sid+"/verify", map[string]string{"token": jwt}); st != 400 || !strings.Contains(string(body), "invalid_session_token") {
			t.Fatalf("a template token as a session token: %d %s", st, body)
		}
		// From the Backend API, signed with the template's own key.
		st, body := e.do("POST", "/v1/sessions/"+sid+"/tokens/hasura", map[string]any{})
		var tok struct{ JWT string }
		if st != 200 || json.Unmarshal(body, &tok) != nil {
			t.Fatalf("backend template token: %d %s", st, body)
		}
		_, claims = parseToken(t, tok.JWT, []byte(secret), jose.HS256)
		if c, _ := claims["https://hasura.io/jwt/claims"].(map[string]any); c["x-hasura-user-id"] != u.ID {
			t.Fatalf("HS256 claims: %v", claims)
		}
		b.fails("POST", "/v1/client/sessions/"+sid+"/tokens/nope", nil, 404, "resource_not_found")

		// Custom session claims: in every session token; refused when
		// they would set a reserved claim or grow too large.
		if err := e.app.Settings.Set(ctx, instance.SessionClaims, `{"sub":"x"}`); err == nil {
			t.Fatal("reserved session claim accepted")
		}
		if err := e.app.Settings.Set(ctx, instance.SessionClaims, `{"x":"`+strings.Repeat("y", 1300)+`"}`); err == nil {
			t.Fatal("oversized session claims accepted")
		}
		if err := e.app.Settings.Set(ctx, instance.SessionClaims, `{"role":"{{user.public_metadata.role}}"}`); err != nil {
			t.Fatal(err)
		}
		session, _ := b.ok("POST", "/v1/client/sessions/"+sid+"/tokens", nil)["jwt"].(string)
		header, claims = parseToken(t, session, set.Keys[0].Key, jose.RS256)
		if claims["role"] != "admin" || claims["sub"] != u.ID || header["cat"] != nil {
			t.Fatalf("session token with custom claims: %v %v", header, claims)
		}
		if st, body := e.do("POST", "/v1/sessions/"+sid+"/verify", map[string]string{"token": session}); st != 200 {
			t.Fatalf("session token with custom claims does not verify: %d %s", st, body)
		}

		// The same through Clerk's Node SDK.
		dir := filepath.Join("testdata", "node")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend")); err != nil {
			if os.Getenv("CONCIERGE_TEST_NODE") != "" {
				t.Fatal("CONCIERGE_TEST_NODE is set but @clerk/backend is missing")
			}
			return
		}
		cmd := exec.Command("node", "templates.mjs", e.url, testKey, jwt, session, u.ID)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("@clerk/backend: %v\n%s", err, out)
		}
		// Deleting a template.
		if _, err := templates.Delete(ctx, tmpl.ID); err != nil {
			t.Fatal(err)
		}
		b.fails("POST", "/v1/client/sessions/"+sid+"/tokens/convex", nil, 404, "resource_not_found")
	})
}

// jwksSet is the instance's published JWKS.
func (e *env) jwksSet() jose.JSONWebKeySet {
	e.t.Helper()
	st, body := e.do("GET", "/v1/jwks", nil)
	var set jose.JSONWebKeySet
	if st != 200 || json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
		e.t.Fatalf("jwks: %d %s", st, body)
	}
	return set
}
