ALTER TABLE evidence DROP CONSTRAINT evidence_history_position_key;
ALTER TABLE evidence DROP CONSTRAINT evidence_position_not_negative;
ALTER TABLE evidence DROP COLUMN position;
