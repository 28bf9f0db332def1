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
// spelling and sorted, each with the digest format Clerk documents for it.
var Hashers = []string{
	"argon2i", "argon2id", "bcrypt", "bcrypt_sha256_django", "ldap_ssha",
	"md5", "md5_phpass", "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha256_django",
	"pbkdf2_sha512", "pbkdf2_sha512_hex", "phpass", "scrypt_firebase",
	"scrypt_werkzeug", "sha256", "sha512_symfony",
}

// Bounds on the work one Verify may do. A digest comes from whoever imports
// users, and its cost parameters decide how much CPU and memory every
// sign-in attempt against it takes: without bounds one imported digest (or
// a thousand users sharing it) is a denial of service. Each bound is well
// above what the exporting system uses by default; a digest over one is
// refused by ValidateDigest, and Verify refuses it without hashing.
const (
	// maxPlain: phpass and Symfony refuse passwords over 4096 bytes for the
	// same reason; the iterated hashers below cost rounds × length, so the
	// bound here is lower, still far longer than any typed password (and
	// Concierge's own passwords stop at 72 bytes).
	maxPlain = 1024

	// maxBcryptCost: 2^15 rounds take about 2 s; exporters use 10–13.
	maxBcryptCost = 15

	// maxPBKDF2Iter: Django 5.x uses 870,000–1,200,000 for PBKDF2-SHA256.
	// maxPBKDF2Work bounds iterations × output blocks (× candidate salts),
	// as each block of a long key costs all the iterations again.
	maxPBKDF2Iter = 2_000_000
	maxPBKDF2Work = 4_000_000

	// Argon2: memory in KiB (256 MiB; argon2-cffi's default is 64 MiB),
	// passes, lanes, and memory × passes (1 GiB·pass; the default is 192 Mi).
	maxArgon2Mem   = 262_144
	maxArgon2Time  = 16
	maxArgon2Lanes = 16
	maxArgon2Work  = 1_048_576

	// scrypt allocates 128·N·r bytes (256 MiB here; Werkzeug's default
	// N=32768, r=8 takes 32 MiB, Firebase's usual 2^14, r=8 takes 16 MiB) and
	// does work proportional to N·r·p (16 × Werkzeug's default).
	maxScryptMem  = 256 << 20
	maxScryptWork = 1 << 22
	maxScryptP    = 16

	// phpass writes its rounds as log2 in 7..30, but 2^30 MD5s of the
	// password take minutes: 2^20 (a fraction of a second) is the cap.
	// WordPress writes $P$B (2^13), phpBB $H$9 (2^11), passlib $P$H (2^19).
	phpassMinLog2, phpassMaxLog2, phpassCapLog2 = 7, 30, 20

	// maxSymfonyIter: Symfony's MessageDigestPasswordHasher defaults to
	// 5000; every iteration hashes the salted password again. maxSymfonySalt
	// bounds the bytes each iteration hashes along with maxPlain.
	maxSymfonyIter = 100_000
	maxSymfonySalt = 1024
)

// Supported reports whether hasher is one of Hashers.
func Supported(hasher string) bool {
	for _, h := range Hashers {
		if h == hasher {
			return true
		}
	}
	return false
}

// ValidateDigest checks that digest is well-formed for hasher and that its
// cost parameters are within bounds, so a broken or hostile import is
// refused at create time rather than failing or stalling every sign-in.
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
// constant-time in the comparison of the derived keys, and computes nothing
// for a digest ValidateDigest would refuse.
func Verify(hasher, digest, plain string) bool {
	if len(plain) > maxPlain {
		return false
	}
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
		if err := bcryptOK(d); err != nil {
			return nil, err
		}
		return func(p string) bool { return bcrypt.CompareHashAndPassword([]byte(d), []byte(p)) == nil }, nil
	case "bcrypt_sha256_django":
		inner, ok := strings.CutPrefix(d, "bcrypt_sha256$")
		if !ok {
			return nil, fmt.Errorf("missing bcrypt_sha256$ prefix")
		}
		if err := bcryptOK(inner); err != nil {
			return nil, err
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
	case "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha256_django", "pbkdf2_sha512", "pbkdf2_sha512_hex":
		return parsePBKDF2(hasher, d)
	case "argon2i", "argon2id":
		return parseArgon2(hasher, d)
	case "scrypt_firebase":
		return parseFirebaseScrypt(d)
	case "scrypt_werkzeug":
		return parseWerkzeugScrypt(d)
	case "phpass", "md5_phpass":
		return parsePHPass(d)
	case "sha512_symfony":
		return parseSymfony(d)
	case "ldap_ssha":
		return parseSSHA(d)
	}
	return nil, fmt.Errorf("unsupported hasher")
}

func bcryptOK(d string) error {
	cost, err := bcrypt.Cost([]byte(d))
	if err != nil {
		return fmt.Errorf("not a bcrypt hash")
	}
	if cost > maxBcryptCost {
		return fmt.Errorf("bcrypt cost %d is over %d", cost, maxBcryptCost)
	}
	return nil
}

// parsePBKDF2 reads "<name>$<iterations>$<salt>$<hash>"; the name is not
// checked. The encodings differ by hasher, as Clerk documents them:
//
//   - pbkdf2_sha256: base64 salt and hash.
//   - pbkdf2_sha256_django: text salt, base64 hash.
//   - pbkdf2_sha1: hex hash; the salt is hex-decoded when it is valid hex,
//     else its bytes are used. An optional fifth part gives the key length,
//     which must match the hash (in bytes, or in bits as Java writes it).
//     In the four-part form a hex-looking salt is also tried as text, as
//     Concierge read every four-part salt before.
//   - pbkdf2_sha512: text salt, hex hash. Where the hash is not hex, the form
//     Concierge accepted before (base64 salt and hash) is read instead.
//   - pbkdf2_sha512_hex: hex salt and hex hash.
func parsePBKDF2(hasher, d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) != 4 && (hasher != "pbkdf2_sha1" || len(parts) != 5) {
		return nil, fmt.Errorf("expected 4 $-separated parts")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return nil, fmt.Errorf("bad iteration count")
	}
	if iter > maxPBKDF2Iter {
		return nil, fmt.Errorf("%d iterations is over %d", iter, maxPBKDF2Iter)
	}
	var h func() hash.Hash
	salt, want := []byte(parts[2]), []byte(nil)
	var alt []byte // a second salt to try, for pbkdf2_sha1
	switch hasher {
	case "pbkdf2_sha1":
		h = sha1.New
		want, err = hex.DecodeString(parts[3])
		if hs, herr := hex.DecodeString(parts[2]); herr == nil && len(hs) > 0 {
			if len(parts) == 4 {
				alt = salt
			}
			salt = hs
		}
		if err == nil && len(parts) == 5 {
			if n, kerr := strconv.Atoi(parts[4]); kerr != nil || (n != len(want) && n != 8*len(want)) {
				return nil, fmt.Errorf("key length %q does not match the hash", parts[4])
			}
		}
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
		if want, err = hex.DecodeString(parts[3]); err != nil {
			if salt, err = b64(parts[2]); err == nil {
				want, err = b64(parts[3])
			}
		}
	case "pbkdf2_sha512_hex":
		h = sha512.New
		if salt, err = hex.DecodeString(parts[2]); err == nil {
			want, err = hex.DecodeString(parts[3])
		}
	}
	if err != nil || len(want) < 16 || len(want) > 128 || len(salt) == 0 {
		return nil, fmt.Errorf("bad salt or hash encoding")
	}
	blocks := (len(want) + h().Size() - 1) / h().Size()
	if alt != nil {
		blocks *= 2
	}
	if iter*blocks > maxPBKDF2Work {
		return nil, fmt.Errorf("%d iterations for a %d-byte key is over the work bound", iter, len(want))
	}
	return func(p string) bool {
		got, err := pbkdf2.Key(h, p, salt, iter, len(want))
		if err == nil && eq(got, want) {
			return true
		}
		if alt == nil {
			return false
		}
		got, err = pbkdf2.Key(h, p, alt, iter, len(want))
		return err == nil && eq(got, want)
	}, nil
}

// parseArgon2 reads the PHC string "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>".
func parseArgon2(hasher, d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != hasher || parts[2] != "v=19" {
		return nil, fmt.Errorf("expected $%s$v=19$m=…,t=…,p=…$salt$hash", hasher)
	}
	var vals [3]uint64
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, fmt.Errorf("bad parameters")
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad parameters")
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	if t < 1 || p < 1 || m < 8*p {
		return nil, fmt.Errorf("parameters out of range")
	}
	if m > maxArgon2Mem || t > maxArgon2Time || p > maxArgon2Lanes || m*t > maxArgon2Work {
		return nil, fmt.Errorf("parameters over the bounds m ≤ %d, t ≤ %d, p ≤ %d, m·t ≤ %d",
			maxArgon2Mem, maxArgon2Time, maxArgon2Lanes, maxArgon2Work)
	}
	salt, err1 := b64(parts[4])
	want, err2 := b64(parts[5])
	if err1 != nil || err2 != nil || len(want) < 4 || len(want) > 1024 {
		return nil, fmt.Errorf("bad salt or hash encoding")
	}
	return func(pw string) bool {
		var got []byte
		if hasher == "argon2id" {
			got = argon2.IDKey([]byte(pw), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
		} else {
			got = argon2.Key([]byte(pw), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
		}
		return eq(got, want)
	}, nil
}

// scryptOK checks scrypt parameters against the bounds; the individual
// bounds come first so that the products cannot overflow.
func scryptOK(n, r, p int64) error {
	if n < 2 || n&(n-1) != 0 {
		return fmt.Errorf("N must be a power of 2 above 1")
	}
	if r < 1 || p < 1 {
		return fmt.Errorf("r and p must be positive")
	}
	if n > maxScryptMem/128 || r > maxScryptMem/128 || 128*n*r > maxScryptMem {
		return fmt.Errorf("memory 128·N·r is over %d MiB", maxScryptMem>>20)
	}
	if p > maxScryptP || n*r*p > maxScryptWork {
		return fmt.Errorf("work N·r·p is over %d", maxScryptWork)
	}
	return nil
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
	rounds, err5 := strconv.ParseInt(parts[4], 10, 64)
	mem, err6 := strconv.ParseInt(parts[5], 10, 64)
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		if err != nil {
			return nil, fmt.Errorf("bad part encoding")
		}
	}
	if mem < 1 || mem > 30 || len(signer) == 0 || len(want) == 0 {
		return nil, fmt.Errorf("parameters out of range")
	}
	if err := scryptOK(1<<mem, rounds, 1); err != nil {
		return nil, err
	}
	return func(p string) bool {
		key, err := scrypt.Key([]byte(p), append(append([]byte{}, salt...), sep...), 1<<mem, int(rounds), 1, 32)
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

// parseWerkzeugScrypt reads Werkzeug's generate_password_hash output,
// "scrypt:<N>:<r>:<p>$<salt>$<hash>": the salt is text used as its UTF-8
// bytes, the hash the hex of a 64-byte scrypt key. A leading "$" (as
// Clerk's docs write the form) is allowed, the bare method "scrypt" means
// Werkzeug's defaults 32768:8:1, and a hash that is not hex is read as base64.
func parseWerkzeugScrypt(d string) (verifier, error) {
	parts := strings.Split(strings.TrimPrefix(d, "$"), "$")
	if len(parts) != 3 {
		return nil, fmt.Errorf("expected scrypt:<N>:<r>:<p>$<salt>$<hash>")
	}
	args := strings.Split(parts[0], ":")
	if args[0] != "scrypt" || (len(args) != 1 && len(args) != 4) {
		return nil, fmt.Errorf("expected the method scrypt or scrypt:<N>:<r>:<p>")
	}
	nrp := []int64{1 << 15, 8, 1}
	if len(args) == 4 {
		for i, a := range args[1:] {
			v, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("bad scrypt parameter %q", a)
			}
			nrp[i] = v
		}
	}
	n, r, p := nrp[0], nrp[1], nrp[2]
	if err := scryptOK(n, r, p); err != nil {
		return nil, err
	}
	salt := []byte(parts[1])
	want, err := hex.DecodeString(parts[2])
	if err != nil {
		want, err = b64(parts[2])
	}
	if err != nil || len(want) < 16 || len(want) > 128 || len(salt) == 0 {
		return nil, fmt.Errorf("bad salt or hash encoding")
	}
	return func(pw string) bool {
		got, err := scrypt.Key([]byte(pw), salt, int(n), int(r), int(p), len(want))
		return err == nil && eq(got, want)
	}, nil
}

// itoa64 is phpass's alphabet for its rounds character and checksum.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// parsePHPass reads a phpass "portable" hash, "$P$" (or phpBB's "$H$"), one
// itoa64 character for log2 of the rounds, an 8-character salt and a
// 22-character checksum: x = md5(salt+pw), then 2^rounds times
// x = md5(x+pw), encoded with phpassEncode.
func parsePHPass(d string) (verifier, error) {
	if len(d) != 34 || (d[:3] != "$P$" && d[:3] != "$H$") {
		return nil, fmt.Errorf("expected $P$, a rounds character, an 8-character salt and a 22-character checksum")
	}
	log2 := strings.IndexByte(itoa64, d[3])
	if log2 < phpassMinLog2 || log2 > phpassMaxLog2 {
		return nil, fmt.Errorf("rounds character out of range")
	}
	if log2 > phpassCapLog2 {
		return nil, fmt.Errorf("2^%d rounds is over 2^%d", log2, phpassCapLog2)
	}
	salt, sum := d[4:12], d[12:]
	for i := 0; i < len(sum); i++ {
		if strings.IndexByte(itoa64, sum[i]) < 0 {
			return nil, fmt.Errorf("bad checksum encoding")
		}
	}
	return func(p string) bool {
		x := md5.Sum([]byte(salt + p))
		buf := make([]byte, 0, md5.Size+len(p))
		for i := 0; i < 1<<log2; i++ {
			buf = append(append(buf[:0], x[:]...), p...)
			x = md5.Sum(buf)
		}
		return eq([]byte(phpassEncode(x[:])), []byte(sum))
	}, nil
}

// phpassEncode is phpass's encode64: each group of up to three bytes, read
// as a little-endian number, gives one itoa64 character per 6 bits, lowest
// first, as many as the group's bits need (16 bytes → 22 characters).
func phpassEncode(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i += 3 {
		g := b[i:min(i+3, len(b))]
		v := 0
		for j, c := range g {
			v |= int(c) << (8 * j)
		}
		for k := 0; k <= len(g); k++ {
			out.WriteByte(itoa64[(v>>(6*k))&0x3f])
		}
	}
	return out.String()
}

// parseSymfony reads "sha512_symfony$<iterations>$<salt>$<hash>", the digest
// of Symfony's legacy MessageDigestPasswordHasher with sha512: salted is
// pw+"{"+salt+"}" (pw alone for an empty salt or "0"), d = sha512(salted), then
// iterations-1 more times d = sha512(d+salted); the hash is base64(d)
// (or its hex, as with encodeHashAsBase64 false). A salt may hold "$".
func parseSymfony(d string) (verifier, error) {
	parts := strings.Split(d, "$")
	if len(parts) < 4 || parts[0] != "sha512_symfony" {
		return nil, fmt.Errorf("expected sha512_symfony$<iterations>$<salt>$<hash>")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return nil, fmt.Errorf("bad iteration count")
	}
	if iter > maxSymfonyIter {
		return nil, fmt.Errorf("%d iterations is over %d", iter, maxSymfonyIter)
	}
	salt, enc := strings.Join(parts[2:len(parts)-1], "$"), parts[len(parts)-1]
	if strings.ContainsAny(salt, "{}") || len(salt) > maxSymfonySalt {
		return nil, fmt.Errorf("bad salt") // Symfony refuses braces in a salt
	}
	want, err := hex.DecodeString(enc)
	if err != nil || len(want) != sha512.Size {
		want, err = b64(enc)
	}
	if err != nil || len(want) != sha512.Size {
		return nil, fmt.Errorf("expected a base64 SHA-512 hash")
	}
	return func(p string) bool {
		salted := p
		if salt != "" && salt != "0" { // PHP's !$salt: "0" is no salt too
			salted = p + "{" + salt + "}"
		}
		x := sha512.Sum512([]byte(salted))
		buf := make([]byte, 0, sha512.Size+len(salted))
		for i := 1; i < iter; i++ {
			buf = append(append(buf[:0], x[:]...), salted...)
			x = sha512.Sum512(buf)
		}
		return eq(x[:], want)
	}, nil
}

// parseSSHA reads an LDAP "{SSHA}" value (the scheme in any case):
// base64(sha1(pw+salt) + salt), with a non-empty salt.
func parseSSHA(d string) (verifier, error) {
	if len(d) < 6 || !strings.EqualFold(d[:6], "{SSHA}") {
		return nil, fmt.Errorf("expected {SSHA}<base64>")
	}
	raw, err := b64(d[6:])
	if err != nil || len(raw) <= sha1.Size {
		return nil, fmt.Errorf("expected base64 of a SHA-1 digest and a salt")
	}
	sum, salt := raw[:sha1.Size], raw[sha1.Size:]
	return func(p string) bool {
		x := sha1.New()
		x.Write([]byte(p))
		x.Write(salt)
		return eq(x.Sum(nil), sum)
	}, nil
}
