-- A user's events (GET /api/v2/users/{id}/logs) are read by user id in log
-- id order. The user id moves out of attrs into a column of its own, NULL
-- for the events of no user (most of the log: machine tokens), with a
-- partial index over the others: an event without a user costs the index
-- nothing, and a user's page reads only its own entries.
-- The backfill reads the user id of every existing event that has one out
-- of its attrs once, at the first start of this version (the key stays in
-- those attrs, unread).
ALTER TABLE log_events ADD COLUMN user_id TEXT;
UPDATE log_events SET user_id = {{ATTRS_USER_ID}} WHERE attrs LIKE '%"user_id":%';
CREATE INDEX log_events_by_user ON log_events (tenant, user_id, log_id, type) WHERE user_id IS NOT NULL;
