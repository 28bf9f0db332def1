-- A user's uploaded profile image (its URL under /images/), or NULL for
-- the generated one.
ALTER TABLE users ADD COLUMN image_url TEXT;
