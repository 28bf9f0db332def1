package backendapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestCreateUserErrorsThroughClerkSDK checks that clerk-sdk-go sees Clerk's
// status and code for each validation failure.
func TestCreateUserErrorsThroughClerkSDK(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		if _, err := e.users.Create(ctx, &clerkuser.CreateParams{
			EmailAddresses: &[]string{"taken@example.com"}, Username: ptr("taken"), SkipPasswordRequirement: ptr(true),
		}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			p      clerkuser.CreateParams
			status int
			code   string
			param  string
		}{
			{"taken email", clerkuser.CreateParams{EmailAddresses: &[]string{"TAKEN@example.com"}, SkipPasswordRequirement: ptr(true)}, 422, "form_identifier_exists", "email_address"},
			{"taken username", clerkuser.CreateParams{Username: ptr("Taken"), SkipPasswordRequirement: ptr(true)}, 422, "form_identifier_exists", "username"},
			{"bad email", clerkuser.CreateParams{EmailAddresses: &[]string{"not-an-email"}, SkipPasswordRequirement: ptr(true)}, 422, "form_param_format_invalid", "email_address"},
			{"bad phone before requirements", clerkuser.CreateParams{PhoneNumbers: &[]string{"555-1234"}}, 422, "form_param_format_invalid", "phone_number"},
			{"impossible phone", clerkuser.CreateParams{PhoneNumbers: &[]string{"+1000"}, SkipPasswordRequirement: ptr(true)}, 422, "form_param_format_invalid", "phone_number"},
			{"bad wallet", clerkuser.CreateParams{Web3Wallets: &[]string{"0x123"}, SkipPasswordRequirement: ptr(true)}, 422, "form_param_format_invalid", "web3_wallet"},
			{"short username", clerkuser.CreateParams{Username: ptr("ab"), SkipPasswordRequirement: ptr(true)}, 422, "form_username_invalid_length", "username"},
			{"bad username char", clerkuser.CreateParams{Username: ptr("ab cd!"), SkipPasswordRequirement: ptr(true)}, 422, "form_username_invalid_character", "username"},
			{"numeric username", clerkuser.CreateParams{Username: ptr("123456"), SkipPasswordRequirement: ptr(true)}, 422, "form_username_needs_non_number_char", "username"},
			{"no identifier", clerkuser.CreateParams{FirstName: ptr("x"), SkipPasswordRequirement: ptr(true)}, 422, "form_data_missing", "email_address"},
			{"no password", clerkuser.CreateParams{EmailAddresses: &[]string{"np@example.com"}}, 422, "form_data_missing", "password"},
			{"short password", clerkuser.CreateParams{EmailAddresses: &[]string{"sp@example.com"}, Password: ptr("abc12")}, 422, "form_password_length_too_short", "password"},
			{"long password", clerkuser.CreateParams{EmailAddresses: &[]string{"lp@example.com"}, Password: ptr(strings.Repeat("x", 73))}, 422, "form_password_length_too_long", "password"},
			{"common password", clerkuser.CreateParams{EmailAddresses: &[]string{"cp@example.com"}, Password: ptr("Password123")}, 422, "form_password_pwned", "password"},
			{"digest without hasher", clerkuser.CreateParams{EmailAddresses: &[]string{"d@example.com"}, PasswordDigest: ptr("x")}, 422, "form_conditional_param_missing", "password_hasher"},
			{"unsupported hasher", clerkuser.CreateParams{EmailAddresses: &[]string{"d@example.com"}, PasswordDigest: ptr("x"), PasswordHasher: ptr("rot13")}, 422, "form_param_value_invalid", "password_hasher"},
			{"bad bcrypt digest", clerkuser.CreateParams{EmailAddresses: &[]string{"d@example.com"}, PasswordDigest: ptr("nope"), PasswordHasher: ptr("bcrypt")}, 422, "form_password_digest_invalid_code", "password_digest"},
			{"bad created_at", clerkuser.CreateParams{EmailAddresses: &[]string{"t@example.com"}, SkipPasswordRequirement: ptr(true), CreatedAt: ptr("yesterday")}, 422, "form_param_invalid_time", "created_at"},
			{"metadata not object", clerkuser.CreateParams{EmailAddresses: &[]string{"m@example.com"}, SkipPasswordRequirement: ptr(true), PublicMetadata: raw(`[1,2]`)}, 422, "form_param_format_invalid", "public_metadata"},
			{"short totp secret", clerkuser.CreateParams{EmailAddresses: &[]string{"m@example.com"}, SkipPasswordRequirement: ptr(true), TOTPSecret: ptr("ABC")}, 422, "form_param_format_invalid", "totp_secret"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.users.Create(ctx, &c.p)
				ae := apiErr(t, err, c.status, c.code)
				if got := string(ae.Errors[0].Meta); !strings.Contains(got, `"param_name":"`+c.param+`"`) {
					t.Fatalf("meta %s, want param_name %s", got, c.param)
				}
			})
		}
		n, err := e.users.Count(ctx, &clerkuser.ListParams{})
		if err != nil || n.TotalCount != 1 {
			t.Fatalf("failed creates left users behind: %d %v", n.TotalCount, err)
		}
	})
}

// TestConcurrentCreatesOneWinner sends 16 simultaneous creates with one
// email address: exactly one user results, the rest get 422.
func TestConcurrentCreatesOneWinner(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		const n = 16
		var wg sync.WaitGroup
		statuses := make([]int, n)
		bodies := make([][]byte, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				statuses[i], bodies[i] = e.do("POST", "/v1/users", fmt.Sprintf(
					`{"email_address":["race@example.com"],"username":"racer%d","skip_password_requirement":true}`, i))
			}(i)
		}
		close(start)
		wg.Wait()
		won := 0
		for i := range statuses {
			switch statuses[i] {
			case 200:
				won++
			case 422:
				envelope(t, statuses[i], bodies[i], 422, "form_identifier_exists")
			default:
				t.Fatalf("unexpected %d %s", statuses[i], bodies[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d creates succeeded, want exactly 1", won)
		}
		st, body := e.do("GET", "/v1/users/count?email_address=race@example.com", nil)
		if st != 200 || !strings.Contains(string(body), `"total_count":1`) {
			t.Fatalf("count: %d %s", st, body)
		}
	})
}

// TestBadInput checks that malformed requests get a 4xx and the envelope.
func TestBadInput(t *testing.T) {
	dbtest.ForEach(t, testBadInput)
}

func testBadInput(t *testing.T, engine string) {
	e := newEnv(t, engine)
	st, body := e.do("POST", "/v1/users", `{"username":"existing","skip_password_requirement":true}`)
	if st != 200 {
		t.Fatalf("setup: %d %s", st, body)
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed json", "POST", "/v1/users", `{"email_address":`, 400, "request_body_invalid"},
		{"trailing garbage", "POST", "/v1/users", `{} {}`, 400, "request_body_invalid"},
		{"array body", "POST", "/v1/users", `[1]`, 400, "request_body_invalid"},
		{"wrong type string for array", "POST", "/v1/users", `{"email_address":"a@b.co"}`, 422, "form_param_format_invalid"},
		{"wrong type number for string", "POST", "/v1/users", `{"first_name":5}`, 422, "form_param_format_invalid"},
		{"wrong type patch", "PATCH", "/v1/users/user_x", `{"username":true}`, 422, "form_param_format_invalid"},
		{"empty create", "POST", "/v1/users", "", 422, "form_data_missing"},
		{"null create", "POST", "/v1/users", "null", 422, "form_data_missing"},
		{"unknown user", "GET", "/v1/users/user_doesnotexist", nil, 404, "resource_not_found"},
		{"unknown user patch", "PATCH", "/v1/users/user_doesnotexist", `{"first_name":"x"}`, 404, "resource_not_found"},
		{"limit zero", "GET", "/v1/users?limit=0", nil, 422, "form_param_value_invalid"},
		{"limit 501", "GET", "/v1/users?limit=501", nil, 422, "form_param_value_invalid"},
		{"limit text", "GET", "/v1/users?limit=ten", nil, 422, "form_param_value_invalid"},
		{"offset negative", "GET", "/v1/users?offset=-1", nil, 422, "form_param_value_invalid"},
		{"order unknown", "GET", "/v1/users?order_by=-password", nil, 422, "form_param_value_invalid"},
		{"banned text", "GET", "/v1/users?banned=maybe", nil, 422, "form_param_value_invalid"},
		{"date text", "GET", "/v1/users?created_at_after=today", nil, 422, "form_param_invalid_date"},
		{"starting_after wrong order", "GET", "/v1/users?starting_after=user_x&order_by=first_name", nil, 422, "form_param_value_invalid"},
		{"provider without ids", "GET", "/v1/users/count?provider=oauth_google", nil, 422, "form_conditional_param_missing"},
		{"oversized body", "POST", "/v1/users", `{"first_name":"` + strings.Repeat("a", 1<<20+10) + `"}`, 413, "request_body_too_large"},
		{"unknown route", "GET", "/v1/nothing-here", nil, 404, "resource_not_found"},
		{"unknown root route", "GET", "/nope", nil, 404, "resource_not_found"},
		{"wrong method", "PUT", "/v1/users", nil, 405, "method_not_allowed"},
		{"form content type", "PATCH", "/v1/users/user_x", []byte("first_name=x"), 415, "unsupported_content_type"},
		{"invalid utf-8 query", "GET", "/v1/users?query=%ff%fe%fd", nil, 400, "malformed_request_parameters"},
		{"nul in filter", "GET", "/v1/users?email_address=a%00b%40x.co", nil, 400, "malformed_request_parameters"},
		{"invalid utf-8 path", "GET", "/v1/users/user_%ff", nil, 400, "malformed_request_parameters"},
		{"nul in body", "POST", "/v1/users", `{"external_id":"a\u0000b","username":"nulltest"}`, 400, "request_body_invalid"},
		{"escaped backslash is not NUL", "POST", "/v1/users", `{"first_name":"a\\u0000b","username":"notnul","skip_password_requirement":true}`, 200, ""},
		{"sign-in token malformed", "POST", "/v1/sign_in_tokens", `{"user_id":`, 400, "request_body_invalid"},
		{"sign-in token wrong type", "POST", "/v1/sign_in_tokens", `{"user_id": 5}`, 422, "form_param_format_invalid"},
		{"actor token actor string", "POST", "/v1/actor_tokens", `{"user_id": "user_x", "actor": "me"}`, 404, "resource_not_found"},
		{"blocklist wrong type", "POST", "/v1/blocklist_identifiers", `{"identifier": []}`, 422, "form_param_format_invalid"},
		{"verify password unknown user", "POST", "/v1/users/user_x/verify_password", `{"password": "x"}`, 404, "resource_not_found"},
		{"set compromised wrong type", "POST", "/v1/users/user_x/password/set_compromised", `{"revoke_all_sessions": 1}`, 422, "form_param_format_invalid"},
		{"odd search", "GET", "/v1/users/count?query=%22%2A%3A%28%29%20OR%20%7B", nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "form content type" {
				req, _ := http.NewRequest(c.method, e.url+c.path, strings.NewReader("first_name=x"))
				req.Header.Set("Authorization", "Bearer "+testKey)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b := make([]byte, 4096)
				k, _ := res.Body.Read(b)
				envelope(t, res.StatusCode, b[:k], c.status, c.code)
				return
			}
			st, body := e.do(c.method, c.path, c.body)
			if c.status == 200 {
				if st != 200 {
					t.Fatalf("got %d %s, want 200", st, body)
				}
				return
			}
			envelope(t, st, body, c.status, c.code)
		})
	}
}

// TestAuthentication checks every way a request can lack a valid key.
func TestAuthentication(t *testing.T) {
	e := newEnv(t, "sqlite")
	cases := []struct {
		name, header string
		code         string
	}{
		{"missing", "", "authorization_header_format_invalid"},
		{"no scheme", testKey, "authorization_header_format_invalid"},
		{"basic", "Basic dXNlcjpwYXNz", "authorization_header_format_invalid"},
		{"empty bearer", "Bearer ", "authorization_header_format_invalid"},
		{"not a key", "Bearer hello", "clerk_key_invalid"},
		{"wrong key", "Bearer sk_test_wrongwrongwrongwrongwrongwrong", "clerk_key_invalid"},
		{"publishable key", "Bearer pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "clerk_key_invalid"},
	}
	for _, c := range cases {
		for _, path := range []string{"/v1/users", "/v1/users/count", "/v1/not-a-route"} {
			req, _ := http.NewRequest("GET", e.url+path, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 4096)
			k, _ := res.Body.Read(b)
			res.Body.Close()
			t.Run(c.name+path, func(t *testing.T) { envelope(t, res.StatusCode, b[:k], 401, c.code) })
		}
	}
}
