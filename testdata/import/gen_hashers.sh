#!/usr/bin/env bash
# gen_hashers.sh writes the password-import fixtures beside it:
#
#   digests.json        [{"hasher", "digest", "password"}, ...]: at least one
#                       digest for each password_hasher Concierge accepts
#                       (internal/password.Hashers), each made by a reference
#                       implementation rather than by Concierge's own code.
#   clerk_hashers.csv   the same digests as rows of Clerk's dashboard user
#                       export, for import tests.
#
# Run it once by hand, as root on Debian 12, and commit both outputs; CI does
# not run it (the salts are random, so every run writes different digests,
# all equally valid). internal/password's TestReferenceDigests reads
# digests.json and checks every digest.
#
# The reference implementations, all from Debian's packages:
#   python3-passlib 1.7.4   phpass ($P$ and phpBB's $H$), md5_phpass (the same
#                           algorithm), ldap_ssha (ldap_salted_sha1),
#                           pbkdf2_sha256_django (django_pbkdf2_sha256),
#                           bcrypt_sha256_django (django_bcrypt_sha256, which
#                           writes Django's "bcrypt_sha256$$2b$..." form)
#   python3-bcrypt          bcrypt
#   python3-argon2          argon2id and argon2i (argon2-cffi's PasswordHasher)
#   php-cli and php-symfony-password-hasher 5.4
#                           sha512_symfony: MessageDigestPasswordHasher('sha512',
#                           true, 5000), Symfony's legacy salted hasher
#   Python's hashlib        md5, sha256; pbkdf2_* through hashlib.pbkdf2_hmac,
#                           in the encodings Clerk documents for each hasher;
#                           scrypt_werkzeug through hashlib.scrypt in Werkzeug
#                           3's exact generate_password_hash format (Debian 12's
#                           python3-werkzeug is 2.2, which predates scrypt);
#                           scrypt_firebase through hashlib.scrypt and AES-CTR
#                           from python3-cryptography, with the project
#                           parameters of the test vector in Firebase's public
#                           scrypt documentation (the script first checks that
#                           it reproduces that vector, which is kept as an
#                           extra entry with its own password).
#
# Each password is "Imported-<hasher>-pw1" (the Firebase vector's is its own).
#
# Python must be Debian's /usr/bin/python3: a pyenv python does not see
# Debian's packages.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! /usr/bin/python3 -c 'import passlib, bcrypt, argon2, cryptography' 2>/dev/null ||
	! command -v php >/dev/null ||
	[ ! -f /usr/share/php/Symfony/Component/PasswordHasher/autoload.php ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		python3-passlib python3-bcrypt python3-argon2 python3-cryptography \
		php-cli php-symfony-password-hasher
fi

OUT="$dir" /usr/bin/python3 - <<'PY'
import base64, csv, hashlib, json, os, secrets, string, subprocess

import argon2
import bcrypt
import passlib
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.hash import django_bcrypt_sha256, django_pbkdf2_sha256, ldap_salted_sha1, phpass

assert passlib.__version__ == "1.7.4", passlib.__version__

out = os.environ["OUT"]
b64 = lambda b: base64.b64encode(b).decode()
alnum = string.ascii_letters + string.digits
def text_salt(n):
    return "".join(secrets.choice(alnum) for _ in range(n))

entries = []
def add(hasher, digest, password=None):
    entries.append({"hasher": hasher, "digest": digest,
                    "password": password or f"Imported-{hasher}-pw1"})
def pw(hasher):
    return f"Imported-{hasher}-pw1"

# argon2-cffi: its 21.1 defaults (t=2, m=102400, p=8) and RFC 9106's
# low-memory recommendation (t=3, m=65536, p=4, argon2-cffi 21.2's defaults).
add("argon2i", argon2.PasswordHasher(type=argon2.Type.I).hash(pw("argon2i")))
add("argon2id", argon2.PasswordHasher(type=argon2.Type.ID).hash(pw("argon2id")))
add("argon2id", argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4,
                                      hash_len=32, type=argon2.Type.ID).hash(pw("argon2id")))

add("bcrypt", bcrypt.hashpw(pw("bcrypt").encode(), bcrypt.gensalt(10)).decode())
add("bcrypt", bcrypt.hashpw(pw("bcrypt").encode(), bcrypt.gensalt(12, prefix=b"2a")).decode())
add("bcrypt_sha256_django", django_bcrypt_sha256.using(rounds=10).hash(pw("bcrypt_sha256_django")))

add("ldap_ssha", ldap_salted_sha1.hash(pw("ldap_ssha")))

add("md5", hashlib.md5(pw("md5").encode()).hexdigest())
add("sha256", hashlib.sha256(pw("sha256").encode()).hexdigest())

# phpass portable hashes: passlib's default 2^19 rounds, WordPress's $P$B
# (2^13), phpBB's $H$9 (2^11).
add("phpass", phpass.hash(pw("phpass")))
add("phpass", phpass.using(ident="H", rounds=11).hash(pw("phpass")))
add("md5_phpass", phpass.using(rounds=13).hash(pw("md5_phpass")))

# PBKDF2 in the forms Clerk documents.
def pbkdf2(name, password, salt, iterations, dklen=None):
    return hashlib.pbkdf2_hmac(name, password.encode(), salt, iterations, dklen)

s = text_salt(12)
add("pbkdf2_sha1", f"pbkdf2_sha1$64000${s}${pbkdf2('sha1', pw('pbkdf2_sha1'), s.encode(), 64000).hex()}")
sb = secrets.token_bytes(16)
add("pbkdf2_sha1", f"pbkdf2_sha1$10000${sb.hex()}${pbkdf2('sha1', pw('pbkdf2_sha1'), sb, 10000, 32).hex()}$32")
sb = secrets.token_bytes(16)
add("pbkdf2_sha256", f"pbkdf2_sha256$310000${b64(sb)}${b64(pbkdf2('sha256', pw('pbkdf2_sha256'), sb, 310000))}")
add("pbkdf2_sha256_django", django_pbkdf2_sha256.using(rounds=870000).hash(pw("pbkdf2_sha256_django")))
s = text_salt(16)
add("pbkdf2_sha512", f"pbkdf2_sha512$210000${s}${pbkdf2('sha512', pw('pbkdf2_sha512'), s.encode(), 210000).hex()}")
sb = secrets.token_bytes(16)
add("pbkdf2_sha512_hex", f"pbkdf2_sha512_hex$210000${sb.hex()}${pbkdf2('sha512', pw('pbkdf2_sha512_hex'), sb, 210000).hex()}")

# scrypt_firebase: scrypt(password, salt + separator, N=2^memcost, r=rounds,
# p=1, 32 bytes) keys AES-256-CTR under a zero IV, which encrypts the
# signer key. First reproduce the vector of Firebase's public docs.
FB_SIGNER = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
FB_SEP, FB_ROUNDS, FB_MEM = "Bw==", 8, 14
def firebase(password, salt):
    key = hashlib.scrypt(password.encode(), salt=salt + base64.b64decode(FB_SEP),
                         n=2**FB_MEM, r=FB_ROUNDS, p=1, dklen=32)
    enc = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
    return enc.update(base64.b64decode(FB_SIGNER)) + enc.finalize()
def firebase_digest(hash_, salt):
    return f"{b64(hash_)}${b64(salt)}${FB_SIGNER}${FB_SEP}${FB_ROUNDS}${FB_MEM}"
vector_salt = base64.b64decode("42xEC+ixf3L2lw==")
vector_hash = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
assert b64(firebase("user1password", vector_salt)) == vector_hash, "Firebase's vector not reproduced"
sb = secrets.token_bytes(10)
add("scrypt_firebase", firebase_digest(firebase(pw("scrypt_firebase"), sb), sb))
add("scrypt_firebase", firebase_digest(base64.b64decode(vector_hash), vector_salt), "user1password")

# scrypt_werkzeug: Werkzeug 3's generate_password_hash(pw, "scrypt"):
# "scrypt:32768:8:1$<16-character alphanumeric salt>$<hex of the 64-byte key>",
# hashlib.scrypt(pw, salt=salt, n, r, p, maxmem=132*n*r*p) on UTF-8 bytes.
def werkzeug(password, n=2**15, r=8, p=1):
    salt = text_salt(16)
    h = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p)
    return f"scrypt:{n}:{r}:{p}${salt}${h.hex()}"
add("scrypt_werkzeug", werkzeug(pw("scrypt_werkzeug")))
add("scrypt_werkzeug", werkzeug(pw("scrypt_werkzeug"), n=2**14, r=8, p=2))

# sha512_symfony through Symfony's own class, with a FOSUserBundle-style salt.
PHP = r'''
require "/usr/share/php/Symfony/Component/PasswordHasher/autoload.php";
$h = new Symfony\Component\PasswordHasher\Hasher\MessageDigestPasswordHasher("sha512", true, 5000);
echo $h->hash($argv[1], $argv[2]);
'''
def symfony(password, salt):
    return subprocess.run(["php", "-r", PHP, password, salt], check=True,
                          capture_output=True, text=True).stdout
s = base64.b64encode(secrets.token_bytes(32)).decode().replace("+", ".").rstrip("=")
add("sha512_symfony", f"sha512_symfony$5000${s}${symfony(pw('sha512_symfony'), s)}")
add("sha512_symfony", f"sha512_symfony$5000$${symfony(pw('sha512_symfony'), '')}")

entries.sort(key=lambda e: e["hasher"])  # stable: each hasher's order stays
with open(os.path.join(out, "digests.json"), "w") as f:
    json.dump(entries, f, indent=2)
    f.write("\n")

# Clerk's dashboard export CSV: one row per digest, fixed IDs.
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
def user_id(key):
    n = int.from_bytes(hashlib.sha256(key.encode()).digest(), "big")
    chars = []
    for _ in range(27):
        n, r = divmod(n, 62)
        chars.append(B62[r])
    return "user_" + "".join(chars)

header = ["id", "first_name", "last_name", "username", "email_addresses", "phone_numbers",
          "totp_secret", "password_digest", "password_hasher", "unsafe_metadata",
          "public_metadata", "private_metadata"]
seen = {}
with open(os.path.join(out, "clerk_hashers.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    for e in entries:
        h = e["hasher"]
        seen[h] = seen.get(h, 0) + 1
        n = seen[h]
        email = f"{h}@import.example.com" if n == 1 else f"{h}.{n}@import.example.com"
        phone, totp, public = "", "", "{}"
        if e["password"] == "user1password":  # the Firebase vector's row
            email, phone = "a@x.example.com|b@x.example.com", "+14155550123"
        if h == "bcrypt" and n == 1:
            public = json.dumps({"plan": "pro"}, separators=(",", ":"))
        if h == "argon2id" and n == 1:
            totp = "JBSWY3DPEHPK3PXP"
        w.writerow([user_id(f"{h}#{n}"), h, "Imported", "", email, phone, totp,
                    e["digest"], h, "{}", public, "{}"])

print(f"{len(entries)} digests for {len(seen)} hashers written to {out}")
PY
