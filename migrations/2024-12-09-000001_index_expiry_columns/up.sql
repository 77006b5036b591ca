-- The periodic clean-up deletes by these columns; without the indexes each
-- run would scan the whole table.
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at);
CREATE INDEX sessions_created_idx ON sessions (created_at);
CREATE INDEX login_failures_at_idx ON login_failures (at);
CREATE INDEX imports_unconfirmed_idx ON imports (created_at) WHERE confirmed_at IS NULL;
