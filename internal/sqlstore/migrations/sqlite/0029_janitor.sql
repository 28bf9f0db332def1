-- Leases: one process at a time runs a named job (the janitor), until
-- its lease runs out.
CREATE TABLE leases (
    name   TEXT   PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
-- What the janitor finds by age, without reading whole tables.
CREATE INDEX attempts_updated_at ON attempts (updated_at);
CREATE INDEX sessions_updated_at ON sessions (updated_at);
CREATE INDEX ticket_tokens_expires_at ON ticket_tokens (expires_at);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);
