ALTER TABLE claim_history ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE claims
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
