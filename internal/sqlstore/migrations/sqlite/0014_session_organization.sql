-- The organization a session works in (Clerk's last_active_organization_id),
-- set by the Frontend API's touch and carried in the session token's o claim.
ALTER TABLE sessions ADD COLUMN last_active_organization_id TEXT;
