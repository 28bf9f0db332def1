-- Clients (devices), their sessions, in-progress sign-ins and sign-ups,
-- the session-token signing keys, and the users' lockout counters.
CREATE TABLE clients (
    seq                          INTEGER PRIMARY KEY,
    id                           TEXT    NOT NULL UNIQUE,
    -- SHA-256 of the current rotating token; the client token carries
    -- the token itself, so rotating it invalidates older client tokens.
    rotating_hash                TEXT    NOT NULL,
    sign_in_id                   TEXT,
    sign_up_id                   TEXT,
    last_active_session_id       TEXT,
    last_authentication_strategy TEXT,
    created_at                   INTEGER NOT NULL,
    updated_at                   INTEGER NOT NULL
);
CREATE INDEX clients_created_at ON clients (created_at, seq);

CREATE TABLE sessions (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    client_id      TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id        TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    last_active_at INTEGER NOT NULL,
    expire_at      INTEGER NOT NULL,
    abandon_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX sessions_user_id   ON sessions (user_id, seq);
CREATE INDEX sessions_client_id ON sessions (client_id, seq);

-- Sign-in and sign-up attempts: a JSON document each, as they change
-- shape with the flow; only the client link is queried.
CREATE TABLE attempts (
    id         TEXT    PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX attempts_client_id ON attempts (client_id);

CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    private_key TEXT    NOT NULL,   -- PKCS#8 PEM
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lockout_until INTEGER;
