-- Users, their identifiers, the substring-search index, and secret keys.
-- Timestamps are Unix milliseconds; IDs are prefixed KSUIDs.
CREATE TABLE users (
    seq                         INTEGER PRIMARY KEY,
    id                          TEXT    NOT NULL UNIQUE,
    external_id                 TEXT    UNIQUE,
    username                    TEXT    UNIQUE,
    first_name                  TEXT,
    last_name                   TEXT,
    locale                      TEXT,
    primary_email_address_id    TEXT,
    primary_phone_number_id     TEXT,
    primary_web3_wallet_id      TEXT,
    -- Values of the primary identifiers, kept for ordering by them.
    primary_email_address       TEXT,
    primary_phone_number        TEXT,
    primary_web3_wallet         TEXT,
    password_digest             TEXT    NOT NULL DEFAULT '',
    password_hasher             TEXT    NOT NULL DEFAULT '',
    password_last_updated_at    INTEGER,
    public_metadata             TEXT    NOT NULL DEFAULT '{}',
    private_metadata            TEXT    NOT NULL DEFAULT '{}',
    unsafe_metadata             TEXT    NOT NULL DEFAULT '{}',
    banned                      INTEGER NOT NULL DEFAULT 0,
    locked                      INTEGER NOT NULL DEFAULT 0,
    delete_self_enabled         INTEGER NOT NULL DEFAULT 1,
    create_organization_enabled INTEGER NOT NULL DEFAULT 1,
    create_organizations_limit  INTEGER,
    bypass_client_trust         INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at             INTEGER,
    last_active_at              INTEGER,
    legal_accepted_at           INTEGER,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);
CREATE INDEX users_created_at      ON users (created_at, seq);
CREATE INDEX users_updated_at      ON users (updated_at, seq);
CREATE INDEX users_last_active_at  ON users (last_active_at, seq);
CREATE INDEX users_last_sign_in_at ON users (last_sign_in_at, seq);
CREATE INDEX users_first_name      ON users (first_name, seq);
CREATE INDEX users_last_name       ON users (last_name, seq);
CREATE INDEX users_email_address   ON users (primary_email_address, seq);
CREATE INDEX users_phone_number    ON users (primary_phone_number, seq);
CREATE INDEX users_web3_wallet     ON users (primary_web3_wallet, id);

CREATE TABLE identifiers (
    seq                   INTEGER PRIMARY KEY,
    id                    TEXT    NOT NULL UNIQUE,
    user_id               TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                  TEXT    NOT NULL,
    value                 TEXT    NOT NULL,
    reserved              INTEGER NOT NULL DEFAULT 0,
    verification_status   TEXT    NOT NULL DEFAULT '',
    verification_strategy TEXT    NOT NULL DEFAULT '',
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identifiers_user_id ON identifiers (user_id);

-- Substring search: FTS5's trigram tokenizer indexes every 3-character
-- window, case-insensitively. rowid = users.seq.
CREATE VIRTUAL TABLE user_search USING fts5 (
    ids, emails, phones, usernames, web3, names,
    tokenize = 'trigram'
);

CREATE TABLE secret_keys (
    id         TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    hint       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
