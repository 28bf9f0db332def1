package backendapi_test

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestBlocklist: clerk-sdk-go adds, lists and removes blocklist entries
// (addresses, numbers, *@domain wildcards); a blocked identifier can
// neither sign up nor sign in, by that identifier or any other of the
// same user; removing the entry lets them back in; duplicates race to
// one winner.
func TestBlocklist(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil, nil
		ctx := context.Background()
		bl := blocklistidentifier.NewClient(e.sdkConfig())

		_, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
			Username: clerk.String("ada_lovelace"), Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		entry, err := bl.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String(" Ada@Example.com ")})
		if err != nil || entry.Object != "blocklist_identifier" || entry.Identifier != "ada@example.com" || entry.IdentifierType != "email_address" {
			t.Fatalf("create: %+v %v", entry, err)
		}
		wild, err := bl.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("*@spam.example")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bl.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("+14155552671")}); err != nil {
			t.Fatal(err)
		}
		list, err := bl.List(ctx, &blocklistidentifier.ListParams{})
		if err != nil || list.TotalCount != 3 || len(list.BlocklistIdentifiers) != 3 || list.BlocklistIdentifiers[0].Identifier != "+14155552671" {
			t.Fatalf("list: %+v %v", list, err)
		}

		// Sign-in: by the blocked address, and by the username of the
		// user who has it.
		signIn := func(identifier string) url.Values {
			return url.Values{"identifier": {identifier}, "strategy": {"password"}, "password": {pw}}
		}
		e.browser().fails("POST", "/v1/client/sign_ins", signIn("ada@example.com"), 403, "not_allowed_access")
		e.browser().fails("POST", "/v1/client/sign_ins", signIn("ada_lovelace"), 403, "not_allowed_access")
		// An unknown but blocked address gets the same answer.
		e.browser().fails("POST", "/v1/client/sign_ins", url.Values{"identifier": {"x@spam.example"}}, 403, "not_allowed_access")
		// Sign-up: exact, wildcard (and its subdomains stay open: the
		// wildcard names one domain), phone.
		signUp := url.Values{"email_address": {"new@spam.example"}, "password": {pw}}
		e.browser().fails("POST", "/v1/client/sign_ups", signUp, 403, "not_allowed_access")
		e.browser().fails("POST", "/v1/client/sign_ups", url.Values{"phone_number": {"+14155552671"}}, 403, "not_allowed_access")
		e.browser().ok("POST", "/v1/client/sign_ups", url.Values{"email_address": {"fine@example.org"}, "password": {pw}})

		// Removed: back in.
		if del, err := bl.Delete(ctx, entry.ID); err != nil || !del.Deleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		e.browser().signIn("ada_lovelace", pw)
		bl.Delete(ctx, wild.ID)
		e.browser().ok("POST", "/v1/client/sign_ups", signUp)

		// Bad input and unknown IDs.
		_, err = bl.Create(ctx, &blocklistidentifier.CreateParams{})
		apiErr(t, err, 422, "form_param_missing")
		_, err = bl.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("not an identifier")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = bl.Delete(ctx, entry.ID)
		apiErr(t, err, 404, "resource_not_found")
		if st, _ := e.do("GET", "/v1/blocklist_identifiers?limit=0", nil); st != 400 && st != 422 {
			t.Fatalf("limit=0: %d", st)
		}

		// Racing duplicates: one winner.
		var wg sync.WaitGroup
		codes := make([]int, 6)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = e.do("POST", "/v1/blocklist_identifiers", map[string]string{"identifier": "race@example.com"})
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case 200:
				won++
			case 400:
			default:
				t.Fatalf("racing duplicates: %v", codes)
			}
		}
		if won != 1 {
			t.Fatalf("racing duplicates: %v", codes)
		}
	})
}
