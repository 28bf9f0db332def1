-- Second factors a user enrols: an authenticator app's secret awaiting
-- its first code (sealed, as totp_secret), and the phone numbers used
-- as a second factor (a JSON array of identifier IDs, the default
-- first). A session records when each factor was last proved (Unix ms;
-- 0: the first factor at created_at, no second factor), for the fva
-- claim and reverification.
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN mfa_phones TEXT;
ALTER TABLE sessions ADD COLUMN factor_one_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN factor_two_at INTEGER NOT NULL DEFAULT 0;
