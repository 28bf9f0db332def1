-- Dashboard operators and their sign-in sessions. A session is found by
-- the SHA-256 of its cookie; each carries its form (CSRF) token.
CREATE TABLE operators (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    email           TEXT    NOT NULL UNIQUE,
    password_digest TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE operator_sessions (
    token_hash  TEXT    PRIMARY KEY,
    operator_id TEXT    NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    csrf        TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
CREATE INDEX messages_status ON messages (status, seq);
CREATE INDEX sessions_status ON sessions (status, seq);
