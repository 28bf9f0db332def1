package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	clerksession "github.com/clerk/clerk-sdk-go/v2/session"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestPasswordRoutes: verify_password through clerk-sdk-go; a password
// marked compromised refuses the sign-in that knows it until it is
// replaced or unmarked (and revoke_all_sessions signs the user out);
// remove_password from the Backend and Frontend APIs, refused for a user
// left with no other way in.
func TestPasswordRoutes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		ctx := context.Background()
		adaID := e.userWithPassword("ada@example.com")

		res, err := e.users.VerifyPassword(ctx, &clerkuser.VerifyPasswordParams{UserID: adaID, Password: pw})
		if err != nil || !res.Verified {
			t.Fatalf("verify_password: %+v %v", res, err)
		}
		_, err = e.users.VerifyPassword(ctx, &clerkuser.VerifyPasswordParams{UserID: adaID, Password: "not the password"})
		apiErr(t, err, 422, "incorrect_password")
		_, err = e.users.VerifyPassword(ctx, &clerkuser.VerifyPasswordParams{UserID: adaID})
		apiErr(t, err, 422, "form_param_missing")
		_, err = e.users.VerifyPassword(ctx, &clerkuser.VerifyPasswordParams{UserID: "user_missing", Password: pw})
		apiErr(t, err, 404, "resource_not_found")
		noPW := e.plainUser("nopw@example.com")
		_, err = e.users.VerifyPassword(ctx, &clerkuser.VerifyPasswordParams{UserID: noPW, Password: pw})
		apiErr(t, err, 400, "password_not_set")

		// Compromised: the right password no longer signs in.
		b := e.browser()
		sid := b.signIn("ada@example.com", pw)
		st, body := e.do("POST", "/v1/users/"+adaID+"/password/set_compromised", map[string]any{"revoke_all_sessions": true})
		if st != 200 {
			t.Fatalf("set_compromised: %d %s", st, body)
		}
		if s, err := clerksession.NewClient(e.sdkConfig()).Get(ctx, sid); err != nil || s.Status != "revoked" {
			t.Fatalf("session after revoke_all_sessions: %+v %v", s, err)
		}
		signIn := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {pw}}
		e.browser().fails("POST", "/v1/client/sign_ins", signIn, 422, "form_password_compromised")
		wrong := url.Values{"identifier": {"ada@example.com"}, "strategy": {"password"}, "password": {"wrong password!"}}
		e.browser().fails("POST", "/v1/client/sign_ins", wrong, 422, "form_password_incorrect")
		if st, _ := e.do("POST", "/v1/users/"+adaID+"/password/unset_compromised", nil); st != 200 {
			t.Fatalf("unset_compromised: %d", st)
		}
		e.browser().signIn("ada@example.com", pw)
		// A new password clears the mark.
		e.do("POST", "/v1/users/"+adaID+"/password/set_compromised", nil)
		if _, err := e.users.Update(ctx, adaID, &clerkuser.UpdateParams{Password: clerk.String(pw + " new")}); err != nil {
			t.Fatal(err)
		}
		e.browser().signIn("ada@example.com", pw+" new")
		if st, _ := e.do("POST", "/v1/users/"+noPW+"/password/set_compromised", nil); st != 400 {
			t.Fatalf("set_compromised without a password: %d", st)
		}
		if st, _ := e.do("POST", "/v1/users/user_missing/password/set_compromised", nil); st != 404 {
			t.Fatalf("set_compromised of an unknown user: %d", st)
		}
		if st, _ := e.do("POST", "/v1/users/"+adaID+"/password/set_compromised", `{"revoke_all_sessions": "yes"}`); st != 422 {
			t.Fatalf("a string revoke_all_sessions: %d", st)
		}

		// remove_password: the Frontend API needs the current password.
		b = e.browser()
		b.signIn("ada@example.com", pw+" new")
		b.fails("POST", "/v1/me/remove_password", url.Values{"current_password": {"wrong"}}, 422, "form_password_incorrect")
		b.fails("POST", "/v1/me/remove_password", url.Values{}, 422, "form_param_missing")
		out := b.ok("POST", "/v1/me/remove_password", url.Values{"current_password": {pw + " new"}})
		if get(out, "response", "password_enabled") != false {
			t.Fatalf("after remove_password: %v", out)
		}
		// The Backend API's: a user whose only way in is the password
		// keeps it.
		onlyPW, err := e.users.Create(ctx, &clerkuser.CreateParams{Username: clerk.String("only_password"), Password: clerk.String(pw)})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := e.do("POST", "/v1/users/"+onlyPW.ID+"/remove_password", nil); st != 400 || !json.Valid(body) {
			t.Fatalf("removing the only way in: %d %s", st, body)
		}
		other := e.userWithPassword("grace@example.com")
		st, body = e.do("POST", "/v1/users/"+other+"/remove_password", nil)
		var u map[string]any
		if json.Unmarshal(body, &u); st != 200 || u["password_enabled"] != false {
			t.Fatalf("remove_password: %d %s", st, body)
		}
		if st, _ := e.do("POST", "/v1/users/"+other+"/remove_password", nil); st != 400 {
			t.Fatalf("removing no password: %d", st)
		}
	})
}
