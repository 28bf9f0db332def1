-- Redirect URLs registered through the Backend API: where sign-in and
-- sign-up may send a browser or a native app besides the allowed
-- origins (custom schemes such as myapp://callback).
CREATE TABLE redirect_urls (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    url        TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
