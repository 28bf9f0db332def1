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
ALTER TABLE users ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION users_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rev = OLD.rev THEN
        NEW.rev := floor(random() * 9.2e18)::bigint;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_rev BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_rev();

-- A change to an identifier touches its user's row, whose trigger above
-- draws the new revision. A row this transaction inserted or already
-- changed is skipped: nobody outside the transaction has seen the
-- revision it holds, and the commit shows every change at once. (A
-- create inserts the user, then its identifiers: without the skip each
-- identifier would write the new row a second time, and on PostgreSQL
-- that is a new row version.)
CREATE FUNCTION identifiers_user_rev() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    uid TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        uid := OLD.user_id;
    ELSE
        uid := NEW.user_id;
    END IF;
    UPDATE users SET rev = rev WHERE id = uid AND xmin <> pg_current_xact_id()::xid;
    IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
        UPDATE users SET rev = rev WHERE id = OLD.user_id AND xmin <> pg_current_xact_id()::xid;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER identifiers_user_rev AFTER INSERT OR UPDATE OR DELETE ON identifiers
    FOR EACH ROW EXECUTE FUNCTION identifiers_user_rev();
