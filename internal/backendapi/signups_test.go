package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// TestSignUpsAndReplaceThroughNode drives PUT /v1/users/{id}/email_address
// and phone_number and GET/PATCH /v1/sign_ups/{id} with @clerk/backend
// (clerk-sdk-go has none of them), on a sign-up a browser started.
func TestSignUpsAndReplaceThroughNode(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend"))
	if _, nodeErr := exec.LookPath("node"); statErr != nil || nodeErr != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatalf("CONCIERGE_TEST_NODE is set but node or @clerk/backend is missing (npm ci in %s)", dir)
		}
		t.Skip("node or @clerk/backend not installed")
	}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		suID := startSignUp(t, e, "pending@example.com")
		cmd := exec.Command("node", "signups.mjs", e.url, testKey, suID)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("node signups.mjs: %v\n%s", err, out)
		}
	})
}

// startSignUp begins a sign-up from a browser and returns its ID.
func startSignUp(t *testing.T, e *env, email string) string {
	t.Helper()
	out := e.browser().ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {email}, "password": {"correct horse battery"}})
	id, _ := get(out, "response", "id").(string)
	if id == "" {
		t.Fatalf("sign-up: %v", out)
	}
	return id
}

// TestSignUpsBadInput covers what the SDK calls above do not send:
// unreadable bodies, wrong types, missing fields, and the completed
// sign-up's external_id reaching its user.
func TestSignUpsBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		suID := startSignUp(t, e, "bad@example.com")
		st, body := e.do("PATCH", "/v1/sign_ups/"+suID, `{"custom_action":`)
		envelope(t, st, body, 400, "request_body_invalid")
		st, body = e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"custom_action": "yes"})
		if st != 400 && st != 422 {
			t.Fatalf("wrong type: %d %s", st, body)
		}
		st, body = e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"external_id": strings.Repeat("x", 257)})
		envelope(t, st, body, 422, "form_param_format_invalid")
		st, body = e.do("GET", "/v1/sign_ups/"+suID+"x", nil)
		envelope(t, st, body, 404, "resource_not_found")

		// An empty external_id clears it.
		if st, body = e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"external_id": "a"}); st != 200 {
			t.Fatalf("set: %d %s", st, body)
		}
		st, body = e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"external_id": ""})
		var su map[string]any
		if st != 200 || json.Unmarshal(body, &su) != nil || su["external_id"] != nil || su["object"] != "sign_up_attempt" {
			t.Fatalf("clear: %d %s", st, body)
		}

		for _, path := range []string{"/v1/users/user_missing/email_address", "/v1/users/user_missing/phone_number"} {
			st, body = e.do("PUT", path, `{`)
			envelope(t, st, body, 400, "request_body_invalid")
		}
		u := mustCreateUser(t, e, "keep@example.com")
		st, body = e.do("PUT", "/v1/users/"+u+"/email_address", map[string]any{})
		envelope(t, st, body, 422, "form_param_missing")
		st, body = e.do("PUT", "/v1/users/"+u+"/phone_number", map[string]any{"email_address": "x@example.com"})
		envelope(t, st, body, 422, "form_param_missing")
		st, body = e.do("PUT", "/v1/users/"+u+"/email_address", map[string]any{"email_address": 7})
		if st != 400 && st != 422 {
			t.Fatalf("wrong type: %d %s", st, body)
		}
		// The user still has its address.
		st, body = e.do("GET", "/v1/users/"+u, nil)
		if st != 200 || !strings.Contains(string(body), "keep@example.com") {
			t.Fatalf("user after refusals: %d %s", st, body)
		}
	})
}

func mustCreateUser(t *testing.T, e *env, email string) string {
	t.Helper()
	st, body := e.do("POST", "/v1/users", map[string]any{"email_address": []string{email}, "skip_password_requirement": true})
	var u struct{ ID string }
	if st != 200 || json.Unmarshal(body, &u) != nil || u.ID == "" {
		t.Fatalf("create user: %d %s", st, body)
	}
	return u.ID
}

// TestSignUpExternalIDReachesUser: the external_id set on a sign-up is
// the user's once the sign-up completes, and a completed sign-up can no
// longer be changed.
func TestSignUpExternalIDReachesUser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"crm@example.com"}, "password": {"correct horse battery"}})
		suID, _ := get(out, "response", "id").(string)
		if st, body := e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"external_id": "crm-7", "custom_action": true}); st != 200 {
			t.Fatalf("patch: %d %s", st, body)
		}
		// The browser's view of its sign-up shows them too.
		if got := b.ok("GET", "/v1/client/sign_ups/"+suID, nil); get(got, "response", "external_id") != "crm-7" ||
			get(got, "response", "custom_action") != true {
			t.Fatalf("browser view: %v", got)
		}
		b.ok("POST", "/v1/client/sign_ups/"+suID+"/prepare_verification", url.Values{"strategy": {"email_code"}})
		out = b.ok("POST", "/v1/client/sign_ups/"+suID+"/attempt_verification",
			url.Values{"strategy": {"email_code"}, "code": {codeFor(t, mail, 1, "crm@example.com")}})
		userID, _ := get(out, "response", "created_user_id").(string)
		u, err := e.users.Get(context.Background(), userID)
		if err != nil || u.ExternalID == nil || *u.ExternalID != "crm-7" {
			t.Fatalf("user: %+v %v", u, err)
		}
		st, body := e.do("PATCH", "/v1/sign_ups/"+suID, map[string]any{"external_id": "other"})
		envelope(t, st, body, 422, "sign_up_already_complete")
		if st, body = e.do("GET", "/v1/sign_ups/"+suID, nil); st != 200 || !strings.Contains(string(body), `"status":"complete"`) {
			t.Fatalf("completed sign-up: %d %s", st, body)
		}
	})
}

// TestSignUpsConcurrentWrites: changes to different fields of one
// sign-up made at once are all kept, and two users claiming one address
// as primary at once leave one owner.
func TestSignUpsConcurrentWrites(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		suID := startSignUp(t, e, "race@example.com")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := map[string]any{"external_id": "crm-" + strconv.Itoa(i)}
				if i == 3 {
					body = map[string]any{"custom_action": true}
				}
				if st, b := e.do("PATCH", "/v1/sign_ups/"+suID, body); st != 200 {
					t.Errorf("patch %d: %d %s", i, st, b)
				}
			}()
		}
		wg.Wait()
		st, body := e.do("GET", "/v1/sign_ups/"+suID, nil)
		var su struct {
			ExternalID   *string `json:"external_id"`
			CustomAction bool    `json:"custom_action"`
		}
		if st != 200 || json.Unmarshal(body, &su) != nil || !su.CustomAction || su.ExternalID == nil {
			t.Fatalf("after concurrent patches: %d %s", st, body)
		}

		a, b := mustCreateUser(t, e, "a@example.com"), mustCreateUser(t, e, "b@example.com")
		codes := make([]int, 2)
		for i, u := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = e.do("PUT", "/v1/users/"+u+"/email_address", map[string]any{"email_address": "shared@example.com"})
			}()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 422 || codes[0] == 422 && codes[1] == 200) {
			t.Fatalf("two users claiming one address: %v", codes)
		}
	})
}

// TestReplacePhoneKeepsSecondFactor: replacing a number that received
// second-factor codes makes the new number receive them.
func TestReplacePhoneKeepsSecondFactor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		st, body := e.do("POST", "/v1/users", map[string]any{"phone_number": []string{"+14155550111"}, "skip_password_requirement": true})
		var u struct {
			ID           string `json:"id"`
			PhoneNumbers []struct {
				ID       string `json:"id"`
				Phone    string `json:"phone_number"`
				Reserved bool   `json:"reserved_for_second_factor"`
			} `json:"phone_numbers"`
			TwoFactor bool `json:"two_factor_enabled"`
		}
		if st != 200 || json.Unmarshal(body, &u) != nil || len(u.PhoneNumbers) != 1 {
			t.Fatalf("create: %d %s", st, body)
		}
		if st, body = e.do("PATCH", "/v1/phone_numbers/"+u.PhoneNumbers[0].ID, map[string]any{"reserved_for_second_factor": true}); st != 200 {
			t.Fatalf("reserve: %d %s", st, body)
		}
		if st, body = e.do("PUT", "/v1/users/"+u.ID+"/phone_number", map[string]any{"phone_number": "+14155550112"}); st != 200 {
			t.Fatalf("replace: %d %s", st, body)
		}
		_, body = e.do("GET", "/v1/users/"+u.ID, nil)
		u.PhoneNumbers = nil
		if json.Unmarshal(body, &u) != nil || len(u.PhoneNumbers) != 1 || u.PhoneNumbers[0].Phone != "+14155550112" ||
			!u.PhoneNumbers[0].Reserved || !u.TwoFactor {
			t.Fatalf("after replace: %s", body)
		}
	})
}
