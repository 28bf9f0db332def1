package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/conciergehq/concierge/internal/errs"
)

type refDigest struct {
	Hasher   string `json:"hasher"`
	Digest   string `json:"digest"`
	Password string `json:"password"`
}

func readRefDigests(t *testing.T) []refDigest {
	t.Helper()
	b, err := os.ReadFile("../../testdata/import/digests.json")
	if err != nil {
		t.Fatal(err)
	}
	var ds []refDigest
	if err := json.Unmarshal(b, &ds); err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestReferenceDigests checks every digest that reference implementations
// made (testdata/import/gen_hashers.sh: passlib, bcrypt, argon2-cffi,
// Symfony, hashlib), and that they cover every hasher.
func TestReferenceDigests(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range readRefDigests(t) {
		seen[d.Hasher] = true
		if !Supported(d.Hasher) {
			t.Errorf("fixture hasher %q is not supported", d.Hasher)
			continue
		}
		if err := ValidateDigest(d.Hasher, d.Digest); err != nil {
			t.Errorf("%s %s: validate: %v", d.Hasher, d.Digest, err)
		}
		if !Verify(d.Hasher, d.Digest, d.Password) {
			t.Errorf("%s %s: right password refused", d.Hasher, d.Digest)
		}
		if Verify(d.Hasher, d.Digest, d.Password+"x") || Verify(d.Hasher, d.Digest, "") {
			t.Errorf("%s %s: wrong password accepted", d.Hasher, d.Digest)
		}
	}
	for _, h := range Hashers {
		if !seen[h] {
			t.Errorf("no reference digest for %s", h)
		}
	}
	if len(Hashers) != 17 {
		t.Errorf("%d hashers, want 17", len(Hashers))
	}
	for i := 1; i < len(Hashers); i++ {
		if Hashers[i-1] >= Hashers[i] {
			t.Errorf("Hashers not sorted at %s, %s", Hashers[i-1], Hashers[i])
		}
	}
}

// TestReferenceCSV checks the Clerk export fixture carries the same digests.
func TestReferenceCSV(t *testing.T) {
	f, err := os.Open("../../testdata/import/clerk_hashers.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const header = "id,first_name,last_name,username,email_addresses,phone_numbers,totp_secret,password_digest,password_hasher,unsafe_metadata,public_metadata,private_metadata"
	if len(rows) == 0 || strings.Join(rows[0], ",") != header {
		t.Fatalf("header %v", rows[:min(1, len(rows))])
	}
	ds := readRefDigests(t)
	if len(rows)-1 != len(ds) {
		t.Fatalf("%d rows for %d digests", len(rows)-1, len(ds))
	}
	for i, r := range rows[1:] {
		if len(r[0]) != len("user_")+27 || !strings.HasPrefix(r[0], "user_") {
			t.Errorf("row %d: id %q", i+1, r[0])
		}
		if r[7] != ds[i].Digest || r[8] != ds[i].Hasher {
			t.Errorf("row %d: %s %s, want %s %s", i+1, r[8], r[7], ds[i].Hasher, ds[i].Digest)
		}
		if err := ValidateDigest(r[8], r[7]); err != nil {
			t.Errorf("row %d: %v", i+1, err)
		}
	}
}

// TestDigestBounds: a digest whose parameters would make each sign-in
// attempt cost seconds to hours, or gigabytes, is refused as invalid, and
// Verify refuses it without computing.
func TestDigestBounds(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("saltsaltsalt1234"))
	sum := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	hex64 := strings.Repeat("ab", 64)
	b64of := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw"), 4)
	cases := []struct{ hasher, digest string }{
		{"argon2id", fmt.Sprintf("$argon2id$v=19$m=4194304,t=1,p=1$%s$%s", salt, sum)},
		{"argon2id", fmt.Sprintf("$argon2id$v=19$m=2097152,t=3,p=4$%s$%s", salt, sum)},
		{"argon2id", fmt.Sprintf("$argon2id$v=19$m=262144,t=5,p=1$%s$%s", salt, sum)}, // m·t
		{"argon2i", fmt.Sprintf("$argon2i$v=19$m=65536,t=17,p=1$%s$%s", salt, sum)},
		{"argon2i", fmt.Sprintf("$argon2i$v=19$m=65536,t=1,p=17$%s$%s", salt, sum)},
		{"argon2i", fmt.Sprintf("$argon2i$v=19$m=65536,t=1,p=300$%s$%s", salt, sum)},
		{"scrypt_werkzeug", "scrypt:16777216:8:1$salt$" + hex64},
		{"scrypt_werkzeug", "scrypt:1048576:8:1$salt$" + hex64}, // 1 GiB
		{"scrypt_werkzeug", "scrypt:16384:8:64$salt$" + hex64},
		{"scrypt_werkzeug", "scrypt:16384:9223372036854775807:1$salt$" + hex64},
		{"scrypt_werkzeug", "scrypt:30000:8:1$salt$" + hex64}, // not a power of 2
		{"scrypt_firebase", fmt.Sprintf("%s$%s$%s$Bw==$8$24", b64of(64), b64of(10), b64of(64))},
		{"scrypt_firebase", fmt.Sprintf("%s$%s$%s$Bw==$8$20", b64of(64), b64of(10), b64of(64))},
		{"scrypt_firebase", fmt.Sprintf("%s$%s$%s$Bw==$1000000$14", b64of(64), b64of(10), b64of(64))},
		{"pbkdf2_sha256", fmt.Sprintf("pbkdf2_sha256$10000000$%s$%s", salt, sum)},
		{"pbkdf2_sha256_django", fmt.Sprintf("pbkdf2_sha256$2000001$salt$%s", sum)},
		{"pbkdf2_sha512_hex", "pbkdf2_sha512_hex$10000000$abcd$" + hex64},
		{"pbkdf2_sha1", "pbkdf2_sha1$1500000$salt$" + hex64}, // 64-byte key: 4 SHA-1 blocks
		{"phpass", "$P$z" + "12345678" + strings.Repeat("a", 22)},
		{"phpass", "$P$J" + "12345678" + strings.Repeat("a", 22)},     // 2^21
		{"md5_phpass", "$P$4" + "12345678" + strings.Repeat("a", 22)}, // 2^6, under phpass's 7
		{"sha512_symfony", "sha512_symfony$1000000$salt$" + b64of(64)},
		{"sha512_symfony", "sha512_symfony$5000$" + strings.Repeat("s", 2000) + "$" + b64of(64)},
		{"bcrypt", strings.Replace(string(bc), "$04$", "$31$", 1)},
		{"bcrypt_sha256_django", "bcrypt_sha256$" + strings.Replace(string(bc), "$04$", "$20$", 1)},
	}
	for _, c := range cases {
		start := time.Now()
		err := ValidateDigest(c.hasher, c.digest)
		if e, ok := errs.As(err); !ok || e.Code != "form_password_digest_invalid_code" {
			t.Errorf("%s %.60s: got %v, want form_password_digest_invalid_code", c.hasher, c.digest, err)
		}
		if Verify(c.hasher, c.digest, "pw") {
			t.Errorf("%s %.60s: verified", c.hasher, c.digest)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s %.60s: took %v to refuse", c.hasher, c.digest, d)
		}
	}

	// At the bounds, digests are accepted.
	for _, c := range []struct{ hasher, digest string }{
		{"argon2id", fmt.Sprintf("$argon2id$v=19$m=262144,t=4,p=16$%s$%s", salt, sum)},
		{"scrypt_werkzeug", "scrypt:262144:8:2$salt$" + hex64},
		{"scrypt_firebase", fmt.Sprintf("%s$%s$%s$Bw==$8$18", b64of(64), b64of(10), b64of(64))},
		{"pbkdf2_sha256_django", fmt.Sprintf("pbkdf2_sha256$2000000$salt$%s", sum)},
		{"phpass", "$P$I" + "12345678" + strings.Repeat("a", 22)}, // 2^20
		{"sha512_symfony", "sha512_symfony$100000$salt$" + b64of(64)},
		{"bcrypt", strings.Replace(string(bc), "$04$", "$15$", 1)},
	} {
		if err := ValidateDigest(c.hasher, c.digest); err != nil {
			t.Errorf("%s %.60s: %v", c.hasher, c.digest, err)
		}
	}

	// A password far longer than anyone types is refused before hashing.
	if Verify("md5", "5f4dcc3b5aa765d61d8327deb882cf99", strings.Repeat("p", maxPlain+1)) {
		t.Error("over-long password verified")
	}
}

// TestDigestForms covers the variants Clerk's docs and exporters write.
func TestDigestForms(t *testing.T) {
	const pw = "Imported-forms-pw1"
	ok := func(hasher, digest, plain string) {
		t.Helper()
		if err := ValidateDigest(hasher, digest); err != nil {
			t.Errorf("%s %s: %v", hasher, digest, err)
		}
		if !Verify(hasher, digest, plain) || Verify(hasher, digest, plain+"x") {
			t.Errorf("%s %s: verify", hasher, digest)
		}
	}
	bad := func(hasher, digest string) {
		t.Helper()
		if err := ValidateDigest(hasher, digest); err == nil {
			t.Errorf("%s %s: accepted", hasher, digest)
		}
	}

	// scrypt_werkzeug: a leading "$", the bare method (32768:8:1), a base64 hash.
	k, _ := scrypt.Key([]byte(pw), []byte("abcDEF123"), 1<<15, 8, 1, 64)
	ok("scrypt_werkzeug", "$scrypt:32768:8:1$abcDEF123$"+hex.EncodeToString(k), pw)
	ok("scrypt_werkzeug", "scrypt$abcDEF123$"+hex.EncodeToString(k), pw)
	ok("scrypt_werkzeug", "scrypt:32768:8:1$abcDEF123$"+base64.StdEncoding.EncodeToString(k), pw)
	bad("scrypt_werkzeug", "pbkdf2:sha256:600000$abcDEF123$"+hex.EncodeToString(k))
	bad("scrypt_werkzeug", "scrypt:32768:8$abcDEF123$"+hex.EncodeToString(k))
	bad("scrypt_werkzeug", "scrypt:32768:8:1$$"+hex.EncodeToString(k))

	// ldap_ssha: the scheme in any case; a salt is required.
	for _, d := range readRefDigests(t) {
		if d.Hasher == "ldap_ssha" {
			ok("ldap_ssha", "{ssha}"+d.Digest[6:], d.Password)
		}
	}
	s := sha1.Sum([]byte(pw))
	bad("ldap_ssha", "{SSHA}"+base64.StdEncoding.EncodeToString(s[:]))
	bad("ldap_ssha", "{SHA}"+base64.StdEncoding.EncodeToString(s[:]))

	// pbkdf2_sha1: the key-length part must match the hash; a four-part
	// salt that looks like hex still works as text, as it always did.
	k1 := hexPBKDF2(t, "sha1", pw, []byte("deadbeef"), 1000, 20)
	ok("pbkdf2_sha1", "pbkdf2_sha1$1000$deadbeef$"+k1, pw)
	k1 = hexPBKDF2(t, "sha1", pw, []byte{0xde, 0xad, 0xbe, 0xef}, 1000, 20)
	ok("pbkdf2_sha1", "pbkdf2_sha1$1000$deadbeef$"+k1, pw)
	ok("pbkdf2_sha1", "pbkdf2_sha1$1000$deadbeef$"+k1+"$20", pw)
	ok("pbkdf2_sha1", "pbkdf2_sha1$1000$deadbeef$"+k1+"$160", pw)
	bad("pbkdf2_sha1", "pbkdf2_sha1$1000$deadbeef$"+k1+"$32")
	k1 = hexPBKDF2(t, "sha1", pw, []byte("not-hex!"), 1000, 20)
	ok("pbkdf2_sha1", "pbkdf2_sha1$1000$not-hex!$"+k1+"$20", pw)
	bad("pbkdf2_sha256", "pbkdf2_sha256$1000$c2FsdA==$"+base64.StdEncoding.EncodeToString(make([]byte, 32))+"$32")

	// pbkdf2_sha512: Clerk's text salt and hex hash.
	ok("pbkdf2_sha512", "pbkdf2_sha512$1000$salt$"+hexPBKDF2(t, "sha512", pw, []byte("salt"), 1000, 64), pw)

	// sha512_symfony, from Symfony's MessageDigestPasswordHasher('sha512',
	// true, 3) with password "pw": PHP treats the salt "0" as none, and a
	// salt may hold "$".
	ok("sha512_symfony", "sha512_symfony$3$0$35RYliMjxLQwTD0gbmHvIEqetR4Epht85/rBY+Hn1eKm/BzKJaiF0oWeWuY6ma0f+oJrbStvQirwrOj9UhhP+Q==", "pw")
	ok("sha512_symfony", "sha512_symfony$3$$35RYliMjxLQwTD0gbmHvIEqetR4Epht85/rBY+Hn1eKm/BzKJaiF0oWeWuY6ma0f+oJrbStvQirwrOj9UhhP+Q==", "pw")
	ok("sha512_symfony", "sha512_symfony$3$a$b$ewuXJbh3vrdXHmc2lDhM7jcJ+c+N8SpkD5cgc6fGzo6IWqKhmygSH8+ae9CbRjQrTIxwqvdM2dmGKxF4NSkFug==", "pw")
	bad("sha512_symfony", "sha512_symfony$3${x}$ewuXJbh3vrdXHmc2lDhM7jcJ+c+N8SpkD5cgc6fGzo6IWqKhmygSH8+ae9CbRjQrTIxwqvdM2dmGKxF4NSkFug==")
	bad("sha512_symfony", "sha256_symfony$3$a$ewuXJbh3vrdXHmc2lDhM7jcJ+c+N8SpkD5cgc6fGzo6IWqKhmygSH8+ae9CbRjQrTIxwqvdM2dmGKxF4NSkFug==")

	// phpass: a checksum outside itoa64, a wrong length, another prefix.
	bad("phpass", "$P$B12345678"+strings.Repeat("a", 21)+"!")
	bad("phpass", "$P$B12345678"+strings.Repeat("a", 21))
	bad("phpass", "$S$B12345678"+strings.Repeat("a", 22))
}

func hexPBKDF2(t *testing.T, h, pw string, salt []byte, iter, n int) string {
	t.Helper()
	f := sha1.New
	if h == "sha512" {
		f = sha512.New
	}
	k, err := pbkdf2.Key(f, pw, salt, iter, n)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(k)
}
