-- Invitations to join an organization. One pending invitation per
-- organization and address; accepting one is stored with the membership
-- it grants.
CREATE TABLE organization_invitations (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email_address    TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    inviter_user_id  TEXT    NOT NULL DEFAULT '',
    public_metadata  TEXT    NOT NULL DEFAULT '{}',
    private_metadata TEXT    NOT NULL DEFAULT '{}',
    redirect_url     TEXT,
    status           TEXT    NOT NULL,
    expires_at       INTEGER NOT NULL,
    user_id          TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_pending ON organization_invitations (organization_id, email_address) WHERE status = 'pending';
CREATE INDEX organization_invitations_org   ON organization_invitations (organization_id, created_at, seq);
CREATE INDEX organization_invitations_email ON organization_invitations (email_address, status);
CREATE INDEX organization_invitations_created_at ON organization_invitations (created_at, seq);
