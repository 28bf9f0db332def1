-- Uploaded pictures, re-encoded, served at /images/{id}.png.
CREATE TABLE images (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
