package backendapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/crypto/bcrypt"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/mfa"
)

// TestSecondFactorsBackend: a user created with totp_secret and
// backup_codes (plain or bcrypt, as imports bring them) shows them
// enabled; verify_totp accepts the app's current code once and each
// backup code once; the factors are removed one by one or together, and
// set again by an update.
func TestSecondFactorsBackend(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		const secret = "JBSWY3DPEHPK3PXP"
		digest, err := bcrypt.GenerateFromPassword([]byte("second-code"), 4)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, SkipPasswordRequirement: ptr(true),
			TOTPSecret: ptr("jbsw y3dp ehpk 3pxp"), BackupCodes: &[]string{"first-code", string(digest)}})
		if err != nil || !u.TOTPEnabled || !u.BackupCodeEnabled || !u.TwoFactorEnabled {
			t.Fatalf("create: %v %+v", err, u)
		}
		verify := func(code string) (bool, any) {
			t.Helper()
			out := e.call("POST", "/v1/users/"+u.ID+"/verify_totp", map[string]any{"code": code}, 200)
			return out["verified"] == true, out["code_type"]
		}
		now, _ := mfa.Code(secret, mfa.Step(time.Now()))
		if ok, kind := verify(now); !ok || kind != "totp" {
			t.Fatalf("current code: %v %v", ok, kind)
		}
		if ok, _ := verify(now); ok {
			t.Fatal("a TOTP code worked twice")
		}
		for _, c := range []string{"first-code", "second-code"} {
			if ok, kind := verify(c); !ok || kind != "backup_code" {
				t.Fatalf("backup code %s: %v %v", c, ok, kind)
			}
			if ok, _ := verify(c); ok {
				t.Fatalf("backup code %s worked twice", c)
			}
		}
		if ok, kind := verify("000000"); ok || kind != nil {
			t.Fatalf("a wrong code: %v %v", ok, kind)
		}
		e.call("POST", "/v1/users/"+u.ID+"/verify_totp", map[string]any{}, 422)
		e.call("POST", "/v1/users/user_missing/verify_totp", map[string]any{"code": "123456"}, 404)
		got, err := e.users.Get(ctx, u.ID)
		if err != nil || !got.TOTPEnabled || got.BackupCodeEnabled {
			t.Fatalf("after using both backup codes: %v %+v", err, got)
		}

		if _, err := e.users.DeleteTOTP(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.users.Get(ctx, u.ID); got.TOTPEnabled || got.TwoFactorEnabled {
			t.Fatalf("after DELETE totp: %+v", got)
		}
		upd, err := e.users.Update(ctx, u.ID, &clerkuser.UpdateParams{TOTPSecret: ptr(secret), BackupCodes: &[]string{"third-code"}})
		if err != nil || !upd.TOTPEnabled || !upd.BackupCodeEnabled {
			t.Fatalf("update: %v %+v", err, upd)
		}
		// A new secret starts afresh: the code used above works again.
		if ok, _ := verify(now); !ok {
			t.Fatal("the new secret refused its current code")
		}
		if _, err := e.users.DeleteBackupCode(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.users.Get(ctx, u.ID); !got.TOTPEnabled || got.BackupCodeEnabled {
			t.Fatalf("after DELETE backup_code: %+v", got)
		}
		if mf, err := e.users.DeleteMFA(ctx, &clerkuser.DeleteMFAParams{ID: u.ID}); err != nil || mf.UserID != u.ID {
			t.Fatalf("DELETE mfa: %v %+v", err, mf)
		}
		if got, _ := e.users.Get(ctx, u.ID); got.TOTPEnabled || got.BackupCodeEnabled || got.TwoFactorEnabled {
			t.Fatalf("after DELETE mfa: %+v", got)
		}
		_, err = e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"b@example.com"}, SkipPasswordRequirement: ptr(true),
			BackupCodes: &[]string{strings.Repeat("x", 65)}})
		apiErr(t, err, 422, "form_param_format_invalid")
		// The secret never leaves the server.
		st, body := e.do("GET", "/v1/users/"+upd.ID, nil)
		var raw map[string]any
		json.Unmarshal(body, &raw)
		if st != 200 || raw["totp_secret"] != nil || raw["backup_codes"] != nil {
			t.Fatalf("user object: %d %s", st, body)
		}
	})
}
