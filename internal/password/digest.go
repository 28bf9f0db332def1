package password

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/conciergehq/concierge/internal/errs"
)

// Hashers lists the password_hasher values Concierge accepts, in Clerk's
// spelling, each with the digest format Clerk documents for it.
var Hashers = []string{
	"argon2i", "argon2id", "bcrypt", "bcrypt_sha256_django", "md5",
	"pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha256_django", "pbkdf2_sha512",
	"scrypt_firebase", "sha256",
}

// Supported reports whether hasher is one of Hashers.
func Supported(hasher string) bool {
	for _, h := range Hashers {
		if h == hasher {
			return true
		}
	}
	return false
}

// ValidateDigest checks that digest is well-formed for hasher, so a broken
// import is refused at create time rather than failing every sign-in.
func ValidateDigest(hasher, digest string) error {
	if !Supported(hasher) {
		return errs.ParamValue("password_hasher", hasher)
	}
	if _, err := parse(hasher, digest); err != nil {
		return errs.New(errs.Invalid, "form_password_digest_invalid_code", "is invalid",
			fmt.Sprintf("The password digest is not valid for hasher %s: %v.", hasher, err)).WithParam("password_digest")
	}
	return nil
}

// Verify reports whether plain matches digest made by hasher. It is
// constant-time in the comparison of the derived keys.
func Verify(hasher, digest, plain string) bool {
	v, err := parse(hasher, digest)
	if err != nil {
		return false
	}
	return v(plain)
}

type verifier func(plain string) bool

func eq(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// b64 decodes standard or URL base64, padded or not: exporters differ.
func b64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}

func parse(hasher, d string) (verifier, error) {
	switch hasher {
	case "bcrypt":
		if _, err := bcrypt.Cost([]byte(d)); err != nil {
			return nil, fmt.Errorf("not a bcrypt hash")
		}
		return func(p string) bool { return bcrypt.CompareHashAndPassword([]byte(d), []byte(p)) == nil }, nil
	case "bcrypt_sha256_django":
		inner, ok := strings.CutPrefix(d, "bcrypt_sha256$")
		if !ok {
			return nil, fmt.Errorf("missing bcrypt_sha256$ prefix")
		}
		if _, err := bcrypt.Cost([]byte(inner)); err != nil {
			return nil, fmt.Errorf("not a bcrypt hash")
		}
		return func(p string) bool {
			sum := sha256.Sum256([]byte(p))
			return bcrypt.CompareHashAndPassword([]byte(inner), []byte(hex.EncodeToString(sum[:]))) == nil
		}, nil
	case "md5", "sha256":
		size, h := md5.Size, md5.New
		if hasher == "sha256" {
			size, h = sha256.Size, sha256.New
		}
		want, err := hex.DecodeString(d)
		if err != nil || len(want) != size {
			return nil, fmt.Errorf("expected %d hex-encoded bytes", size)
		}
		return func(p string) bool {
			x := h()
			x.Write([]byte(p))
			return eq(x.Sum(nil), want)
		}, nil
	case "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha256_django", "pbkdf2_sha512":
		return parsePBKDF2(hasher, d)
	case "argon2i", "argon2id":
		return parseArgon2(hasher, d)
	case "scrypt_firebase":
		return parseFirebaseScrypt(d)
	}
	return nil, fmt.Errorf("unsupported hasher")
}

// parsePBKDF2 reads "<name>$<iterations>$<salt>$<hash>". Clerk's
// pbkdf2_sha256 has a base64 salt and hash; Django's keeps the salt as
// text; pbkdf2_sha1 has a text salt and a hex hash.
func parsePBKDF2(hasher, d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) != 4 {
		return nil, fmt.Errorf("expected 4 $-separated parts")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return nil, fmt.Errorf("bad iteration count")
	}
	var h func() hash.Hash
	salt, want := []byte(parts[2]), []byte(nil)
	switch hasher {
	case "pbkdf2_sha1":
		h = sha1.New
		want, err = hex.DecodeString(parts[3])
	case "pbkdf2_sha256":
		h = sha256.New
		if salt, err = b64(parts[2]); err == nil {
			want, err = b64(parts[3])
		}
	case "pbkdf2_sha256_django":
		h = sha256.New
		want, err = b64(parts[3])
	case "pbkdf2_sha512":
		h = sha512.New
		if salt, err = b64(parts[2]); err == nil {
			want, err = b64(parts[3])
		}
	}
	if err != nil || len(want) < 16 || len(want) > 128 || len(salt) == 0 {
		return nil, fmt.Errorf("bad salt or hash encoding")
	}
	return func(p string) bool {
		got, err := pbkdf2.Key(h, p, salt, iter, len(want))
		return err == nil && eq(got, want)
	}, nil
}

// parseArgon2 reads the PHC string "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>".
func parseArgon2(hasher, d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != hasher || parts[2] != "v=19" {
		return nil, fmt.Errorf("expected $%s$v=19$m=…,t=…,p=…$salt$hash", hasher)
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return nil, fmt.Errorf("bad parameters")
	}
	if m < 8 || m > 1<<21 || t < 1 || t > 100 || p < 1 {
		return nil, fmt.Errorf("parameters out of range")
	}
	salt, err1 := b64(parts[4])
	want, err2 := b64(parts[5])
	if err1 != nil || err2 != nil || len(want) < 4 {
		return nil, fmt.Errorf("bad salt or hash encoding")
	}
	return func(pw string) bool {
		var got []byte
		if hasher == "argon2id" {
			got = argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
		} else {
			got = argon2.Key([]byte(pw), salt, t, m, p, uint32(len(want)))
		}
		return eq(got, want)
	}, nil
}

// parseFirebaseScrypt reads "<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<memory cost>"
// (base64 values). Firebase derives a key with scrypt(password, salt+separator,
// N=2^memcost, r=rounds, p=1) and encrypts the signer key with it in
// AES-256-CTR under a zero IV; the result is the stored hash.
func parseFirebaseScrypt(d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) != 6 {
		return nil, fmt.Errorf("expected 6 $-separated parts")
	}
	want, err1 := b64(parts[0])
	salt, err2 := b64(parts[1])
	signer, err3 := b64(parts[2])
	sep, err4 := b64(parts[3])
	rounds, err5 := strconv.Atoi(parts[4])
	mem, err6 := strconv.Atoi(parts[5])
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		if err != nil {
			return nil, fmt.Errorf("bad part encoding")
		}
	}
	if rounds < 1 || rounds > 64 || mem < 1 || mem > 20 || len(signer) == 0 || len(want) == 0 {
		return nil, fmt.Errorf("parameters out of range")
	}
	return func(p string) bool {
		key, err := scrypt.Key([]byte(p), append(append([]byte{}, salt...), sep...), 1<<mem, rounds, 1, 32)
		if err != nil {
			return false
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return false
		}
		got := make([]byte, len(signer))
		cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, signer)
		return eq(got, want)
	}, nil
}
