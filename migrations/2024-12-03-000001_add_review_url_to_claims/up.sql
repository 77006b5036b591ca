-- Where the newsroom published its fact-check of a claim (ClaimReview `url`).
ALTER TABLE claims ADD COLUMN review_url text;
