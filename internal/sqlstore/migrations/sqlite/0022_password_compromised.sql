-- When an operator marked the user's password compromised (Unix ms):
-- a sign-in with it is refused until the password is reset. Setting a
-- new password clears it.
ALTER TABLE users ADD COLUMN password_compromised_at INTEGER;
