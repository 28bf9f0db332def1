-- The allowlist: identifiers allowed to sign up on a restricted instance.
-- seq orders entries by insertion, which created_at cannot within a millisecond.
CREATE TABLE allowlist_identifiers (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    identifier      TEXT    NOT NULL UNIQUE,
    identifier_type TEXT    NOT NULL,
    invitation_id   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
