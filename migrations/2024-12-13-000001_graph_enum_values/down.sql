-- PostgreSQL cannot drop an enum value, so both types are rebuilt without
-- the graph's values. Rows already written with them keep their meaning as
-- closely as the old sets allow: a link or grade change becomes an
-- 'update', a merge an 'update' of the surviving source, a link object a
-- 'claim'. (The rewrite is DDL: the append-only row triggers do not fire.)
ALTER TYPE audit_action RENAME TO audit_action_graph;
CREATE TYPE audit_action AS ENUM (
    'create', 'update', 'status_change', 'review_url',
    'import',
    'login', 'login_failed', 'login_refused', 'logout',
    'token_create', 'token_revoke',
    'user_create', 'role_change', 'user_disable', 'user_enable',
    'password_change', 'password_reset'
);
ALTER TYPE audit_object_type RENAME TO audit_object_type_graph;
CREATE TYPE audit_object_type AS ENUM ('claim', 'story', 'source', 'user', 'api_token', 'import');

ALTER TABLE audit_log
    ALTER COLUMN action TYPE audit_action USING (
        CASE WHEN action::text IN ('link_create', 'link_accept', 'link_remove', 'source_merge',
                                   'grade_change', 'alias_change')
             THEN 'update' ELSE action::text END
    )::audit_action,
    ALTER COLUMN object_type TYPE audit_object_type USING (
        CASE WHEN object_type::text = 'claim_link' THEN 'claim' ELSE object_type::text END
    )::audit_object_type;

DROP TYPE audit_action_graph;
DROP TYPE audit_object_type_graph;
