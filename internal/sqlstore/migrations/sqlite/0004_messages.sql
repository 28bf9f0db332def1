-- The outbox: every email and SMS Concierge accepted, written in the same
-- transaction as the change that caused it, with its delivery state.
-- A queued row is due at next_attempt_at unless a dispatcher holds its
-- lease (lease_until in the future).
CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,          -- email or sms
    slug            TEXT,                      -- template, e.g. invitation; NULL for API messages
    from_name       TEXT    NOT NULL DEFAULT '',
    from_address    TEXT    NOT NULL DEFAULT '',
    to_address      TEXT    NOT NULL,
    identifier_id   TEXT,
    user_id         TEXT,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    body_plain      TEXT,
    data            TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL,          -- queued, sent or failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    transport       TEXT,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX messages_to_address ON messages (to_address, seq);
