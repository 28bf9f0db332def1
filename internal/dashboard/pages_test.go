package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/user"
)

// TestOperatorTasks: the forms the browser test does not walk, over HTTP:
// create, ban, lock and delete a user, remove an allowlist entry, keep and
// clear a secret setting, and create and revoke a secret key that the
// Backend API then accepts and refuses.
func TestOperatorTasks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		csrf := c.signIn("op@example.com")
		post := func(path string, form url.Values) (int, string, http.Header) {
			t.Helper()
			form.Set("csrf", csrf)
			return c.post(path, form)
		}

		// Users.
		st, _, h := post("/dashboard/users", url.Values{"email_address": {"ada@example.com"}, "first_name": {"Ada"}})
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/dashboard/users/user_") {
			t.Fatalf("create user: %d %v", st, h)
		}
		id := strings.TrimPrefix(strings.Split(h.Get("Location"), "?")[0], "/dashboard/users/")
		if st, body, _ := post("/dashboard/users", url.Values{"email_address": {"ada@example.com"}}); st != 422 || !strings.Contains(body, "taken") {
			t.Fatalf("duplicate user: %d", st)
		}
		for _, action := range []string{"ban", "lock"} {
			if st, _, _ := post("/dashboard/users/"+id+"/"+action, url.Values{}); st != 303 {
				t.Fatalf("%s: %d", action, st)
			}
		}
		u, _ := e.app.API.Users.Get(ctx, id)
		if !u.Banned || !u.Locked {
			t.Fatalf("after ban and lock: %+v", u)
		}
		for _, action := range []string{"unban", "unlock"} {
			post("/dashboard/users/"+id+"/"+action, url.Values{})
		}
		if u, _ = e.app.API.Users.Get(ctx, id); u.Banned || u.Locked {
			t.Fatalf("after unban and unlock: %+v", u)
		}
		// Second factors: shown, and reset for a user who lost them.
		if _, err := e.app.API.Users.Update(ctx, id, user.UpdateParams{TOTPSecret: user.Field[string]{Set: true, Value: "JBSWY3DPEHPK3PXP"},
			BackupCodes: user.Field[[]string]{Set: true, Value: []string{"one-code", "two-code"}}}); err != nil {
			t.Fatal(err)
		}
		if st, body, _ := c.get("/dashboard/users/" + id); st != 200 || !strings.Contains(body, "Authenticator app: yes") ||
			!strings.Contains(body, "Backup codes left: 2") {
			t.Fatalf("second factors shown: %d", st)
		}
		if st, _, h := post("/dashboard/users/"+id+"/reset-mfa", url.Values{}); st != 303 || !strings.Contains(h.Get("Location"), "mfa_reset") {
			t.Fatalf("reset-mfa: %d %v", st, h)
		}
		if u, _ := e.app.API.Users.Get(ctx, id); u.TwoFactorEnabled() {
			t.Fatalf("second factors after the reset: %+v", u)
		}
		// A passkey (as a registration stores it) is listed and removed.
		if err := e.db.AddIdentifier(ctx, &user.Identifier{ID: "idn_passkeytest", UserID: id, Kind: passkey.Kind, Value: "cred-1",
			VerificationStatus: user.StatusVerified, VerificationStrategy: passkey.Strategy, Data: `{"name":"Work laptop"}`}); err != nil {
			t.Fatal(err)
		}
		if st, body, _ := c.get("/dashboard/users/" + id); st != 200 || !strings.Contains(body, "Work laptop") {
			t.Fatalf("passkey shown: %d", st)
		}
		if st, _, _ := post("/dashboard/users/"+id+"/passkeys/idn_passkeytest/delete", url.Values{}); st != 303 {
			t.Fatalf("remove passkey: %d", st)
		}
		if st, _, _ := post("/dashboard/users/"+id+"/passkeys/idn_passkeytest/delete", url.Values{}); st != 404 {
			t.Fatalf("remove a removed passkey: %d", st)
		}
		if u, _ := e.app.API.Users.Get(ctx, id); len(passkey.Of(u)) != 0 {
			t.Fatal("passkey not removed")
		}
		if st, _, _ := post("/dashboard/users/"+id+"/delete", url.Values{}); st != 422 {
			t.Fatalf("delete without confirmation: %d", st)
		}
		if st, _, _ := post("/dashboard/users/"+id+"/delete", url.Values{"confirm": {"delete"}}); st != 303 {
			t.Fatalf("delete: %d", st)
		}
		if _, err := e.app.API.Users.Get(ctx, id); err == nil {
			t.Fatal("the user survived the delete")
		}

		// Allowlist.
		post("/dashboard/allowlist", url.Values{"identifier": {"*@example.com"}})
		list, _, _ := e.app.API.Allowlist.List(ctx, 10, 0)
		if len(list) != 1 {
			t.Fatalf("allowlist: %+v", list)
		}
		if st, _, _ := post("/dashboard/allowlist/"+list[0].ID+"/delete", url.Values{}); st != 303 {
			t.Fatalf("remove: %d", st)
		}
		if list, _, _ = e.app.API.Allowlist.List(ctx, 10, 0); len(list) != 0 {
			t.Fatal("the entry survived")
		}

		// A secret setting is never shown back, kept when left empty,
		// cleared on request.
		post("/dashboard/settings", url.Values{instance.SMTPURL: {"smtp://u:hunter2@mail.example.com"}})
		_, body, _ := c.get("/dashboard/settings")
		if strings.Contains(body, "hunter2") || !strings.Contains(body, "set — leave empty to keep") {
			t.Fatal("the settings page shows the SMTP password, or not that it is set")
		}
		post("/dashboard/settings", url.Values{instance.SMTPURL: {""}, instance.ApplicationName: {"Acme"}})
		if v, _ := e.app.Settings.Get(ctx, instance.SMTPURL); v != "smtp://u:hunter2@mail.example.com" {
			t.Fatalf("smtp_url after an empty field: %q", v)
		}
		post("/dashboard/settings", url.Values{instance.SMTPURL: {""}, instance.SMTPURL + "_clear": {"true"}})
		if v, _ := e.app.Settings.Get(ctx, instance.SMTPURL); v != "" {
			t.Fatalf("smtp_url after clear: %q", v)
		}
		if st, body, _ := post("/dashboard/settings", url.Values{instance.SessionTokenTTL: {"1s"}}); st != 422 || !strings.Contains(body, "Token lifetime") {
			t.Fatalf("a bad setting: %d", st)
		}

		// API keys: created, shown once, accepted at once, revoked, refused.
		var key string
		bapi := func() int {
			req, _ := http.NewRequest("GET", e.url+"/v1/users/count", nil)
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		// A request just before loads the key cache: the new key must not
		// wait for its next reload.
		key = secretKey
		if st := bapi(); st != 200 {
			t.Fatalf("the instance key: %d", st)
		}
		_, body, _ = post("/dashboard/api-keys", url.Values{})
		key = regexp.MustCompile(`sk_test_[0-9A-Za-z]{40}`).FindString(body)
		if key == "" {
			t.Fatal("the new key is not shown")
		}
		if st := bapi(); st != 200 {
			t.Fatalf("the new key: %d", st)
		}
		_, body, _ = c.get("/dashboard/api-keys")
		if strings.Contains(body, key) || !strings.Contains(body, "pk_test_") {
			t.Fatal("the key list shows a full key, or no publishable key")
		}
		keyID := regexp.MustCompile(`/dashboard/api-keys/(key_[0-9A-Za-z]+)/revoke`).FindStringSubmatch(body)
		if keyID == nil {
			t.Fatal("no revoke form")
		}
		if st, _, _ := post("/dashboard/api-keys/"+keyID[1]+"/revoke", url.Values{}); st != 303 {
			t.Fatalf("revoke: %d", st)
		}
		if st := bapi(); st != 401 {
			t.Fatalf("a revoked key: %d", st)
		}
	})
}
