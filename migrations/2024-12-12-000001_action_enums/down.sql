ALTER TABLE audit_log
    ALTER COLUMN action TYPE text USING action::text,
    ALTER COLUMN object_type TYPE text USING object_type::text;

ALTER TABLE claim_history ALTER COLUMN action TYPE text USING action::text;
ALTER TABLE claim_history
    ADD CONSTRAINT claim_history_action_known CHECK (action IN ('created', 'edited', 'status_changed'));

DROP TYPE audit_object_type;
DROP TYPE audit_action;
DROP TYPE history_action;
