-- A user's revision: a random number drawn anew by every change to the
-- user's row or to one of its identifiers. A copy of the user rendered at
-- one revision (the Backend API's user JSON) is current for as long as
-- the row holds that revision, which one narrow read tells. Triggers,
-- not the statements, move it on, so that no write path can forget to.
-- Random rather than counted: a user deleted and imported again under
-- its old ID must not come back at a revision a copy was made at (an
-- insert draws one too). The rows already here keep 0 until they
-- change: nothing was kept of them before this migration, so 0 is as
-- good as a draw, and no table of a million users is rewritten.
ALTER TABLE users ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;

-- An update that leaves rev as it was draws a new one (the nested update
-- changes rev, so it does not fire this again).
CREATE TRIGGER users_rev AFTER UPDATE ON users FOR EACH ROW WHEN NEW.rev = OLD.rev
BEGIN
    UPDATE users SET rev = random() WHERE seq = NEW.seq;
END;

CREATE TRIGGER identifiers_rev_insert AFTER INSERT ON identifiers FOR EACH ROW
BEGIN
    UPDATE users SET rev = random() WHERE id = NEW.user_id;
END;

CREATE TRIGGER identifiers_rev_update AFTER UPDATE ON identifiers FOR EACH ROW
BEGIN
    UPDATE users SET rev = random() WHERE id IN (OLD.user_id, NEW.user_id);
END;

CREATE TRIGGER identifiers_rev_delete AFTER DELETE ON identifiers FOR EACH ROW
BEGIN
    UPDATE users SET rev = random() WHERE id = OLD.user_id;
END;
