-- Second factors carried over by an import, kept until the user enrols
-- anew: the TOTP secret sealed (AES-GCM under the instance's "mfa"
-- secret) and the backup codes as a JSON array of bcrypt digests.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN backup_codes TEXT;

-- Where each import stopped: the number of source records it has
-- committed, written in the transaction of the batch that ends there.
CREATE TABLE import_checkpoints (
    source     TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
