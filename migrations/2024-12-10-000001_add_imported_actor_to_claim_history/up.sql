-- History replayed by a JSON import keeps who made each change. When no
-- account with that e-mail exists here, actor_id stays NULL and the
-- original name and e-mail are kept as text.
ALTER TABLE claim_history
    ADD COLUMN imported_actor_name text,
    ADD COLUMN imported_actor_email text,
    ADD CONSTRAINT claim_history_imported_actor_without_account
        CHECK (actor_id IS NULL OR (imported_actor_name IS NULL AND imported_actor_email IS NULL));
