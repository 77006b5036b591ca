-- Values the claim graph writes to the audit trail and the claim history:
-- links between claims, attribution chains, source aliases, merges and
-- grades. ADD VALUE may not share a transaction with a use of the value
-- (see 2024-12-12-000001_action_enums), hence metadata.toml.
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'link_create';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'link_accept';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'link_remove';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'source_merge';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'grade_change';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'alias_change';
ALTER TYPE audit_object_type ADD VALUE IF NOT EXISTS 'claim_link';
