DROP INDEX claims_claimed_at_idx;
DROP INDEX claims_summary_trgm_idx;
DROP INDEX claims_quote_trgm_idx;
-- The extension stays: other objects may have come to depend on it.
