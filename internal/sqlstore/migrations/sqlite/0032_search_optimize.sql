-- Merge the search index's segments into one. A database that grew by
-- batches of users holds a dozen (10 at 1,000,000 seeded users), and a
-- search walks every term's doclist in each: merged, a ?query= costs a
-- third less CPU. New users add small segments that FTS5's automerge
-- keeps few.
INSERT INTO user_search (user_search) VALUES ('optimize');
