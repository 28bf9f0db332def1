-- The waitlist: addresses that asked to join a waitlist-mode instance.
-- status is what was stored (pending, invited, rejected); "completed" is
-- derived from the invitation having been accepted, so sign-up does not
-- have to touch this table.
CREATE TABLE waitlist_entries (
    seq           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    email_address TEXT    NOT NULL UNIQUE,
    status        TEXT    NOT NULL,
    invitation_id TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX waitlist_entries_created_at ON waitlist_entries (created_at, seq);
