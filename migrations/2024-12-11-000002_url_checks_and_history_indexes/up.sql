-- URL columns accept http(s) only, backing the Rust validation. Added NOT VALID
-- then validated: rows already passed the same rule in Rust.
ALTER TABLE stories ADD CONSTRAINT stories_url_http CHECK (url ~* '^https?://') NOT VALID;
ALTER TABLE claims ADD CONSTRAINT claims_review_url_http CHECK (review_url ~* '^https?://') NOT VALID;
ALTER TABLE evidence ADD CONSTRAINT evidence_url_http CHECK (url ~* '^https?://') NOT VALID;
ALTER TABLE stories VALIDATE CONSTRAINT stories_url_http;
ALTER TABLE claims VALIDATE CONSTRAINT claims_review_url_http;
ALTER TABLE evidence VALIDATE CONSTRAINT evidence_url_http;

-- Foreign keys followed by "who did what" and "what evidence came with this edit".
CREATE INDEX claim_history_actor_id_idx ON claim_history (actor_id);
CREATE INDEX evidence_history_id_idx ON evidence (history_id);
