-- Handshake payloads too large for a cookie, found by the SHA-256 of
-- their nonce and sealed with a key derived from it; short-lived.
CREATE TABLE handshake_nonces (
    digest     TEXT   PRIMARY KEY,
    sealed     BYTEA  NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX handshake_nonces_expires_at ON handshake_nonces (expires_at);
