DROP INDEX evidence_history_id_idx;
DROP INDEX claim_history_actor_id_idx;
ALTER TABLE evidence DROP CONSTRAINT evidence_url_http;
ALTER TABLE claims DROP CONSTRAINT claims_review_url_http;
ALTER TABLE stories DROP CONSTRAINT stories_url_http;
