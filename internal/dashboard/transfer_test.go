package dashboard_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/transfer"
	"github.com/conciergehq/concierge/internal/user"
)

// upload posts the import form as the page's form sends it: csrf and the
// other fields first, then the file. An empty csrf is left out.
func (c *client) upload(csrf, name string, content []byte, fields url.Values) (int, string) {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.url+"/dashboard/import-export/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.e.url)
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// summary reads the count the result's cell id shows (sum-imported...).
func summary(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `">(\d+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page shows no %s:\n%s", id, body)
	}
	return m[1]
}

func userCount(t *testing.T, e *env) int64 {
	t.Helper()
	n, err := e.app.API.Users.Count(context.Background(), user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportExport: an operator uploads Clerk's CSV (a dry run first,
// which writes nothing), sees what it did, uploads it again (all
// duplicates), a file with one bad row (listed with its line, the others
// imported), and files that cannot be imported (shown, not a 500) or are
// too big; then
// downloads JSON Lines and Clerk's CSV.
func TestImportExport(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.app.Dashboard.MaxUpload = 64 << 10
		ctx := context.Background()
		hashers, err := os.ReadFile("../../testdata/import/clerk_hashers.csv")
		if err != nil {
			t.Fatal(err)
		}

		// Not signed in: like every page.
		anon := e.client()
		if st, _, h := anon.get("/dashboard/import-export"); st != 303 || !strings.HasPrefix(h.Get("Location"), "/dashboard/sign-in?next=") {
			t.Fatalf("signed out page: %d %v", st, h)
		}
		if st, _ := anon.upload("", "users.csv", hashers, nil); st != 401 {
			t.Fatalf("signed out upload: %d", st)
		}

		c := e.client()
		csrf := c.signIn("op@example.com")
		st, page, _ := c.get("/dashboard/import-export")
		for _, want := range []string{`enctype="multipart/form-data"`, `<option value="supabase"`, `name="dry_run"`, "concierge import",
			"64 KiB", "as secret as the database", `value="clerk-csv"`, `href="/dashboard/import-export" aria-current="page"`} {
			if st != 200 || !strings.Contains(page, want) {
				t.Fatalf("the page (%d) lacks %q", st, want)
			}
		}

		// Without the token, or with another's, nothing is read.
		if st, body := c.upload("", "users.csv", hashers, nil); st != 403 || !strings.Contains(body, "security token") {
			t.Fatalf("upload without csrf: %d", st)
		}
		if st, _ := c.upload("not-the-token", "users.csv", hashers, nil); st != 403 {
			t.Fatalf("upload with a wrong csrf: %d", st)
		}

		// A dry run decides everything and writes nothing.
		st, body := c.upload(csrf, "users.csv", hashers, url.Values{"dry_run": {"true"}})
		if st != 200 || summary(t, body, "sum-imported") != "24" || !strings.Contains(body, "nothing was written") {
			t.Fatalf("dry run: %d\n%s", st, body)
		}
		if n := userCount(t, e); n != 0 {
			t.Fatalf("a dry run stored %d users", n)
		}

		st, body = c.upload(csrf, "users.csv", hashers, url.Values{"format": {"auto"}})
		if st != 200 || summary(t, body, "sum-read") != "24" || summary(t, body, "sum-imported") != "24" || summary(t, body, "sum-failed") != "0" {
			t.Fatalf("import: %d\n%s", st, body)
		}
		if strings.Contains(body, "nothing was written") {
			t.Fatal("a real import says it was a dry run")
		}
		if n := userCount(t, e); n != 24 {
			t.Fatalf("%d users after the import", n)
		}
		if u, err := e.app.API.Users.Get(ctx, "user_dUSjAr8hJRutdcPGkLEyN3u4NNM"); err != nil || u.PasswordHasher == "" {
			t.Fatalf("an imported user: %v %+v", err, u)
		}
		if _, list, _ := c.get("/dashboard/users?q=argon2id%40import"); !strings.Contains(list, "argon2id@import.example.com") {
			t.Fatal("the users page does not list an imported user")
		}

		st, body = c.upload(csrf, "users.csv", hashers, url.Values{})
		if st != 200 || summary(t, body, "sum-duplicates") != "24" || summary(t, body, "sum-imported") != "0" {
			t.Fatalf("the same file again: %d\n%s", st, body)
		}
		st, body = c.upload(csrf, "users.csv", hashers, url.Values{"update": {"true"}})
		if st != 200 || summary(t, body, "sum-updated") != "24" || summary(t, body, "sum-duplicates") != "0" {
			t.Fatalf("the same file again, updating: %d\n%s", st, body)
		}

		// One bad row fails alone, with its line.
		bad := "id,first_name,email_addresses\n" +
			"ext-1,Ada,ada@example.com\n" +
			"ext-2,Bob,not-an-email\n" +
			"ext-3,Cy,cy@example.com\n"
		st, body = c.upload(csrf, "people.csv", []byte(bad), url.Values{})
		if st != 200 || summary(t, body, "sum-imported") != "2" || summary(t, body, "sum-failed") != "1" {
			t.Fatalf("a bad row: %d\n%s", st, body)
		}
		failures := between(body, `id="import-failures"`, "</table>")
		if !strings.Contains(failures, "<td>3</td>") || !strings.Contains(failures, "email") {
			t.Fatalf("the failure's line or reason is not shown: %s", failures)
		}
		if n := userCount(t, e); n != 26 {
			t.Fatalf("%d users after the bad file", n)
		}

		// Files that cannot be imported at all: the page says why.
		for _, tc := range []struct {
			name, content, format, want string
		}{
			{"wrong.csv", "name,mail\nAda,ada@example.com\n", "auto", "not a Clerk user export"},
			{"users.csv", string(hashers), "xml", "Unknown format"},
			// A broken quote: the rows before it are imported, and shown.
			{"quote.csv", "id,email_addresses\nq-1,dee@example.com\n\"q-2,eve@example.com\n", "clerk-csv", `id="sum-imported">1<`},
		} {
			st, body := c.upload(csrf, tc.name, []byte(tc.content), url.Values{"format": {tc.format}})
			if st != 422 || !strings.Contains(body, `id="page-error"`) || !strings.Contains(body, tc.want) {
				t.Fatalf("%s as %s: %d\n%s", tc.name, tc.format, st, body)
			}
		}
		// No file chosen.
		if st, body := c.upload(csrf, "", nil, url.Values{}); st != 422 || !strings.Contains(body, "Choose a file") {
			t.Fatalf("no file: %d", st)
		}
		// Too big for an upload: the page says so, and where to go instead.
		st, body = c.upload(csrf, "big.csv", bytes.Repeat([]byte("x"), 100<<10), url.Values{})
		if st != 413 || !strings.Contains(body, "larger than the 64 KiB upload limit") || !strings.Contains(body, "concierge import") {
			t.Fatalf("a big file: %d\n%s", st, body)
		}
		if n := userCount(t, e); n != 27 {
			t.Fatalf("%d users after the refused files", n)
		}

		// Exports are forms with the token.
		download := func(format string) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest("POST", e.url+"/dashboard/import-export/export",
				strings.NewReader(url.Values{"csrf": {csrf}, "format": {format}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", e.url)
			res, err := c.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		// (The date is today's; a pattern, so that midnight does not fail it.)
		attachment := func(h http.Header, ext string) bool {
			return regexp.MustCompile(`^attachment; filename="concierge-users-\d{4}-\d\d-\d\d\.` + ext + `"$`).MatchString(h.Get("Content-Disposition"))
		}
		res, b := download("jsonl")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ndjson" ||
			!attachment(res.Header, "jsonl") ||
			res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("JSON Lines export: %d %v", res.StatusCode, res.Header)
		}
		var lines, imports, audits int
		var totp bool
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("line %d: %v", lines+1, err)
			}
			// The users come first, then the audit log: here the
			// operator's sign-in and import batches.
			if rec["object"] == "audit_event" {
				if rec["actor_kind"] != "operator" || (rec["action"] != "user.imported" && rec["action"] != "operator.signed_in") {
					t.Fatalf("audit line: %v", rec)
				}
				if rec["action"] == "user.imported" {
					imports++
				}
				audits++
				continue
			}
			if audits > 0 {
				t.Fatal("a user after the audit log")
			}
			lines++
			// The TOTP secret was sealed on import and opens on export:
			// the page has the instance's key.
			totp = totp || rec["totp_secret"] == "JBSWY3DPEHPK3PXP"
		}
		if lines != 27 || imports == 0 || !bytes.Contains(b, []byte(`"password_digest":`)) || !totp {
			t.Fatalf("JSON Lines export: %d user lines, %d audit lines, TOTP secret %v", lines, imports, totp)
		}

		res, b = download("clerk-csv")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!attachment(res.Header, "csv") {
			t.Fatalf("CSV export: %d %v", res.StatusCode, res.Header)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) != 28 || !slices.Equal(rows[0], transfer.ClerkCSVColumns) {
			t.Fatalf("CSV export: %v, %d rows, header %v", err, len(rows), rows[0])
		}

		// The format may come in the query instead.
		if st, _, h := c.post("/dashboard/import-export/export?format=clerk-csv", url.Values{"csrf": {csrf}}); st != 200 ||
			!strings.HasSuffix(h.Get("Content-Disposition"), `.csv"`) {
			t.Fatalf("export with the format in the query: %d %v", st, h)
		}
		if res, _ := download("xml"); res.StatusCode != 400 {
			t.Fatalf("unknown export format: %d", res.StatusCode)
		}
		if st, _, h := c.post("/dashboard/import-export/export", url.Values{"format": {"jsonl"}}); st != 403 || h.Get("Content-Disposition") != "" {
			t.Fatalf("export without csrf: %d", st)
		}
		if st, _, _ := anon.post("/dashboard/import-export/export", url.Values{"format": {"jsonl"}}); st != 401 {
			t.Fatalf("signed out export: %d", st)
		}
	})
}

// TestExportFailingPartWay: an export that fails (here: TOTP secrets
// sealed with another key) is never a complete-looking download: before
// its first byte it is an error page, after it a broken response.
func TestExportFailingPartWay(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	key, err := e.app.Settings.Secret(ctx, "mfa")
	if err != nil {
		t.Fatal(err)
	}
	f, err := transfer.OpenFile("../../testdata/import/clerk_hashers.csv", "auto")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im := &transfer.Importer{Store: e.db, Builder: &transfer.Builder{Source: f.Format, Key: key, Now: time.Now}}
	if sum, err := im.Run(ctx, f, transfer.Options{}); err != nil || sum.Imported != 24 {
		t.Fatalf("import: %v %+v", err, sum)
	}
	e.app.Dashboard.MFAKey = bytes.Repeat([]byte{7}, len(key))
	c := e.client()
	csrf := c.signIn("op@example.com")
	for _, format := range []string{"jsonl", "clerk-csv"} {
		req, _ := http.NewRequest("POST", e.url+"/dashboard/import-export/export",
			strings.NewReader(url.Values{"csrf": {csrf}, "format": {format}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.url)
		res, err := c.c.Do(req)
		if err != nil {
			continue // broken: fine
		}
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case err != nil: // broken part-way: fine
		case res.StatusCode == 200:
			t.Fatalf("%s: a failed export ended as a complete download", format)
		case res.Header.Get("Content-Disposition") != "":
			t.Fatalf("%s: the error page is a download: %v", format, res.Header)
		}
	}
}
