-- The blocklist: identifiers (and *@domain wildcards) refused at sign-up
-- and sign-in.
CREATE TABLE blocklist_identifiers (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    identifier      TEXT    NOT NULL UNIQUE,
    identifier_type TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
