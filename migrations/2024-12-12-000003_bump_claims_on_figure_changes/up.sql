-- A claim's figures are part of the claim: changing them (INSERT, UPDATE or
-- DELETE on claim_figures, by the app or by hand) bumps the claim's version
-- and updated_at, like an edit of its wording.
--
-- One edit, one bump: an edit that changes the wording and the figures
-- updates the claim row first (the claims trigger bumps it) and then
-- replaces the figures, which must not bump it a second time. So each bump
-- records its transaction in `version_xact`, and a figure change bumps only
-- a claim not already bumped (or created) by the same transaction. Status
-- changes are unaffected: every one bumps, even several in one transaction
-- (seeds and imports walk a new claim through review in one).
-- A transaction that changes figures first and then the wording bumps twice;
-- the app never does, and the version still only grows.
ALTER TABLE claims ADD COLUMN version_xact bigint;
-- Not on the ADD: existing rows keep NULL instead of a table rewrite.
ALTER TABLE claims ALTER COLUMN version_xact SET DEFAULT (pg_current_xact_id()::text::bigint);
COMMENT ON COLUMN claims.version_xact IS
    'Transaction that created the claim or last bumped its version (bookkeeping for claim_figures triggers).';

CREATE FUNCTION claims_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := statement_timestamp();
    NEW.version_xact := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$;

-- Same columns as before (version_xact, like version and updated_at, is not one).
DROP TRIGGER claims_bump_version ON claims;
CREATE TRIGGER claims_bump_version BEFORE UPDATE ON claims FOR EACH ROW
WHEN ((OLD.quote, OLD.is_paraphrase, OLD.summary, OLD.claimed_at, OLD.claimed_where,
       OLD.source_id, OLD.story_id, OLD.status, OLD.review_url)
      IS DISTINCT FROM
      (NEW.quote, NEW.is_paraphrase, NEW.summary, NEW.claimed_at, NEW.claimed_where,
       NEW.source_id, NEW.story_id, NEW.status, NEW.review_url))
EXECUTE FUNCTION claims_bump_version();

-- Per statement, so replacing a claim's twenty figures costs one UPDATE.
-- The UPDATE changes no editable column: the claims trigger stays quiet.
CREATE FUNCTION claim_figures_bump_claims() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me bigint := pg_current_xact_id()::text::bigint;
    touched uuid[];
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT claim_id) INTO touched FROM new_figures;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT claim_id) INTO touched FROM old_figures;
    ELSE
        -- Rewriting a figure with its own values is no change.
        SELECT array_agg(DISTINCT x.claim_id) INTO touched
        FROM new_figures n JOIN old_figures o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.claim_id), (o.claim_id)) AS x (claim_id)
        WHERE n IS DISTINCT FROM o;
    END IF;
    UPDATE claims
    SET version = version + 1,
        updated_at = statement_timestamp(),
        version_xact = me
    WHERE id = ANY (touched)
      AND version_xact IS DISTINCT FROM me;
    RETURN NULL;
END;
$$;

CREATE TRIGGER claim_figures_insert_bumps_claim AFTER INSERT ON claim_figures
    REFERENCING NEW TABLE AS new_figures
    FOR EACH STATEMENT EXECUTE FUNCTION claim_figures_bump_claims();
CREATE TRIGGER claim_figures_update_bumps_claim AFTER UPDATE ON claim_figures
    REFERENCING OLD TABLE AS old_figures NEW TABLE AS new_figures
    FOR EACH STATEMENT EXECUTE FUNCTION claim_figures_bump_claims();
CREATE TRIGGER claim_figures_delete_bumps_claim AFTER DELETE ON claim_figures
    REFERENCING OLD TABLE AS old_figures
    FOR EACH STATEMENT EXECUTE FUNCTION claim_figures_bump_claims();
