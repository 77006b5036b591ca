-- Back to min/max. Lossy, as the old shape cannot say more:
--  * exact, about, at_least and at_most all become the single value (min):
--    "at least 826", "about 2,000" and "within 20 km" read as plain numbers;
--  * vague figures ("hundreds") have no number and are deleted;
--  * unit and word are dropped; a month as-of becomes its first day.
-- Rewriting rows is not an edit of a claim: the bump triggers stay quiet.
ALTER TABLE claim_figures DISABLE TRIGGER claim_figures_update_bumps_claim;
ALTER TABLE claim_figures DISABLE TRIGGER claim_figures_delete_bumps_claim;
DELETE FROM claim_figures WHERE qualifier = 'vague';
ALTER TABLE claim_figures
    DROP CONSTRAINT claim_figures_amount_shape,
    DROP CONSTRAINT claim_figures_not_negative,
    DROP CONSTRAINT claim_figures_unit_not_blank,
    DROP CONSTRAINT claim_figures_as_of_shape;
UPDATE claim_figures SET value_min = value, value_max = NULL WHERE qualifier <> 'range';
ALTER TABLE claim_figures ENABLE TRIGGER claim_figures_update_bumps_claim;
ALTER TABLE claim_figures ENABLE TRIGGER claim_figures_delete_bumps_claim;

ALTER TABLE claim_figures
    DROP COLUMN unit,
    DROP COLUMN qualifier,
    DROP COLUMN value,
    DROP COLUMN word,
    DROP COLUMN as_of_precision,
    ALTER COLUMN value_min SET NOT NULL,
    ADD CONSTRAINT claim_figures_range_ordered CHECK (value_max IS NULL OR value_max >= value_min);

DROP TYPE figure_date_precision;
DROP TYPE figure_qualifier;
