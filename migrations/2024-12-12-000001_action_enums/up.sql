-- What a history or audit row records is one of a known set, checked by the
-- database and mapped to Rust enums (src/domain/actions.rs).
--
-- Adding a value later: `ALTER TYPE ... ADD VALUE` cannot be followed by a
-- use of the new value in the same transaction, and diesel runs each
-- migration in one. Put the ADD VALUE in a migration of its own with a
-- `metadata.toml` holding `run_in_transaction = false`, and use the value
-- (in a default, a CHECK, a backfill) in a later migration. Creating a type
-- with CREATE TYPE, as here, has no such restriction.
CREATE TYPE history_action AS ENUM ('created', 'edited', 'status_changed');

CREATE TYPE audit_action AS ENUM (
    'create', 'update', 'status_change', 'review_url',
    'import',
    'login', 'login_failed', 'login_refused', 'logout',
    'token_create', 'token_revoke',
    'user_create', 'role_change', 'user_disable', 'user_enable',
    'password_change', 'password_reset'
);

CREATE TYPE audit_object_type AS ENUM ('claim', 'story', 'source', 'user', 'api_token', 'import');

-- The enum now says what the CHECK said.
ALTER TABLE claim_history DROP CONSTRAINT claim_history_action_known;
ALTER TABLE claim_history
    ALTER COLUMN action TYPE history_action USING action::history_action;

-- Rewriting the column's type is DDL: the append-only row triggers do not fire.
ALTER TABLE audit_log
    ALTER COLUMN action TYPE audit_action USING action::audit_action,
    ALTER COLUMN object_type TYPE audit_object_type USING object_type::audit_object_type;
