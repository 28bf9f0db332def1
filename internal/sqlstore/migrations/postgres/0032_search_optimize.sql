-- Numbered alike with SQLite's 0032, which merges its FTS5 search index.
-- pg_trgm's GIN indexes need no such step: nothing to do.
SELECT 1;
