-- Typed links between claims. A link reads from `from_claim_id`: "A
-- contradicts B", "A updates B". Rows are never deleted: removal keeps the
-- row with who, when and why. A reporter's link is a proposal
-- (accepted_at NULL) until an editor accepts it; only live links (accepted,
-- not removed) count for contested and corroboration.
CREATE TYPE link_kind AS ENUM ('contradicts', 'corroborates', 'repeats', 'updates', 'responds_to');

CREATE TABLE claim_links (
    id             uuid PRIMARY KEY,
    from_claim_id  uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    to_claim_id    uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    kind           link_kind NOT NULL,
    note           text,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT statement_timestamp(),
    accepted_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    accepted_at    timestamptz,
    removed_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    removed_at     timestamptz,
    removed_reason text,
    CONSTRAINT claim_links_not_self CHECK (from_claim_id <> to_claim_id),
    CONSTRAINT claim_links_removal_has_reason
        CHECK ((removed_at IS NULL) = (removed_reason IS NULL)),
    CONSTRAINT claim_links_note_plain CHECK (note IS NULL OR position(chr(0) in note) = 0)
);

-- One open (proposed or live) link of a kind per ordered pair...
CREATE UNIQUE INDEX claim_links_open_key
    ON claim_links (from_claim_id, to_claim_id, kind) WHERE removed_at IS NULL;
-- ...and per unordered pair for the symmetric kinds, so "A contradicts B"
-- and "B contradicts A" cannot both be open, even when sent at once.
CREATE UNIQUE INDEX claim_links_open_symmetric_key
    ON claim_links (LEAST(from_claim_id, to_claim_id), GREATEST(from_claim_id, to_claim_id), kind)
    WHERE removed_at IS NULL AND kind IN ('contradicts', 'corroborates');
CREATE INDEX claim_links_from_idx ON claim_links (from_claim_id) WHERE removed_at IS NULL;
CREATE INDEX claim_links_to_idx ON claim_links (to_claim_id) WHERE removed_at IS NULL;
