-- Evidence keeps the order in which it was given. Until now it was read by
-- created_at, which every link of one status change shares, so the order
-- was whatever the heap returned. Backfill: per history entry (per claim
-- for links whose entry is gone) in the order they are stored now.
ALTER TABLE evidence ADD COLUMN position integer;

UPDATE evidence e
SET position = ordered.position
FROM (
    SELECT id,
           (row_number() OVER (
               PARTITION BY claim_id, history_id
               ORDER BY created_at, ctid
           ) - 1)::integer AS position
    FROM evidence
) AS ordered
WHERE e.id = ordered.id;

ALTER TABLE evidence ALTER COLUMN position SET NOT NULL;
ALTER TABLE evidence ADD CONSTRAINT evidence_position_not_negative CHECK (position >= 0);
ALTER TABLE evidence ADD CONSTRAINT evidence_history_position_key UNIQUE (history_id, position);
