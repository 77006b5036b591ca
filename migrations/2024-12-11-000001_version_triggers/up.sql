-- The database keeps `version` and `updated_at` honest: any UPDATE that
-- changes an editable column bumps both, whatever the caller wrote.
-- Bookkeeping columns (users.locked_until, ...) are left out on purpose,
-- so lockouts and similar housekeeping never invalidate an editor's ETag.
-- NEW.version is derived from OLD.version, so code that still bumps by hand
-- gets the same result (one bump, not two). Updates that change no editable
-- column keep whatever the caller wrote (a figures-only claim edit bumps by hand).

CREATE FUNCTION claimdesk_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER claims_bump_version BEFORE UPDATE ON claims FOR EACH ROW
WHEN ((OLD.quote, OLD.is_paraphrase, OLD.summary, OLD.claimed_at, OLD.claimed_where,
       OLD.source_id, OLD.story_id, OLD.status, OLD.review_url)
      IS DISTINCT FROM
      (NEW.quote, NEW.is_paraphrase, NEW.summary, NEW.claimed_at, NEW.claimed_where,
       NEW.source_id, NEW.story_id, NEW.status, NEW.review_url))
EXECUTE FUNCTION claimdesk_bump_version();

CREATE TRIGGER sources_bump_version BEFORE UPDATE ON sources FOR EACH ROW
WHEN ((OLD.name, OLD.source_type, OLD.affiliation, OLD.description)
      IS DISTINCT FROM
      (NEW.name, NEW.source_type, NEW.affiliation, NEW.description))
EXECUTE FUNCTION claimdesk_bump_version();

CREATE TRIGGER stories_bump_version BEFORE UPDATE ON stories FOR EACH ROW
WHEN ((OLD.title, OLD.outlet, OLD.url, OLD.published_at, OLD.dateline, OLD.notes)
      IS DISTINCT FROM
      (NEW.title, NEW.outlet, NEW.url, NEW.published_at, NEW.dateline, NEW.notes))
EXECUTE FUNCTION claimdesk_bump_version();

CREATE TRIGGER users_bump_version BEFORE UPDATE ON users FOR EACH ROW
WHEN ((OLD.email, OLD.name, OLD.role, OLD.password_hash, OLD.disabled_at)
      IS DISTINCT FROM
      (NEW.email, NEW.name, NEW.role, NEW.password_hash, NEW.disabled_at))
EXECUTE FUNCTION claimdesk_bump_version();
