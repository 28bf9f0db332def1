-- Social sign-in. External accounts are identifiers of kind oauth_*
-- (value: the provider's user ID, unique per provider), with the
-- provider's profile and sealed tokens in data. Providers are the
-- operator's set-up (secrets sealed); states are the flows under way.
ALTER TABLE identifiers ADD COLUMN data TEXT;

CREATE TABLE oauth_providers (
    strategy   TEXT   PRIMARY KEY,
    config     TEXT   NOT NULL,
    sealed     BYTEA,
    updated_at BIGINT NOT NULL
);

CREATE TABLE oauth_states (
    digest     TEXT     PRIMARY KEY,
    data       TEXT     NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);
