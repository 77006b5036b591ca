DROP TABLE claim_links;
DROP TYPE link_kind;
