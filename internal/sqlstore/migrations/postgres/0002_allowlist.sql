-- The allowlist: identifiers allowed to sign up on a restricted instance.
CREATE TABLE allowlist_identifiers (
    id              TEXT    PRIMARY KEY,
    identifier      TEXT    NOT NULL UNIQUE,
    identifier_type TEXT    NOT NULL,
    invitation_id   TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX allowlist_identifiers_created_at ON allowlist_identifiers (created_at, id);
