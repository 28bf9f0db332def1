-- Organizations' email domains and the membership requests that
-- suggestions by a verified domain lead to. A name is an organization's
-- once, and a verified name one organization's.
CREATE TABLE organization_domains (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT    NOT NULL UNIQUE,
    organization_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    enrollment_mode     TEXT    NOT NULL,
    verification_status TEXT    NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    code_expires_at     INTEGER NOT NULL DEFAULT 0,
    code_hash           TEXT    NOT NULL DEFAULT '',
    affiliation_email   TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE UNIQUE INDEX organization_domains_verified ON organization_domains (name) WHERE verification_status = 'verified';
CREATE INDEX organization_domains_org ON organization_domains (organization_id, created_at, seq);

CREATE TABLE organization_membership_requests (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    organization_id TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX organization_membership_requests_pending ON organization_membership_requests (organization_id, user_id) WHERE status = 'pending';
CREATE INDEX organization_membership_requests_org ON organization_membership_requests (organization_id, created_at, seq);

-- A user's create_organizations_limit counts the organizations they made.
CREATE INDEX organizations_created_by ON organizations (created_by);
