-- Aliases, grades and merges go; merged sources' claims already moved, so
-- the tombstones stay as ordinary (empty) sources.
DROP TRIGGER sources_bump_version ON sources;
CREATE TRIGGER sources_bump_version BEFORE UPDATE ON sources FOR EACH ROW
WHEN ((OLD.name, OLD.source_type, OLD.affiliation, OLD.description)
      IS DISTINCT FROM
      (NEW.name, NEW.source_type, NEW.affiliation, NEW.description))
EXECUTE FUNCTION claimdesk_bump_version();
DROP TRIGGER claim_chain_follow_merged_source ON claim_chain;
DROP TRIGGER claims_follow_merged_source ON claims;
DROP FUNCTION claimdesk_follow_merged_source();
DROP TABLE source_grade_history;
ALTER TABLE sources
    DROP CONSTRAINT sources_merge_complete,
    DROP CONSTRAINT sources_not_merged_into_self,
    DROP COLUMN merged_at,
    DROP COLUMN merged_into,
    DROP COLUMN grade;
DROP TYPE source_grade;
DROP TRIGGER sources_own_name ON sources;
DROP FUNCTION claimdesk_source_own_name();
DROP TABLE source_names;
