package password

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/conciergehq/concierge/internal/errs"
)

func TestCommonListSize(t *testing.T) {
	if n := CommonCount(); n < 10000 {
		t.Fatalf("common-password list has %d entries, want at least 10,000", n)
	}
	for _, p := range []string{"password", "PASSWORD1", "12345678", "iloveyou"} {
		if !IsCommon(p) {
			t.Errorf("%q should be common", p)
		}
	}
	if IsCommon("correct horse battery staple 42") {
		t.Error("a long passphrase should not be common")
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		p    string
		skip bool
		code string
	}{
		{"short", false, "form_password_length_too_short"},
		{"password1", false, "form_password_pwned"},
		{string(make([]byte, 73)), true, "form_password_length_too_long"},
		{"short", true, ""},
		{"a-fine passphrase", false, ""},
	}
	for _, c := range cases {
		err := Check("password", c.p, c.skip)
		if c.code == "" {
			if err != nil {
				t.Errorf("%q: unexpected %v", c.p, err)
			}
			continue
		}
		if e, ok := errs.As(err); !ok || e.Code != c.code {
			t.Errorf("%q: got %v, want %s", c.p, err, c.code)
		}
	}
}

func TestHashIsBcryptCost10(t *testing.T) {
	h, err := Hash("a-fine passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost([]byte(h)); err != nil || c < 10 {
		t.Fatalf("cost %d, %v", c, err)
	}
	if !Verify("bcrypt", h, "a-fine passphrase") || Verify("bcrypt", h, "wrong") {
		t.Fatal("bcrypt verify")
	}
}

// TestDigests builds a digest with each algorithm from its definition and
// checks that it validates and verifies, and that a wrong password fails.
func TestDigests(t *testing.T) {
	const pw = "s3cret-Passw0rd"
	salt := []byte("saltsaltsalt1234")
	b64 := base64.StdEncoding.EncodeToString
	raw64 := base64.RawStdEncoding.EncodeToString
	digests := map[string]string{}

	bc, _ := bcrypt.GenerateFromPassword([]byte(pw), 4)
	digests["bcrypt"] = string(bc)
	sum := sha256.Sum256([]byte(pw))
	dj, _ := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(sum[:])), 4)
	digests["bcrypt_sha256_django"] = "bcrypt_sha256$" + string(dj)
	m := md5.Sum([]byte(pw))
	digests["md5"] = hex.EncodeToString(m[:])
	digests["sha256"] = hex.EncodeToString(sum[:])
	k1, _ := pbkdf2.Key(sha1.New, pw, salt, 1000, 20)
	digests["pbkdf2_sha1"] = fmt.Sprintf("pbkdf2_sha1$1000$%s$%s", salt, hex.EncodeToString(k1))
	k256, _ := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	digests["pbkdf2_sha256"] = fmt.Sprintf("pbkdf2_sha256$1000$%s$%s", b64(salt), b64(k256))
	digests["pbkdf2_sha256_django"] = fmt.Sprintf("pbkdf2_sha256$1000$%s$%s", salt, b64(k256))
	k512, _ := pbkdf2.Key(sha512.New, pw, salt, 1000, 64)
	digests["pbkdf2_sha512"] = fmt.Sprintf("pbkdf2_sha512$1000$%s$%s", b64(salt), b64(k512))
	digests["argon2id"] = fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", raw64(salt), raw64(argon2.IDKey([]byte(pw), salt, 1, 64, 1, 32)))
	digests["argon2i"] = fmt.Sprintf("$argon2i$v=19$m=64,t=1,p=1$%s$%s", raw64(salt), raw64(argon2.Key([]byte(pw), salt, 1, 64, 1, 32)))
	signer := []byte("signer-key-bytes-for-firebase-test")
	sep := []byte{0x01}
	key, _ := scrypt.Key([]byte(pw), append(append([]byte{}, salt...), sep...), 1<<8, 8, 1, 32)
	block, _ := aes.NewCipher(key)
	enc := make([]byte, len(signer))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(enc, signer)
	digests["scrypt_firebase"] = fmt.Sprintf("%s$%s$%s$%s$8$8", b64(enc), b64(salt), b64(signer), b64(sep))
	k512hex, _ := pbkdf2.Key(sha512.New, pw, salt, 1000, 64)
	digests["pbkdf2_sha512_hex"] = fmt.Sprintf("pbkdf2_sha512_hex$1000$%x$%x", salt, k512hex)
	ws, _ := scrypt.Key([]byte(pw), salt, 1<<10, 8, 1, 64)
	digests["scrypt_werkzeug"] = fmt.Sprintf("scrypt:1024:8:1$%s$%x", salt, ws)
	x := md5.Sum(append(salt[:8:8], pw...))
	for range 1 << 7 {
		x = md5.Sum(append(x[:], pw...))
	}
	digests["phpass"] = "$P$5" + string(salt[:8]) + phpassEncode(x[:])
	digests["md5_phpass"] = digests["phpass"]
	salted := []byte(pw + "{" + string(salt) + "}")
	sy := sha512.Sum512(salted)
	for range 9 {
		sy = sha512.Sum512(append(sy[:], salted...))
	}
	digests["sha512_symfony"] = fmt.Sprintf("sha512_symfony$10$%s$%s", salt, b64(sy[:]))
	ss := sha1.Sum(append([]byte(pw), salt...))
	digests["ldap_ssha"] = "{SSHA}" + b64(append(ss[:], salt...))

	for _, h := range Hashers {
		d, ok := digests[h]
		if !ok {
			t.Errorf("no test digest for %s", h)
			continue
		}
		if err := ValidateDigest(h, d); err != nil {
			t.Errorf("%s: validate: %v", h, err)
		}
		if !Verify(h, d, pw) {
			t.Errorf("%s: right password refused", h)
		}
		if Verify(h, d, pw+"x") {
			t.Errorf("%s: wrong password accepted", h)
		}
		if err := ValidateDigest(h, "garbage$"+d[:len(d)/2]); err == nil {
			t.Errorf("%s: truncated digest accepted", h)
		}
	}
	if err := ValidateDigest("rot13", "x"); err == nil {
		t.Error("unknown hasher accepted")
	}
}
