ALTER TABLE claim_history
    DROP CONSTRAINT claim_history_imported_actor_without_account,
    DROP COLUMN imported_actor_email,
    DROP COLUMN imported_actor_name;
