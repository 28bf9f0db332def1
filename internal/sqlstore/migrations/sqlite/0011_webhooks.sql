-- Webhook endpoints (secrets sealed) and the deliveries outbox: one row
-- per event and endpoint, written in the transaction of the change.
CREATE TABLE webhook_endpoints (
    id                TEXT     PRIMARY KEY,
    data              TEXT     NOT NULL,
    secret            BLOB  NOT NULL,
    old_secret        BLOB,
    created_at        INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY,
    id              TEXT     NOT NULL UNIQUE,
    event_id        TEXT     NOT NULL,
    endpoint_id     TEXT     NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    type            TEXT     NOT NULL,
    payload         TEXT     NOT NULL,
    status          TEXT     NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER  NOT NULL DEFAULT 0,
    last_response   TEXT     NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
