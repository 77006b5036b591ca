-- How a claim reached the story: the relays between the outlet and the
-- claimant, outlet first (position 0). The claimant itself is the claim's
-- source_id and is not repeated here, so changing or merging a source
-- cannot leave a chain that ends somewhere else.
CREATE TABLE claim_chain (
    claim_id  uuid NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    source_id uuid NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
    PRIMARY KEY (claim_id, position),
    CONSTRAINT claim_chain_position_natural CHECK (position >= 0)
);
CREATE INDEX claim_chain_source_idx ON claim_chain (source_id);

-- A claim is contested while a live `contradicts` link joins it to a claim
-- that is not judged false. Written as two EXISTS (one per direction) so
-- each uses its partial index; LANGUAGE sql + STABLE lets the planner
-- inline it into the board's query.
CREATE FUNCTION claim_is_contested(claim uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
               SELECT 1 FROM claim_links l JOIN claims o ON o.id = l.to_claim_id
                WHERE l.from_claim_id = claim AND l.kind = 'contradicts'
                  AND l.accepted_at IS NOT NULL AND l.removed_at IS NULL
                  AND o.status <> 'false')
        OR EXISTS (
               SELECT 1 FROM claim_links l JOIN claims o ON o.id = l.from_claim_id
                WHERE l.to_claim_id = claim AND l.kind = 'contradicts'
                  AND l.accepted_at IS NOT NULL AND l.removed_at IS NULL
                  AND o.status <> 'false')
$$;
