package backendapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestAllowlistThroughClerkSDK drives the allowlist endpoints through
// clerk-sdk-go v2 on each engine, success and error paths.
func TestAllowlistThroughClerkSDK(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		cases := []struct{ in, want, typ string }{
			{" Ada@Example.com ", "ada@example.com", "email_address"},
			{"+14155552671", "+14155552671", "phone_number"},
			{"0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7", "web3_wallet"},
			{"*@Example.org", "*@example.org", "email_address"},
			{"*@*.corp.example.com", "*@*.corp.example.com", "email_address"},
		}
		var ids []string
		for _, c := range cases {
			got, err := e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr(c.in), Notify: ptr(false)})
			if err != nil {
				t.Fatalf("create %q: %v", c.in, err)
			}
			if got.Identifier != c.want || got.IdentifierType != c.typ || got.Object != "allowlist_identifier" || got.CreatedAt == 0 {
				t.Fatalf("create %q: %+v", c.in, got)
			}
			ids = append(ids, got.ID)
		}
		list, err := e.allowlist.List(ctx, &allowlistidentifier.ListParams{})
		if err != nil || list.TotalCount != 5 || len(list.AllowlistIdentifiers) != 5 || list.AllowlistIdentifiers[0].ID != ids[4] {
			t.Fatalf("list (newest first): %v %+v", err, list)
		}
		// Without paginated=true the list is a bare array.
		st, body := e.do("GET", "/v1/allowlist_identifiers?limit=2&offset=1", nil)
		var arr []map[string]any
		if st != 200 || json.Unmarshal(body, &arr) != nil || len(arr) != 2 || arr[0]["id"] != ids[3] {
			t.Fatalf("bare list: %d %s", st, body)
		}

		_, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("ADA@example.com")})
		apiErr(t, err, http.StatusBadRequest, "duplicate_record")
		for _, bad := range []string{"not an identifier", "ada@", "*@", "*@nodot", "+12", "0x12"} {
			_, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr(bad)})
			apiErr(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
		}
		_, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_missing")
		_, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("*@example.net"), Notify: ptr(true)})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
		// A wallet cannot receive messages either; notify is refused, not ignored.
		_, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("0x" + strings.Repeat("ab", 20)), Notify: ptr(true)})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
		st, body = e.do("GET", "/v1/allowlist_identifiers?limit=0", nil)
		envelope(t, st, body, 422, "form_param_value_invalid")

		del, err := e.allowlist.Delete(ctx, ids[0])
		if err != nil || !del.Deleted || del.ID != ids[0] || del.Object != "allowlist_identifier" {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = e.allowlist.Delete(ctx, ids[0])
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
		if _, err := e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("ada@example.com")}); err != nil {
			t.Fatalf("re-adding a deleted identifier: %v", err)
		}
	})
}

// TestAllowlistConcurrentDuplicates: 16 simultaneous adds of one
// identifier leave one entry and fifteen duplicate_record errors.
func TestAllowlistConcurrentDuplicates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		var wg sync.WaitGroup
		statuses := make([]int, 16)
		bodies := make([][]byte, 16)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				statuses[i], bodies[i] = e.do("POST", "/v1/allowlist_identifiers", `{"identifier":"race@example.com"}`)
			}(i)
		}
		wg.Wait()
		ok := 0
		for i, st := range statuses {
			if st == 200 {
				ok++
				continue
			}
			envelope(t, st, bodies[i], 400, "duplicate_record")
		}
		if ok != 1 {
			t.Fatalf("%d adds succeeded, want 1", ok)
		}
		st, body := e.do("GET", "/v1/allowlist_identifiers?paginated=true", nil)
		if st != 200 || !containsCount(body, 1) {
			t.Fatalf("list: %d %s", st, body)
		}
	})
}

func containsCount(body []byte, n int) bool {
	var p struct {
		TotalCount int `json:"total_count"`
	}
	return json.Unmarshal(body, &p) == nil && p.TotalCount == n
}
