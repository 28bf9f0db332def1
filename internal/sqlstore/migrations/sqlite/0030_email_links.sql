-- Email links ("magic links"): one row per link sent. The token is not
-- kept, only its SHA-256 (token_hash). purpose is sign_in, sign_up or
-- verification; attempt_id the sign-in, sign-up or identifier it
-- verifies; client_id the client that asked for it (where a sign-in or
-- sign-up completes). used_at makes a link single-use; settled_at makes
-- the completion of a link opened elsewhere happen once.
CREATE TABLE email_links (
    token_hash    TEXT    PRIMARY KEY,
    purpose       TEXT    NOT NULL,
    attempt_id    TEXT    NOT NULL,
    user_id       TEXT    NOT NULL DEFAULT '',
    client_id     TEXT    NOT NULL,
    email_address TEXT    NOT NULL,
    redirect_url  TEXT    NOT NULL DEFAULT '',
    expire_at     INTEGER NOT NULL,
    used_at       INTEGER,
    settled_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX email_links_expire_at ON email_links (expire_at);
