-- One name space for sources: every source's own name and every alias is a
-- row keyed by its lower-case form, so "an alias equal to another source's
-- name" (or to another alias) is a primary-key violation however many
-- requests race. The source's own name row is kept by a trigger.
CREATE TABLE source_names (
    name_key   text PRIMARY KEY,
    source_id  uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name       text NOT NULL,
    is_alias   boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT source_names_key_is_lower CHECK (name_key = lower(name)),
    CONSTRAINT source_names_not_blank CHECK (length(btrim(name)) > 0)
);
CREATE INDEX source_names_source_idx ON source_names (source_id);
CREATE INDEX source_names_trgm_idx ON source_names USING gin (name_key gin_trgm_ops);

INSERT INTO source_names (name_key, source_id, name, is_alias)
SELECT lower(name), id, name, false FROM sources;

CREATE FUNCTION claimdesk_source_own_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM source_names WHERE source_id = OLD.id AND NOT is_alias;
        -- Renaming a source to one of its own aliases promotes that alias.
        DELETE FROM source_names WHERE source_id = NEW.id AND name_key = lower(NEW.name);
    END IF;
    INSERT INTO source_names (name_key, source_id, name, is_alias)
    VALUES (lower(NEW.name), NEW.id, NEW.name, false);
    RETURN NEW;
END;
$$;
CREATE TRIGGER sources_own_name AFTER INSERT OR UPDATE OF name ON sources
FOR EACH ROW
EXECUTE FUNCTION claimdesk_source_own_name();

-- Admiralty source reliability: A completely reliable ... E unreliable,
-- F cannot be judged. An editor's judgement, null until one is made.
CREATE TYPE source_grade AS ENUM ('A', 'B', 'C', 'D', 'E', 'F');

ALTER TABLE sources
    ADD COLUMN grade source_grade,
    -- A merged source stays as a tombstone so its old links lead to the
    -- source it became; it holds no claims, chains or grade history.
    ADD COLUMN merged_into uuid REFERENCES sources (id) ON DELETE RESTRICT,
    ADD COLUMN merged_at timestamptz,
    ADD CONSTRAINT sources_not_merged_into_self CHECK (merged_into IS DISTINCT FROM id),
    ADD CONSTRAINT sources_merge_complete CHECK ((merged_into IS NULL) = (merged_at IS NULL));
CREATE INDEX sources_merged_into_idx ON sources (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE source_grade_history (
    id         uuid PRIMARY KEY,
    source_id  uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    from_grade source_grade,
    to_grade   source_grade NOT NULL,
    reason     text NOT NULL,
    actor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    -- Kept apart from actor_id so an import can name who graded.
    actor_name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT source_grade_history_reason_not_blank CHECK (length(btrim(reason)) > 0)
);
CREATE INDEX source_grade_history_source_idx ON source_grade_history (source_id, created_at);

-- A claim or chain row written against a source merged meanwhile lands on
-- the source it was merged into: the locking read waits for a merge in
-- progress (which holds the row FOR UPDATE) and then sees its outcome, so
-- no claim is left behind on a tombstone.
CREATE FUNCTION claimdesk_follow_merged_source() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target uuid;
BEGIN
    SELECT merged_into INTO target FROM sources WHERE id = NEW.source_id FOR KEY SHARE;
    IF target IS NOT NULL THEN
        NEW.source_id := target;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER claims_follow_merged_source BEFORE INSERT OR UPDATE OF source_id ON claims
FOR EACH ROW EXECUTE FUNCTION claimdesk_follow_merged_source();
CREATE TRIGGER claim_chain_follow_merged_source BEFORE INSERT OR UPDATE OF source_id ON claim_chain
FOR EACH ROW EXECUTE FUNCTION claimdesk_follow_merged_source();

-- A grade is editable data: changing it invalidates an editor's ETag.
DROP TRIGGER sources_bump_version ON sources;
CREATE TRIGGER sources_bump_version BEFORE UPDATE ON sources FOR EACH ROW
WHEN ((OLD.name, OLD.source_type, OLD.affiliation, OLD.description, OLD.grade, OLD.merged_into)
      IS DISTINCT FROM
      (NEW.name, NEW.source_type, NEW.affiliation, NEW.description, NEW.grade, NEW.merged_into))
EXECUTE FUNCTION claimdesk_bump_version();
