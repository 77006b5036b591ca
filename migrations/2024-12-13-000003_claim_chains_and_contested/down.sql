DROP FUNCTION claim_is_contested(uuid);
DROP TABLE claim_chain;
