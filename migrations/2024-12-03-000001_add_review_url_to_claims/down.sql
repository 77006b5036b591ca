ALTER TABLE claims DROP COLUMN review_url;
