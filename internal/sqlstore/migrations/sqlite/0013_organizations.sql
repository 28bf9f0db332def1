-- Organizations and their memberships. members_count is not stored: it is
-- counted from organization_memberships, so that a deleted user (whose
-- memberships go with it) is never counted.
CREATE TABLE organizations (
    seq                     INTEGER PRIMARY KEY,
    id                      TEXT    NOT NULL UNIQUE,
    name                    TEXT    NOT NULL,
    slug                    TEXT    NOT NULL UNIQUE,
    image_url               TEXT,
    max_allowed_memberships INTEGER NOT NULL DEFAULT 0,
    admin_delete_enabled    INTEGER NOT NULL DEFAULT 1,
    public_metadata         TEXT    NOT NULL DEFAULT '{}',
    private_metadata        TEXT    NOT NULL DEFAULT '{}',
    created_by              TEXT    NOT NULL DEFAULT '',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE INDEX organizations_created_at ON organizations (created_at, seq);
CREATE INDEX organizations_name       ON organizations (name, seq);

CREATE TABLE organization_memberships (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             TEXT    NOT NULL,
    public_metadata  TEXT    NOT NULL DEFAULT '{}',
    private_metadata TEXT    NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_memberships_user ON organization_memberships (user_id, created_at);
