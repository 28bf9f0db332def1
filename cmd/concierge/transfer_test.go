package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/user"
)

func TestMain(m *testing.M) { dbtest.Main(m, removeBinary) }

// envFor runs commands against dsn.
func envFor(dsn string) func(string) string {
	return func(k string) string {
		if k == "CONCIERGE_DATABASE" {
			return dsn
		}
		return ""
	}
}

func countUsers(t *testing.T, dsn string) int64 {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountUsers(context.Background(), user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeUsers writes n create-user bodies with Clerk-style IDs and one
// bcrypt digest; bad maps line numbers to lines that replace the user.
func writeUsers(t *testing.T, path string, n int, bad map[int]string) {
	t.Helper()
	digest, err := password.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		if line, ok := bad[i]; ok {
			b.WriteString(line + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"id":"user_%027d","email_address":["u%d@example.com"],"first_name":"U%d","password_digest":%q,"password_hasher":"bcrypt","public_metadata":{"i":%d}}`+"\n",
			i, i, i, digest, i)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestImportCommandResumes kills an import with SIGKILL mid-way: the run
// after it resumes at the last committed batch, no user is imported twice,
// and the failed records of both runs are in the error file with their
// line numbers.
func TestImportCommandResumes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		_, bin := build(t)
		dir := t.TempDir()
		dsn := dbtest.DSN(t, engine)
		const n = 6000
		file := filepath.Join(dir, "users.jsonl")
		writeUsers(t, file, n, map[int]string{7: `{"id": "user_broken", "email_address": [`, 5990: `{"email_address":["not-an-email"]}`})

		cmd := exec.Command(bin, "import", "-batch", "20", file)
		cmd.Env = append(os.Environ(), "CONCIERGE_DATABASE="+dsn)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once some batches have committed, well before the end.
		deadline := time.Now().Add(60 * time.Second)
		for countUsers(t, dsn) < 100 {
			if time.Now().After(deadline) {
				t.Fatalf("no progress: %s", out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		before := countUsers(t, dsn)
		if before >= n-2 {
			t.Fatalf("the import finished before it was killed (%d users): make the file bigger", before)
		}

		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"import", file}, envFor(dsn), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "records failed") {
			t.Fatalf("want the failures reported, got %v\n%s%s", err, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "resuming after record") || !strings.Contains(stdout.String(), "committed by an earlier run") {
			t.Fatalf("no resume said:\n%s%s", stdout.String(), stderr.String())
		}
		if got := countUsers(t, dsn); got != n-2 {
			t.Fatalf("%d users after resuming, want %d (%d before)\n%s", got, n-2, before, stdout.String())
		}
		errs, err := os.ReadFile(filepath.Join(dir, "users.errors.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		lines := map[float64]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(errs)), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("error file line %q: %v", l, err)
			}
			lines[rec["import_line"].(float64)], _ = rec["import_error"].(string)
		}
		if len(lines) != 2 || !strings.Contains(lines[7], "not valid JSON") || !strings.Contains(lines[5990], "email_address") {
			t.Fatalf("error file: %v", lines)
		}

		// Done: another run reads nothing and changes nothing.
		stdout.Reset()
		if err := run(context.Background(), []string{"import", file}, envFor(dsn), &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "0 records read") || countUsers(t, dsn) != n-2 {
			t.Fatalf("third run: %s", stdout.String())
		}
	})
}

// TestImportCommandFiles: a bad file is refused with a clear message and
// nothing imported; a bad row fails alone with its line; -dry-run writes
// nothing; -update overwrites; Supabase and Auth0 exports import with
// their IDs as external IDs, into IDs that a second instance derives
// alike; export writes them back out.
func TestImportCommandFiles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		dir := t.TempDir()
		dsn := dbtest.DSN(t, engine)
		env := envFor(dsn)
		write := func(name, body string) string {
			p := filepath.Join(dir, name)
			os.WriteFile(p, []byte(body), 0o600)
			return p
		}
		call := func(args ...string) (string, error) {
			var o bytes.Buffer
			err := run(context.Background(), args, env, &o, &o)
			return o.String(), err
		}

		// Not Clerk's columns.
		out, err := call("import", write("wrong.csv", "email,name\na@example.com,A\n"))
		if err == nil || !strings.Contains(err.Error(), "not a Clerk user export") {
			t.Fatalf("wrong columns: %v %s", err, out)
		}
		// Bad cells fail alone, each with its line.
		csvFile := write("users.csv", strings.Join([]string{
			"id,first_name,last_name,username,email_addresses,phone_numbers,totp_secret,password_digest,password_hasher,unsafe_metadata,public_metadata,private_metadata",
			"user_2aaaaaaaaaaaaaaaaaaaaaaaaaa,Ok,One,,ok1@example.com,,,,,{},{},{}",
			"user_2bbbbbbbbbbbbbbbbbbbbbbbbbb,Bad,Hasher,,bad1@example.com,,,abc,rot13,{},{},{}",
			`user_2cccccccccccccccccccccccccc,Bad,Json,,bad2@example.com,,,,,{},"{""a"":",{}`,
			"user_2dddddddddddddddddddddddddd,Ok,Two,,ok2@example.com|ok2b@example.com,,,,,{},{},{}",
		}, "\n")+"\n")
		out, err = call("import", "-dry-run", csvFile)
		if err == nil || !strings.Contains(out, "would import 2") || countUsers(t, dsn) != 0 {
			t.Fatalf("dry run: %v %s (%d users)", err, out, countUsers(t, dsn))
		}
		out, err = call("import", csvFile)
		if err == nil || !strings.Contains(out, "imported 2,") || !strings.Contains(out, "line 3: password_hasher") ||
			!strings.Contains(out, "line 4: public_metadata is not a JSON object") {
			t.Fatalf("bad rows: %v\n%s", err, out)
		}
		errCSV, _ := os.ReadFile(filepath.Join(dir, "users.errors.csv"))
		if !strings.HasPrefix(string(errCSV), "id,first_name") || strings.Count(string(errCSV), "\n") != 3 || !strings.Contains(string(errCSV), ",3,") {
			t.Fatalf("error file:\n%s", errCSV)
		}

		// -update overwrites what a plain run skips.
		jsonl := write("update.jsonl", `{"id":"user_2aaaaaaaaaaaaaaaaaaaaaaaaaa","first_name":"Renamed","email_address":["ok1@example.com"]}`+"\n")
		if out, err = call("import", jsonl); err != nil || !strings.Contains(out, "skipped 1 duplicates") {
			t.Fatalf("plain re-run: %v %s", err, out)
		}
		if out, err = call("import", "-update", jsonl); err != nil || !strings.Contains(out, "updated 1") {
			t.Fatalf("update: %v %s", err, out)
		}

		// An address another user holds, and one taken twice in the file:
		// those records fail alone, with their lines.
		taken := write("taken.jsonl", `{"id":"user_2eeeeeeeeeeeeeeeeeeeeeeeeee","email_address":["fresh1@example.com"]}`+"\n"+
			`{"id":"user_2ffffffffffffffffffffffffff","email_address":["ok1@example.com"]}`+"\n"+
			`{"id":"user_2gggggggggggggggggggggggggg","email_address":["fresh2@example.com"]}`+"\n"+
			`{"id":"user_2hhhhhhhhhhhhhhhhhhhhhhhhhh","email_address":["FRESH2@example.com"]}`+"\n")
		out, err = call("import", taken)
		if err == nil || !strings.Contains(out, "imported 2,") || !strings.Contains(out, "line 2: email_address: The email_address ok1@example.com belongs to another user.") ||
			!strings.Contains(out, "line 4: email_address: The email_address fresh2@example.com belongs to another user.") {
			t.Fatalf("taken addresses: %v\n%s", err, out)
		}

		// Records without Clerk IDs or times derive the same IDs again:
		// reading the file anew finds them as duplicates.
		bodies := write("bodies.jsonl", `{"email_address":["body1@example.com"],"password":"a long enough pass 1","skip_password_checks":true}`+"\n"+
			`{"email_address":["body2@example.com"],"external_id":"legacy-2"}`+"\n")
		if out, err = call("import", bodies); err != nil || !strings.Contains(out, "imported 2,") {
			t.Fatalf("bodies: %v %s", err, out)
		}
		if out, err = call("import", "-restart", bodies); err != nil || !strings.Contains(out, "skipped 2 duplicates") {
			t.Fatalf("bodies again: %v %s", err, out)
		}

		// Supabase (a JSON array of auth.users rows) and Auth0 (JSON Lines).
		supa := write("supabase.json", `[
 {"id":"8a1b2c3d-0000-4000-8000-000000000001","aud":"authenticated","email":"sb@example.com","encrypted_password":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy","email_confirmed_at":"2024-01-15 10:00:00.123456+00","phone":"14155552671","phone_confirmed_at":null,"raw_user_meta_data":{"name":"Sup"},"raw_app_meta_data":{"provider":"email"},"created_at":"2024-01-15 09:59:00+00","last_sign_in_at":"2024-02-01T08:00:00Z"}
]`)
		auth0 := write("auth0.jsonl", `{"user_id":"auth0|65ab","email":"a0@example.com","email_verified":false,"given_name":"Ay","family_name":"Zero","created_at":"2023-05-06T07:08:09.000Z","identities":[{"provider":"google-oauth2","user_id":"1098","isSocial":true}],"app_metadata":{"role":"admin"}}`+"\n"+
			`{"_id":{"$oid":"65ac"},"email":"a1@example.com","email_verified":true,"passwordHash":"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}`+"\n")
		for _, f := range []string{supa, auth0} {
			if out, err = call("import", f); err != nil {
				t.Fatalf("%s: %v %s", f, err, out)
			}
		}
		out, err = call("export", "-output", filepath.Join(dir, "all.jsonl"))
		if err != nil || !strings.Contains(out, "exported 9 users") {
			t.Fatalf("export: %v %s", err, out)
		}
		all, _ := os.ReadFile(filepath.Join(dir, "all.jsonl"))
		byExt := map[string]map[string]any{}
		for _, l := range strings.Split(strings.TrimSpace(string(all)), "\n") {
			var m map[string]any
			json.Unmarshal([]byte(l), &m)
			if ext, ok := m["external_id"].(string); ok {
				byExt[ext] = m
			}
		}
		sb, a0, a1 := byExt["8a1b2c3d-0000-4000-8000-000000000001"], byExt["auth0|65ab"], byExt["auth0|65ac"]
		if sb == nil || a0 == nil || a1 == nil {
			t.Fatalf("external IDs: %v", byExt)
		}
		if sb["password_hasher"] != "bcrypt" || sb["email_addresses"].([]any)[0].(map[string]any)["verification"].(map[string]any)["status"] != "verified" ||
			sb["phone_numbers"].([]any)[0].(map[string]any)["phone_number"] != "+14155552671" || sb["unsafe_metadata"].(map[string]any)["name"] != "Sup" {
			t.Fatalf("supabase user: %v", sb)
		}
		if a0["email_addresses"].([]any)[0].(map[string]any)["verification"].(map[string]any)["status"] != "unverified" ||
			a0["external_accounts"].([]any)[0].(map[string]any)["provider"] != "oauth_google" || a0["private_metadata"].(map[string]any)["role"] != "admin" ||
			a1["password_hasher"] != "bcrypt" {
			t.Fatalf("auth0 users: %v %v", a0, a1)
		}
		// A second instance derives the same IDs from the same export.
		other := dbtest.DSN(t, engine)
		var o bytes.Buffer
		if err := run(context.Background(), []string{"import", auth0}, envFor(other), &o, &o); err != nil {
			t.Fatal(err)
		}
		db, _ := sqlstore.Open(context.Background(), other)
		defer db.Close()
		if _, err := db.User(context.Background(), a0["id"].(string)); err != nil {
			t.Fatalf("derived ID %s not found in the second instance: %v", a0["id"], err)
		}
	})
}

// TestSplitFlags: the import command's flags, the server's and the files
// may come in any order.
func TestSplitFlags(t *testing.T) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.Bool("dry-run", false, "")
	fs.String("format", "", "")
	mine, rest := splitFlags([]string{"a.csv", "-database", "x.db", "-dry-run", "--format=jsonl", "b.jsonl", "-format", "csv", "-addr=:1"}, fs)
	if strings.Join(mine, " ") != "-dry-run --format=jsonl -format csv a.csv b.jsonl" || strings.Join(rest, " ") != "-database x.db -addr=:1" {
		t.Fatalf("mine %q rest %q", mine, rest)
	}
}

// TestImportCommandFromAPI: one command imports another Concierge's CSV
// export and then its Backend API, which fills in what the CSV lacks
// (here an unverified address's state and a creation time) while the
// CSV's password digests stay; an interrupted pull resumes from its
// checkpoint, and -restart pulls everything again.
func TestImportCommandFromAPI(t *testing.T) {
	dsnA := filepath.Join(t.TempDir(), "a.db")
	db, err := sqlstore.Open(context.Background(), dsnA)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const key = "sk_test_0123456789abcdefghijklmnopqrstuv"
	srv := apptest.Start(t, db, apptest.Config{Options: app.Options{SecretKey: key, EmailDomain: "concierge.test"}})
	seed := filepath.Join(t.TempDir(), "seed.jsonl")
	os.WriteFile(seed, []byte(`{"id":"user_2kkkkkkkkkkkkkkkkkkkkkkkkkk","object":"user","email_addresses":[{"id":"idn_2kkkkkkkkkkkkkkkkkkkkkkkkkk","email_address":"k@example.com","verification":{"status":"unverified","strategy":"email_code"}}],"created_at":1500000000000,"password_digest":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy","password_hasher":"bcrypt"}`+"\n"+
		`{"id":"user_2lllllllllllllllllllllllllll","email_address":["l@example.com"]}`+"\n"), 0o600)
	var o bytes.Buffer
	if err := run(context.Background(), []string{"import", seed}, envFor(dsnA), &o, &o); err != nil {
		t.Fatalf("%v %s", err, o.String())
	}
	csvFile := filepath.Join(t.TempDir(), "a.csv")
	if err := run(context.Background(), []string{"export", "-format", "clerk-csv", "-output", csvFile}, envFor(dsnA), &o, &o); err != nil {
		t.Fatal(err)
	}

	dsnB := filepath.Join(t.TempDir(), "b.db")
	o.Reset()
	if err := run(context.Background(), []string{"import", csvFile, "-from-api", srv.URL, "-key", key}, envFor(dsnB), &o, &o); err != nil {
		t.Fatalf("%v\n%s", err, o.String())
	}
	if !strings.Contains(o.String(), "a.csv: 2 records read") || !strings.Contains(o.String(), srv.URL+": 2 records read") ||
		!strings.Contains(o.String(), "updated 2") {
		t.Fatalf("output:\n%s", o.String())
	}
	b, err := sqlstore.Open(context.Background(), dsnB)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.User(context.Background(), "user_2kkkkkkkkkkkkkkkkkkkkkkkkkk")
	b.Close()
	if err != nil || u.CreatedAt != 1500000000000 || u.Identifiers[0].VerificationStatus != "unverified" || u.PasswordHasher != "bcrypt" {
		t.Fatalf("%v %+v", err, u)
	}
	// Run again (an API pass after files updates, so -update is the same
	// run): its checkpoint says it is done; -restart pulls again.
	o.Reset()
	if err := run(context.Background(), []string{"import", "-update", "-from-api", srv.URL, "-key", key}, envFor(dsnB), &o, &o); err != nil ||
		!strings.Contains(o.String(), "0 records read") {
		t.Fatalf("%v\n%s", err, o.String())
	}
	o.Reset()
	if err := run(context.Background(), []string{"import", "-restart", "-from-api", srv.URL, "-key", key}, envFor(dsnB), &o, &o); err != nil ||
		!strings.Contains(o.String(), "skipped 2 duplicates") {
		t.Fatalf("%v\n%s", err, o.String())
	}
	// A wrong key is a clear error.
	if err := run(context.Background(), []string{"import", "-from-api", srv.URL, "-key", "sk_test_wrong"}, envFor(dsnB), &o, &o); err == nil ||
		!strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}
}
