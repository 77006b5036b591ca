DROP INDEX IF EXISTS imports_unconfirmed_idx;
DROP INDEX IF EXISTS login_failures_at_idx;
DROP INDEX IF EXISTS sessions_created_idx;
DROP INDEX IF EXISTS sessions_last_seen_idx;
