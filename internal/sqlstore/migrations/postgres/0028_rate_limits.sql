-- Rate-limit windows shared by every process on the database: one row
-- per limiter and key (a client address and route), counting the events
-- of its current window. Rows of finished windows are deleted as new
-- events arrive (by window_start).
CREATE TABLE rate_limits (
    key          TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    n            INTEGER NOT NULL
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
