-- A history row's columns follow from its action, as every writer (forms,
-- API, seeds, CSV and JSON imports) already fills them:
--   created:        the status the claim started at; no move, reason or diff
--   edited:         a diff (a JSON object); no status or reason
--   status_changed: from, to (different) and a non-blank reason; no diff
-- A JSON import could bring in an edit without its diff; such rows get an
-- empty diff, as the import now writes them.
UPDATE claim_history SET changes = '{}'::jsonb WHERE action = 'edited' AND changes IS NULL;

ALTER TABLE claim_history
    ADD CONSTRAINT claim_history_created_shape CHECK (
        action <> 'created'
        OR (to_status IS NOT NULL AND from_status IS NULL AND reason IS NULL AND changes IS NULL)),
    ADD CONSTRAINT claim_history_edited_shape CHECK (
        action <> 'edited'
        OR (changes IS NOT NULL AND jsonb_typeof(changes) = 'object'
            AND from_status IS NULL AND to_status IS NULL AND reason IS NULL)),
    ADD CONSTRAINT claim_history_status_changed_shape CHECK (
        action <> 'status_changed'
        OR (from_status IS NOT NULL AND to_status IS NOT NULL AND from_status <> to_status
            AND reason IS NOT NULL AND btrim(reason) <> '' AND changes IS NULL));
