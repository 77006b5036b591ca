DROP TABLE evidence;
DROP TABLE claim_history;
DROP TABLE claim_figures;
DROP TABLE claims;
DROP TABLE sources;
DROP TABLE stories;
DROP TYPE claim_status;
DROP TYPE source_type;
