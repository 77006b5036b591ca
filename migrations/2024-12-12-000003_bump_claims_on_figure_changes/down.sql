DROP TRIGGER claim_figures_delete_bumps_claim ON claim_figures;
DROP TRIGGER claim_figures_update_bumps_claim ON claim_figures;
DROP TRIGGER claim_figures_insert_bumps_claim ON claim_figures;
DROP FUNCTION claim_figures_bump_claims();

DROP TRIGGER claims_bump_version ON claims;
CREATE TRIGGER claims_bump_version BEFORE UPDATE ON claims FOR EACH ROW
WHEN ((OLD.quote, OLD.is_paraphrase, OLD.summary, OLD.claimed_at, OLD.claimed_where,
       OLD.source_id, OLD.story_id, OLD.status, OLD.review_url)
      IS DISTINCT FROM
      (NEW.quote, NEW.is_paraphrase, NEW.summary, NEW.claimed_at, NEW.claimed_where,
       NEW.source_id, NEW.story_id, NEW.status, NEW.review_url))
EXECUTE FUNCTION claimdesk_bump_version();
DROP FUNCTION claims_bump_version();

ALTER TABLE claims DROP COLUMN version_xact;
