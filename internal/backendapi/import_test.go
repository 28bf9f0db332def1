package backendapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/transfer"
)

// importInto imports src into e's database as the import command does.
func (e *env) importInto(src transfer.Source, source string, o transfer.Options) transfer.Summary {
	e.t.Helper()
	key, err := instance.NewService(e.db).Secret(context.Background(), "mfa")
	if err != nil {
		e.t.Fatal(err)
	}
	im := &transfer.Importer{Store: e.db, Builder: &transfer.Builder{Source: source, Key: key, Now: time.Now}}
	sum, err := im.Run(context.Background(), src, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum
}

func (e *env) importFile(path string, o transfer.Options) transfer.Summary {
	e.t.Helper()
	f, err := transfer.OpenFile(path, "auto")
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	return e.importInto(f, f.Format, o)
}

func (e *env) export(format string) []byte {
	e.t.Helper()
	key, err := instance.NewService(e.db).Secret(context.Background(), "mfa")
	if err != nil {
		e.t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := (&transfer.Exporter{Store: e.db, Key: key}).Export(context.Background(), &buf, format, nil); err != nil {
		e.t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportClerkCSV imports the fixture of Clerk's export made by
// reference implementations of every hasher (testdata/import): each user
// keeps its ID and signs in over the Frontend API with its old password,
// which comes out re-hashed as bcrypt; a wrong password still fails.
func TestImportClerkCSV(t *testing.T) {
	var digests []struct{ Hasher, Digest, Password string }
	raw, err := os.ReadFile("../../testdata/import/digests.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &digests); err != nil {
		t.Fatal(err)
	}
	passwordOf := map[string]string{}
	for _, d := range digests {
		passwordOf[d.Digest] = d.Password
	}
	f, err := os.Open("../../testdata/import/clerk_hashers.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	hashers := map[string]bool{}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		sum := e.importFile("../../testdata/import/clerk_hashers.csv", transfer.Options{})
		if sum.Imported != int64(len(rows)-1) || sum.Failed != 0 {
			t.Fatalf("summary %+v, want %d imported", sum, len(rows)-1)
		}
		for _, row := range rows[1:] {
			id, email, digest, hasher := row[0], strings.Split(row[4], "|")[0], row[7], row[8]
			hashers[hasher] = true
			pw, ok := passwordOf[digest]
			if !ok {
				t.Fatalf("%s: digest not in digests.json", id)
			}
			got, err := e.users.Get(context.Background(), id)
			if err != nil || got.EmailAddresses[0].EmailAddress != email || !got.PasswordEnabled {
				t.Fatalf("%s (%s): %v %+v", id, hasher, err, got)
			}
			e.browser().fails("POST", "/v1/client/sign_ins",
				formOf("identifier", email, "strategy", "password", "password", pw+"x"), 422, "form_password_incorrect")
			// A row with a TOTP secret is asked for the app's code too.
			signIn := func(step int64) {
				if row[6] == "" {
					e.browser().signIn(email, pw)
					return
				}
				e.browser().signInSecondFactor(email, pw, "totp", totpCode(t, row[6], step))
			}
			signIn(0)
			u, err := e.db.User(context.Background(), id)
			if err != nil || u.PasswordHasher != "bcrypt" {
				t.Fatalf("%s (%s) after sign-in: hasher %q, %v", id, hasher, u.PasswordHasher, err)
			}
			// The password did not change: nothing visible did.
			if u.UpdatedAt != got.UpdatedAt {
				t.Fatalf("%s (%s): updated_at %d after the digest's upgrade, was %d", id, hasher, u.UpdatedAt, got.UpdatedAt)
			}
			signIn(1) // and the bcrypt digest works
		}
		// The cells that are not passwords.
		var multi, pro, totp string
		for _, row := range rows[1:] {
			switch {
			case strings.Contains(row[4], "|"):
				multi = row[0]
			case row[10] != "{}" && row[10] != "":
				pro = row[0]
			}
			if row[6] != "" {
				totp = row[0]
			}
		}
		u, err := e.users.Get(context.Background(), multi)
		if err != nil || len(u.EmailAddresses) != 2 || *u.PrimaryEmailAddressID != u.EmailAddresses[0].ID ||
			u.EmailAddresses[0].EmailAddress != "a@x.example.com" || len(u.PhoneNumbers) != 1 {
			t.Fatalf("multi-address row: %v %+v", err, u)
		}
		u, err = e.users.Get(context.Background(), pro)
		if err != nil || string(u.PublicMetadata) != `{"plan":"pro"}` {
			t.Fatalf("metadata row: %v %s", err, u.PublicMetadata)
		}
		stored, err := e.db.User(context.Background(), totp)
		if err != nil || len(stored.TOTPSecret) == 0 || bytes.Contains(stored.TOTPSecret, []byte("JBSWY3DPEHPK3PXP")) {
			t.Fatalf("TOTP secret not stored sealed: %v %q", err, stored.TOTPSecret)
		}
		if out := e.export(transfer.FormatClerkCSV); !bytes.Contains(out, []byte(totp)) || !bytes.Contains(out, []byte("JBSWY3DPEHPK3PXP")) {
			t.Fatalf("export lacks the TOTP secret:\n%s", out)
		}
	})
	if len(hashers) < 17 {
		t.Fatalf("the fixture covers %d hashers, want 17", len(hashers))
	}
}

// seedForTransfer makes users of every kind on e: through the official
// Go SDK (passwords, usernames, phones, metadata, a ban, a custom
// created_at) and through an import of Clerk user objects (an unverified
// address, an external account, a TOTP secret and backup codes, which
// the Backend API cannot create).
func seedForTransfer(t *testing.T, e *env) []string {
	t.Helper()
	ctx := context.Background()
	meta := json.RawMessage(`{"tier":"gold","n":12345678901234567890}`)
	var ids []string
	for _, p := range []*clerkuser.CreateParams{
		{EmailAddresses: &[]string{"ada@example.com", "ada2@example.com"}, Password: ptr(pw), FirstName: ptr("Ada"),
			LastName: ptr("Lovelace"), Username: ptr("ada_l"), ExternalID: ptr("ext-ada"), PublicMetadata: &meta,
			PrivateMetadata: &meta, UnsafeMetadata: &meta, CreatedAt: ptr("2021-03-04T05:06:07Z")},
		{PhoneNumbers: &[]string{"+14155552671"}, Password: ptr(pw), LegalAcceptedAt: ptr("2022-01-02T03:04:05Z")},
		{EmailAddresses: &[]string{"grace@example.com"}, SkipPasswordRequirement: ptr(true)},
		{Username: ptr("banned_one"), Password: ptr(pw)},
	} {
		u, err := e.users.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if _, err := e.users.Ban(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	lines := `{"id":"user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdA","object":"user","first_name":"Linus","email_addresses":[{"id":"idn_2bV1Pr3kLmNoPqRsTuVwXyZ0123","email_address":"linus@example.com","verification":{"status":"verified","strategy":"from_oauth_github"}},{"id":"idn_2bV1PsAbCdEfGhIjKlMnOpQrStU","email_address":"linus-old@example.com","verification":{"status":"unverified","strategy":"email_code"}}],"primary_email_address_id":"idn_2bV1Pr3kLmNoPqRsTuVwXyZ0123","external_accounts":[{"id":"idn_2bV1PtVwXyZaBcDeFgHiJkLmNoP","provider":"oauth_github","provider_user_id":"583231","email_address":"linus@example.com","first_name":"Linus","username":"torvalds","approved_scopes":"read:user user:email","verification":{"status":"verified","strategy":"oauth_github"}}],"created_at":1600000000000,"last_sign_in_at":1700000000000,"password_digest":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy","password_hasher":"bcrypt","totp_secret":"JBSWY3DPEHPK3PXP","backup_codes":["abcd-1234","efgh-5678"]}
`
	path := t.TempDir() + "/seed.jsonl"
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	if sum := e.importFile(path, transfer.Options{}); sum.Imported != 1 {
		t.Fatalf("seed import: %+v", sum)
	}
	return append(ids, "user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdA")
}

// userJSON is GET /v1/users/{id} as the SDKs decode it, without what
// names the server (image URLs) or changes by itself (the attempts left).
func (e *env) userJSON(t *testing.T, id string) map[string]any {
	t.Helper()
	st, body := e.do("GET", "/v1/users/"+id, nil)
	if st != 200 {
		t.Fatalf("GET %s: %d %s", id, st, body)
	}
	body = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).ReplaceAll(body, []byte("URL"))
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sameUsers(t *testing.T, a, b *env, ids []string, ignore ...string) {
	t.Helper()
	for _, id := range ids {
		x, y := a.userJSON(t, id), b.userJSON(t, id)
		for _, k := range ignore {
			delete(x, k)
			delete(y, k)
		}
		if !reflect.DeepEqual(x, y) {
			xj, _ := json.MarshalIndent(x, "", " ")
			yj, _ := json.MarshalIndent(y, "", " ")
			t.Fatalf("user %s differs:\nsource %s\nimported %s", id, xj, yj)
		}
	}
}

// TestExportImportRoundTrip: an export imported into a fresh instance
// gives back every user as the Backend API shows it (IDs, identifiers and
// their verification states, external accounts, metadata, times, flags),
// and the passwords sign in. The Clerk CSV export re-imports too, with
// what that format holds.
func TestExportImportRoundTrip(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		a := newEnv(t, engine)
		ids := seedForTransfer(t, a)
		dir := t.TempDir()
		jsonl := a.export(transfer.FormatJSONL)
		os.WriteFile(dir+"/users.jsonl", jsonl, 0o600)
		if n := bytes.Count(jsonl, []byte("\n")); n != len(ids) {
			t.Fatalf("exported %d lines, want %d", n, len(ids))
		}

		b := newEnv(t, engine, withOrigins(appOrigin))
		b.app.Frontend.AttemptLimit, b.app.Frontend.SignInLimit = nil, nil
		if sum := b.importFile(dir+"/users.jsonl", transfer.Options{}); sum.Imported != int64(len(ids)) || sum.Failed != 0 {
			t.Fatalf("import: %+v", sum)
		}
		sameUsers(t, a, b, ids)
		// The second export equals the first: nothing was lost or added.
		if again := b.export(transfer.FormatJSONL); !bytes.Equal(again, jsonl) {
			t.Fatalf("export of the import differs:\n%s\n---\n%s", jsonl, again)
		}
		b.browser().signIn("ada@example.com", pw)
		b.browser().signIn("+14155552671", pw)
		b.browser().fails("POST", "/v1/client/sign_ins",
			formOf("identifier", "banned_one", "strategy", "password", "password", pw), 403, "user_banned")
		// Importing again skips everyone as a duplicate.
		if sum := b.importFile(dir+"/users.jsonl", transfer.Options{}); sum.Duplicates != int64(len(ids)) || sum.Imported != 0 {
			t.Fatalf("second import: %+v", sum)
		}

		// Clerk's CSV: IDs, addresses, names, metadata and passwords.
		os.WriteFile(dir+"/users.csv", a.export(transfer.FormatClerkCSV), 0o600)
		c := newEnv(t, engine, withOrigins(appOrigin))
		c.app.Frontend.AttemptLimit, c.app.Frontend.SignInLimit = nil, nil
		if sum := c.importFile(dir+"/users.csv", transfer.Options{}); sum.Imported != int64(len(ids)) || sum.Failed != 0 {
			t.Fatalf("CSV import: %+v", sum)
		}
		for _, id := range ids {
			x, y := a.userJSON(t, id), c.userJSON(t, id)
			for _, k := range []string{"first_name", "last_name", "username", "public_metadata", "private_metadata", "unsafe_metadata", "password_enabled"} {
				if !reflect.DeepEqual(x[k], y[k]) {
					t.Fatalf("%s: %s %v, after the CSV %v", id, k, x[k], y[k])
				}
			}
			if len(x["email_addresses"].([]any)) != len(y["email_addresses"].([]any)) {
				t.Fatalf("%s: addresses %v vs %v", id, x["email_addresses"], y["email_addresses"])
			}
		}
		c.browser().signIn("ada@example.com", pw)
	})
}

// TestImportFromAPI pulls users from one Concierge into another through
// the Backend API, as from Clerk: the users compare equal but for what no
// API gives out (password digests, second factors), and with the CSV export imported
// first, the passwords come along too.
func TestImportFromAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		a := newEnv(t, engine)
		ids := seedForTransfer(t, a)
		for i := 0; i < 520; i++ { // more than one page of 500
			if _, err := a.users.Create(context.Background(), &clerkuser.CreateParams{
				EmailAddresses: &[]string{"bulk" + itoa(i) + "@example.com"}, SkipPasswordRequirement: ptr(true)}); err != nil {
				t.Fatal(err)
			}
		}
		b := newEnv(t, engine, withOrigins(appOrigin))
		b.app.Frontend.AttemptLimit, b.app.Frontend.SignInLimit = nil, nil
		src := transfer.NewAPISource(context.Background(), a.url, testKey, 0)
		if total, err := src.Total(); err != nil || total != int64(len(ids)+520) {
			t.Fatalf("total %d %v", total, err)
		}
		sum := b.importInto(src, "api", transfer.Options{})
		if sum.Imported != int64(len(ids)+520) || sum.Failed != 0 {
			t.Fatalf("pull: %+v", sum)
		}
		// Nor second factors' secrets: the flags that show them differ.
		sameUsers(t, a, b, ids, "password_enabled", "password_last_updated_at", "totp_enabled", "backup_code_enabled", "two_factor_enabled")
		if u := b.userJSON(t, ids[0]); u["password_enabled"] != false {
			t.Fatalf("a password came through the API: %v", u["password_enabled"])
		}

		// CSV first, then the API filling in: both, in one go.
		dir := t.TempDir()
		os.WriteFile(dir+"/users.csv", a.export(transfer.FormatClerkCSV), 0o600)
		c := newEnv(t, engine, withOrigins(appOrigin))
		c.app.Frontend.AttemptLimit, c.app.Frontend.SignInLimit = nil, nil
		c.importFile(dir+"/users.csv", transfer.Options{})
		sum = c.importInto(transfer.NewAPISource(context.Background(), a.url, testKey, 0), "api", transfer.Options{Update: true})
		if sum.Updated != int64(len(ids)+520) || sum.Failed != 0 {
			t.Fatalf("fill-in: %+v", sum)
		}
		// Clerk's CSV has a TOTP column but none for backup codes.
		sameUsers(t, a, c, ids, "password_last_updated_at", "backup_code_enabled")
		c.browser().signIn("ada@example.com", pw)
	})
}

func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestImportWebhooks: an import asked for events raises user.created for
// each new user and user.updated for each overwritten one, verified by the
// official receivers; without, it raises none.
func TestImportWebhooks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		rcv := startReceiver(t)
		e := newEnv(t, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}))
		st, body := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url + "/hook",
			"events": []string{"user.created", "user.updated"}})
		var ep struct{ Secret string }
		if st != 200 || json.Unmarshal(body, &ep) != nil {
			t.Fatalf("create endpoint: %d %s", st, body)
		}
		rcv.post("/secret", ep.Secret)
		path := t.TempDir() + "/u.jsonl"
		os.WriteFile(path, []byte(`{"id":"user_2iiiiiiiiiiiiiiiiiiiiiiiiii","email_address":["quiet@example.com"]}`+"\n"), 0o600)
		e.importFile(path, transfer.Options{})
		os.WriteFile(path, []byte(`{"id":"user_2jjjjjjjjjjjjjjjjjjjjjjjjjj","email_address":["loud@example.com"]}`+"\n"+
			`{"id":"user_2iiiiiiiiiiiiiiiiiiiiiiiiii","first_name":"Now","email_address":["quiet@example.com"]}`+"\n"), 0o600)
		if sum := e.importFile(path, transfer.Options{Events: true, Update: true}); sum.Imported != 1 || sum.Updated != 1 {
			t.Fatalf("%+v", sum)
		}
		got := map[string]string{}
		for _, ev := range rcv.wait(2) {
			if ev["bySvix"] != true || ev["byClerk"] != true {
				t.Fatalf("unverified: %v", ev)
			}
			data, _ := ev["data"].(map[string]any)
			got[ev["type"].(string)], _ = data["id"].(string)
		}
		time.Sleep(200 * time.Millisecond) // nothing else comes
		if n := len(rcv.events()); n != 2 || got["user.created"] != "user_2jjjjjjjjjjjjjjjjjjjjjjjjjj" || got["user.updated"] != "user_2iiiiiiiiiiiiiiiiiiiiiiiiii" {
			t.Fatalf("%d events: %v", n, got)
		}
	})
}
