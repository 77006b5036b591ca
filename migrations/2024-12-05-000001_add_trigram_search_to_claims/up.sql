-- Substring search over quotes and summaries ("ILIKE '%ring of steel%'")
-- without scanning every claim.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX claims_quote_trgm_idx ON claims USING gin (quote gin_trgm_ops);
CREATE INDEX claims_summary_trgm_idx ON claims USING gin (summary gin_trgm_ops);
CREATE INDEX claims_claimed_at_idx ON claims (claimed_at);
