-- The TOTP step a user's last accepted code was from: each code works
-- once, and a code from that step or earlier is refused.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
