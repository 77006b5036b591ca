-- Claim and history times come from the database clock, not the
-- app's. now() is the start of the transaction: a seed or an import writes
-- a claim and its whole history (created, in review, verdict) in one, and
-- history is read back in (created_at, id) order. statement_timestamp()
-- tells those statements apart while a claim's created_at and updated_at,
-- written by one INSERT, stay equal.
ALTER TABLE claims
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE claim_history ALTER COLUMN created_at SET DEFAULT statement_timestamp();
-- Evidence takes the time of the history entry it came with (history::append).
