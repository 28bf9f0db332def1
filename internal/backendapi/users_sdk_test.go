package backendapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestUsersThroughClerkSDK drives every users operation through the
// official clerk-sdk-go v2 against a real server, on each engine.
func TestUsersThroughClerkSDK(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()

		ada, err := e.users.Create(ctx, &clerkuser.CreateParams{
			EmailAddresses:  &[]string{" Ada@Example.COM ", "ada@work.example.org"},
			PhoneNumbers:    &[]string{"+14155552671"},
			Web3Wallets:     &[]string{"0x52908400098527886E0F7030069857D2E4169EE7"},
			Username:        ptr("Ada_L"),
			Password:        ptr("analytical-engine-1843"),
			FirstName:       ptr("Ada"),
			LastName:        ptr("Lovelace"),
			ExternalID:      ptr("ext-ada"),
			PublicMetadata:  raw(`{"role":"admin","prefs":{"theme":"dark","lang":"en"}}`),
			PrivateMetadata: raw(`{"secret":1}`),
			UnsafeMetadata:  raw(`{"u":true}`),
			CreatedAt:       ptr("2020-01-02T03:04:05Z"),
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if len(ada.EmailAddresses) != 2 || ada.EmailAddresses[0].EmailAddress != "ada@example.com" {
			t.Fatalf("emails: %+v", ada.EmailAddresses)
		}
		if ada.PrimaryEmailAddressID == nil || *ada.PrimaryEmailAddressID != ada.EmailAddresses[0].ID {
			t.Fatalf("primary email: %v", ada.PrimaryEmailAddressID)
		}
		v := ada.EmailAddresses[0].Verification
		if v == nil || v.Status != "verified" || v.Strategy != "admin" || ada.EmailAddresses[0].LinkedTo == nil {
			t.Fatalf("verification/linked_to: %+v %+v", v, ada.EmailAddresses[0].LinkedTo)
		}
		if len(ada.PhoneNumbers) != 1 || *ada.PrimaryPhoneNumberID != ada.PhoneNumbers[0].ID {
			t.Fatalf("phones: %+v", ada.PhoneNumbers)
		}
		if len(ada.Web3Wallets) != 1 || ada.Web3Wallets[0].Web3Wallet != "0x52908400098527886e0f7030069857d2e4169ee7" {
			t.Fatalf("wallets: %+v", ada.Web3Wallets)
		}
		if *ada.Username != "ada_l" || !ada.PasswordEnabled || ada.CreatedAt != time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli() {
			t.Fatalf("user: username %v password %v created %d", *ada.Username, ada.PasswordEnabled, ada.CreatedAt)
		}
		if ada.ImageURL == nil || *ada.ImageURL == "" {
			t.Fatal("image_url is empty")
		}

		// A second and a third user for the filters.
		grace, err := e.users.Create(ctx, &clerkuser.CreateParams{
			EmailAddresses: &[]string{"grace@navy.example.mil"}, FirstName: ptr("Grace"), LastName: ptr("Hopper"),
			SkipPasswordRequirement: ptr(true), ExternalID: ptr("ext-grace"),
		})
		if err != nil {
			t.Fatal(err)
		}
		alan, err := e.users.Create(ctx, &clerkuser.CreateParams{
			Username: ptr("turing"), FirstName: ptr("Alan"), SkipPasswordRequirement: ptr(true),
			PhoneNumbers: &[]string{"+447911123456"},
		})
		if err != nil {
			t.Fatal(err)
		}

		got, err := e.users.Get(ctx, ada.ID)
		if err != nil || got.ID != ada.ID || string(got.PrivateMetadata) != `{"secret":1}` {
			t.Fatalf("get: %v %s", err, got.PrivateMetadata)
		}

		list := func(p *clerkuser.ListParams) []string {
			t.Helper()
			res, err := e.users.List(ctx, p)
			if err != nil {
				t.Fatalf("list %+v: %v", p, err)
			}
			ids := make([]string, len(res.Users))
			for i, u := range res.Users {
				ids[i] = u.ID
			}
			if res.TotalCount < int64(len(ids)) {
				t.Fatalf("total_count %d < page %d", res.TotalCount, len(ids))
			}
			return ids
		}
		eq := func(name string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: got %v, want %v", name, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: got %v, want %v", name, got, want)
				}
			}
		}
		// Default order is newest first; ada was back-dated to 2020.
		eq("all", list(&clerkuser.ListParams{}), alan.ID, grace.ID, ada.ID)
		eq("email", list(&clerkuser.ListParams{EmailAddresses: []string{"ADA@example.com", "nobody@x.io"}}), ada.ID)
		eq("phone", list(&clerkuser.ListParams{PhoneNumbers: []string{"+447911123456"}}), alan.ID)
		eq("username", list(&clerkuser.ListParams{Usernames: []string{"Turing"}}), alan.ID)
		eq("external", list(&clerkuser.ListParams{ExternalIDs: []string{"ext-grace"}}), grace.ID)
		eq("user ids", list(&clerkuser.ListParams{UserIDs: []string{ada.ID, grace.ID}, OrderBy: ptr("+created_at")}), ada.ID, grace.ID)
		eq("exclude", list(&clerkuser.ListParams{UserIDs: []string{"-" + ada.ID}}), alan.ID, grace.ID)
		eq("wallet", list(&clerkuser.ListParams{Web3Wallets: []string{"0x52908400098527886E0F7030069857D2E4169EE7"}}), ada.ID)
		eq("query", list(&clerkuser.ListParams{Query: ptr("HOPP")}), grace.ID)
		eq("query id", list(&clerkuser.ListParams{Query: ptr(alan.ID[5:15])}), alan.ID)
		eq("email query", list(&clerkuser.ListParams{EmailAddressQuery: ptr("example")}), grace.ID, ada.ID)
		eq("phone query", list(&clerkuser.ListParams{PhoneNumberQuery: ptr("7911")}), alan.ID)
		eq("username query", list(&clerkuser.ListParams{UsernameQuery: ptr("ur")}), alan.ID)
		eq("name query", list(&clerkuser.ListParams{NameQuery: ptr("ada lov")}), ada.ID)
		eq("short query", list(&clerkuser.ListParams{Query: ptr("e@")}), grace.ID)
		eq("created before", list(&clerkuser.ListParams{CreatedAtBefore: ptr(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}), ada.ID)
		eq("order first_name", list(&clerkuser.ListParams{OrderBy: ptr("first_name")}), ada.ID, alan.ID, grace.ID)
		eq("order -first_name", list(&clerkuser.ListParams{OrderBy: ptr("-first_name")}), grace.ID, alan.ID, ada.ID)
		eq("limit offset", list(&clerkuser.ListParams{ListParams: clerk.ListParams{Limit: ptr(int64(1)), Offset: ptr(int64(1))}}), grace.ID)
		eq("banned=false", list(&clerkuser.ListParams{Banned: ptr(false), Query: ptr("a")}), alan.ID, grace.ID, ada.ID)

		n, err := e.users.Count(ctx, &clerkuser.ListParams{Query: ptr("example"), ListParams: clerk.ListParams{Limit: ptr(int64(1))}})
		if err != nil || n.TotalCount != 2 || n.Object != "total_count" {
			t.Fatalf("count: %v %+v", err, n)
		}

		// Update: names, username, primary email, password, external id.
		upd, err := e.users.Update(ctx, ada.ID, &clerkuser.UpdateParams{
			FirstName: ptr("Augusta Ada"), Username: ptr("countess"),
			PrimaryEmailAddressID: &ada.EmailAddresses[1].ID, Password: ptr("difference-engine-1822"),
			ExternalID: ptr("ext-ada-2"),
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if *upd.FirstName != "Augusta Ada" || *upd.Username != "countess" || *upd.PrimaryEmailAddressID != ada.EmailAddresses[1].ID {
			t.Fatalf("update result: %+v", upd)
		}
		eq("search sees new username", list(&clerkuser.ListParams{UsernameQuery: ptr("countess")}), ada.ID)
		eq("order by email uses primary", list(&clerkuser.ListParams{OrderBy: ptr("email_address"), EmailAddressQuery: ptr("example")}), ada.ID, grace.ID)

		_, err = e.users.Update(ctx, ada.ID, &clerkuser.UpdateParams{PrimaryEmailAddressID: &grace.EmailAddresses[0].ID})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
		_, err = e.users.Update(ctx, grace.ID, &clerkuser.UpdateParams{Username: ptr("countess")})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
		_, err = e.users.Update(ctx, grace.ID, &clerkuser.UpdateParams{ExternalID: ptr("ext-ada-2")})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")

		// Metadata: deep merge with null deleting keys.
		m, err := e.users.UpdateMetadata(ctx, ada.ID, &clerkuser.UpdateMetadataParams{
			PublicMetadata:  raw(`{"prefs":{"theme":null,"font":"serif"},"plan":"pro"}`),
			PrivateMetadata: raw(`{"secret":null}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		assertJSON(t, m.PublicMetadata, `{"role":"admin","prefs":{"lang":"en","font":"serif"},"plan":"pro"}`)
		assertJSON(t, m.PrivateMetadata, `{}`)
		assertJSON(t, m.UnsafeMetadata, `{"u":true}`)

		// PUT replaces each given field (the SDK has no PUT: raw HTTP).
		st, body := e.do("PUT", "/v1/users/"+ada.ID+"/metadata", `{"public_metadata":{"only":1},"unsafe_metadata":{}}`)
		if st != 200 {
			t.Fatalf("PUT metadata: %d %s", st, body)
		}
		var put struct {
			Public  json.RawMessage `json:"public_metadata"`
			Private json.RawMessage `json:"private_metadata"`
			Unsafe  json.RawMessage `json:"unsafe_metadata"`
		}
		json.Unmarshal(body, &put)
		assertJSON(t, put.Public, `{"only":1}`)
		assertJSON(t, put.Unsafe, `{}`)
		assertJSON(t, put.Private, `{}`)

		// Ban, unban, lock, unlock.
		for _, step := range []struct {
			name   string
			call   func(context.Context, string) (*clerk.User, error)
			banned bool
			locked bool
		}{
			{"ban", e.users.Ban, true, false}, {"lock", e.users.Lock, true, true},
			{"unban", e.users.Unban, false, true}, {"unlock", e.users.Unlock, false, false},
		} {
			u, err := step.call(ctx, grace.ID)
			if err != nil || u.Banned != step.banned || u.Locked != step.locked {
				t.Fatalf("%s: %v banned=%v locked=%v", step.name, err, u.Banned, u.Locked)
			}
			if step.name == "ban" {
				eq("banned filter", list(&clerkuser.ListParams{Banned: ptr(true)}), grace.ID)
			}
		}

		// Delete frees identifiers and answers the deleted object.
		del, err := e.users.Delete(ctx, grace.ID)
		if err != nil || !del.Deleted || del.ID != grace.ID || del.Object != "user" {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = e.users.Get(ctx, grace.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
		_, err = e.users.Delete(ctx, grace.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
		if _, err := e.users.Create(ctx, &clerkuser.CreateParams{
			EmailAddresses: &[]string{"grace@navy.example.mil"}, SkipPasswordRequirement: ptr(true), ExternalID: ptr("ext-grace"),
		}); err != nil {
			t.Fatalf("identifiers not freed: %v", err)
		}
		for _, op := range []func() error{
			func() error { _, err := e.users.Ban(ctx, "user_missing"); return err },
			func() error {
				_, err := e.users.Update(ctx, "user_missing", &clerkuser.UpdateParams{FirstName: ptr("x")})
				return err
			},
			func() error {
				_, err := e.users.UpdateMetadata(ctx, "user_missing", &clerkuser.UpdateMetadataParams{PublicMetadata: raw(`{}`)})
				return err
			},
		} {
			apiErr(t, op(), http.StatusNotFound, "resource_not_found")
		}
	})
}

func assertJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("bad JSON %s: %v", got, err)
	}
	json.Unmarshal([]byte(want), &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("got %s, want %s", ja, jb)
	}
}

// TestListTiesAndCursor gives five users the same created_at: the list
// breaks the tie by insertion order, and starting_after walks the pages
// without skipping or repeating anyone.
func TestListTiesAndCursor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		var ids []string
		for i := 0; i < 5; i++ {
			u, err := e.users.Create(ctx, &clerkuser.CreateParams{
				Username: ptr("tie" + string(rune('a'+i)) + "user"), SkipPasswordRequirement: ptr(true),
				CreatedAt: ptr("2024-05-01T10:00:00Z"),
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		var walked []string
		after := ""
		for page := 0; page < 5; page++ {
			path := "/v1/users?limit=2"
			if after != "" {
				path += "&starting_after=" + after
			}
			st, body := e.do("GET", path, nil)
			var users []struct {
				ID string `json:"id"`
			}
			if st != 200 || json.Unmarshal(body, &users) != nil {
				t.Fatalf("%s: %d %s", path, st, body)
			}
			if len(users) == 0 {
				break
			}
			for _, u := range users {
				walked = append(walked, u.ID)
			}
			after = users[len(users)-1].ID
		}
		if len(walked) != 5 {
			t.Fatalf("walked %d users, want 5: %v", len(walked), walked)
		}
		for i := range walked {
			if walked[i] != ids[4-i] {
				t.Fatalf("order %v, want newest inserted first %v", walked, ids)
			}
		}
	})
}

// TestImageURLServesAvatar fetches a user's image_url over HTTP.
func TestImageURLServesAvatar(t *testing.T) {
	e := newEnv(t, "sqlite")
	u, err := e.users.Create(context.Background(), &clerkuser.CreateParams{Username: ptr("avatarowner"), SkipPasswordRequirement: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(*u.ImageURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(b), "<svg") {
		t.Fatalf("%s: %d %q %.40s", *u.ImageURL, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}
