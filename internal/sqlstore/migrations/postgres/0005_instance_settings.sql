-- Instance settings (sign-up mode, application name, signing secrets).
-- source tells who set a value last: "env" values follow the environment
-- at each start, "dashboard" values are kept.
CREATE TABLE instance_settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
