-- Sign-in and actor tokens (kind sign_in_token or actor_token): their
-- tickets are signed from the ID, so only the state is kept. An actor
-- token names the impersonator (a JSON object, the act claim) and how
-- long the session it starts may last (seconds). A session started by
-- one keeps its actor.
CREATE TABLE ticket_tokens (
    id                   TEXT    PRIMARY KEY,
    kind                 TEXT    NOT NULL,
    user_id              TEXT    NOT NULL,
    actor                TEXT,
    session_max_duration INTEGER NOT NULL DEFAULT 0,
    status               TEXT    NOT NULL,
    expires_at           INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
ALTER TABLE sessions ADD COLUMN actor TEXT;
