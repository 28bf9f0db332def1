-- Invitations to sign up. status is what was stored (pending, accepted,
-- revoked); "expired" is derived from expires_at when read, so no job has
-- to flip it.
CREATE TABLE invitations (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    email_address    TEXT    NOT NULL,
    public_metadata  TEXT    NOT NULL DEFAULT '{}',
    redirect_url     TEXT,
    status           TEXT    NOT NULL,
    expires_at       INTEGER,
    accepted_user_id TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- At most one pending invitation per address decides concurrent creates.
CREATE UNIQUE INDEX invitations_pending_email ON invitations (email_address) WHERE status = 'pending';
CREATE INDEX invitations_email_address ON invitations (email_address, seq);
CREATE INDEX invitations_created_at    ON invitations (created_at, seq);
CREATE INDEX invitations_expires_at    ON invitations (expires_at, seq);
