-- Core tables: stories, sources, claims, figures, status history and evidence.
CREATE TYPE source_type AS ENUM (
    'government', 'military', 'armed_group', 'monitor', 'international',
    'foreign_government', 'media', 'witness', 'anonymous', 'other'
);

CREATE TYPE claim_status AS ENUM (
    'unverified', 'in_review', 'verified', 'corroborated', 'disputed', 'false', 'unverifiable'
);

CREATE TABLE stories (
    id           uuid PRIMARY KEY,
    title        text NOT NULL,
    outlet       text NOT NULL,
    url          text,
    published_at timestamptz,
    dateline     text,
    notes        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT stories_title_not_blank CHECK (length(btrim(title)) > 0)
);
-- One story per URL, so imports and seeds can match an existing story.
CREATE UNIQUE INDEX stories_url_key ON stories (url) WHERE url IS NOT NULL;
CREATE INDEX stories_created_idx ON stories (created_at DESC, id DESC);

CREATE TABLE sources (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    source_type source_type NOT NULL,
    affiliation text,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT sources_name_not_blank CHECK (length(btrim(name)) > 0)
);
-- Case-insensitive: "Syrian Observatory" and "syrian observatory" are one source.
CREATE UNIQUE INDEX sources_name_key ON sources (lower(name));

CREATE TABLE claims (
    id            uuid PRIMARY KEY,
    story_id      uuid NOT NULL REFERENCES stories (id) ON DELETE RESTRICT,
    -- The primary claimant. Relays ("X told AFP") will live in a separate
    -- claim_attributions table so several sources per claim need no redesign.
    source_id     uuid NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
    quote         text NOT NULL,
    is_paraphrase boolean NOT NULL DEFAULT false,
    summary       text,
    claimed_at    timestamptz,
    claimed_where text,
    status        claim_status NOT NULL DEFAULT 'unverified',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT claims_quote_not_blank CHECK (length(btrim(quote)) > 0)
);
-- md5 because a btree cannot index 10,000-character quotes directly.
CREATE UNIQUE INDEX claims_story_source_quote_key ON claims (story_id, source_id, md5(quote));
-- Keyset pagination, newest first, with and without the common filters.
CREATE INDEX claims_created_idx ON claims (created_at DESC, id DESC);
CREATE INDEX claims_status_created_idx ON claims (status, created_at DESC, id DESC);
CREATE INDEX claims_story_created_idx ON claims (story_id, created_at DESC, id DESC);
CREATE INDEX claims_source_created_idx ON claims (source_id, created_at DESC, id DESC);

-- Numbers inside a claim ("826 killed"); a range keeps min and max apart.
CREATE TABLE claim_figures (
    id         uuid PRIMARY KEY,
    claim_id   uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    label      text NOT NULL,
    value_min  bigint NOT NULL,
    value_max  bigint,
    as_of      date,
    position   integer NOT NULL DEFAULT 0,
    CONSTRAINT claim_figures_range_ordered CHECK (value_max IS NULL OR value_max >= value_min)
);
CREATE INDEX claim_figures_claim_idx ON claim_figures (claim_id, position);

-- Append-only history of every change to a claim.
CREATE TABLE claim_history (
    id          uuid PRIMARY KEY,
    claim_id    uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    action      text NOT NULL,
    from_status claim_status,
    to_status   claim_status,
    reason      text,
    changes     jsonb,
    actor_id    uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claim_history_action_known CHECK (action IN ('created', 'edited', 'status_changed'))
);
CREATE INDEX claim_history_claim_idx ON claim_history (claim_id, created_at DESC, id DESC);

CREATE TABLE evidence (
    id         uuid PRIMARY KEY,
    claim_id   uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    history_id uuid REFERENCES claim_history (id) ON DELETE SET NULL,
    url        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_claim_idx ON evidence (claim_id);
