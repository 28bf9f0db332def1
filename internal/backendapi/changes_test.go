package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// within polls ok every 5 ms for up to 100 ms.
func within(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(100 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen by the other server within 100 ms", what)
		}
	}
}

// TestChangesReachEveryServer: two servers on one PostgreSQL database. A
// secret key created or revoked, a setting changed, a signing key rotated
// through one is accepted, refused or seen by the other within 100 ms,
// though each caches them (key hashes 10 s, reloaded on a miss at most
// once a second; settings 2 s; signing keys until reloaded every 30 s):
// the change's transaction NOTIFYs, and each server LISTENs. A session
// revoked through one mints no token through the other.
func TestChangesReachEveryServer(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		if engine != sqlstore.Postgres {
			t.Skip("one process per SQLite database")
		}
		ctx := context.Background()
		a := newEnv(t, engine, withOrigins(appOrigin))
		b := newEnv(t, engine, withOrigins(appOrigin), withDSN(a.dsn))
		status := func(e *env, key, path string) int {
			req, _ := http.NewRequest("GET", e.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}

		// Secret keys. b has just loaded its cache.
		if st := status(b, testKey, "/v1/users/count"); st != 200 {
			t.Fatalf("b: %d", st)
		}
		key := apikey.Generate()
		rec := apikey.NewKey(key, time.Now())
		if err := a.db.CreateSecretKey(ctx, rec); err != nil {
			t.Fatal(err)
		}
		within(t, "a created key", func() bool { return status(b, key, "/v1/users/count") == 200 })
		if err := a.db.RevokeSecretKey(ctx, rec.ID, time.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		within(t, "a revoked key", func() bool { return status(b, key, "/v1/users/count") == 401 })

		// Settings: b reads the sign-up mode from its cache.
		mode := func() string {
			_, out, _ := b.browser().call("GET", "/v1/environment", nil)
			m, _ := get(out, "user_settings", "sign_up", "mode").(string)
			return m
		}
		if m := mode(); m != "public" {
			t.Fatalf("mode %q", m)
		}
		if err := a.app.Settings.Set(ctx, instance.SignUpMode, instance.ModeRestricted); err != nil {
			t.Fatal(err)
		}
		within(t, "a setting", func() bool { return mode() == instance.ModeRestricted })

		// Signing keys.
		kid, err := a.app.Keys.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		within(t, "a rotated signing key", func() bool {
			req, _ := http.NewRequest("GET", b.url+"/v1/jwks", nil)
			req.Header.Set("Authorization", "Bearer "+testKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var set struct{ Keys []struct{ Kid string } }
			json.NewDecoder(res.Body).Decode(&set)
			return len(set.Keys) == 2 && (set.Keys[0].Kid == kid || set.Keys[1].Kid == kid)
		})
		if b.app.Keys.SigningKID() != kid {
			t.Fatalf("b signs with %s, not the new %s", b.app.Keys.SigningKID(), kid)
		}

		// A session revoked through a mints nothing through b (the cookie
		// jar is per host, so the browser is the same client on both).
		if err := a.app.Settings.Set(ctx, instance.SignUpMode, instance.ModePublic); err != nil {
			t.Fatal(err)
		}
		a.userWithPassword("ada@example.com")
		onA := a.browser()
		sid := onA.signIn("ada@example.com", pw)
		onB := *onA
		onB.e = b
		onB.ok("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{})
		if st, body := a.do("POST", "/v1/sessions/"+sid+"/revoke", nil); st != 200 {
			t.Fatalf("revoke: %d %s", st, body)
		}
		st, out, _ := onB.call("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{})
		if st < 400 || st >= 500 || !strings.Contains(toJSON(out), "errors") {
			t.Fatalf("a token from a revoked session: %d %v", st, out)
		}
	})
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
