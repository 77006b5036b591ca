DROP TRIGGER users_bump_version ON users;
DROP TRIGGER stories_bump_version ON stories;
DROP TRIGGER sources_bump_version ON sources;
DROP TRIGGER claims_bump_version ON claims;
DROP FUNCTION claimdesk_bump_version();
