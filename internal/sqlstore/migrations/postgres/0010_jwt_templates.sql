-- JWT templates: the template as JSON, its custom signing key sealed.
CREATE TABLE jwt_templates (
    id         TEXT     PRIMARY KEY,
    name       TEXT     NOT NULL UNIQUE,
    data       TEXT     NOT NULL,
    sealed_key BYTEA,
    created_at BIGINT NOT NULL
);
