-- A figure says how its number was meant: "at least 826" is a lower bound,
-- "within 20 km" an upper one, "hundreds" has no number at all. Until now
-- every figure was a min (and maybe a max), which stored "within 20 km" as
-- a minimum of 20: the opposite of what was said.
CREATE TYPE figure_qualifier AS ENUM ('exact', 'at_least', 'at_most', 'about', 'range', 'vague');
-- "as of December 2024" is a month, not the 1st of December.
CREATE TYPE figure_date_precision AS ENUM ('day', 'month');

ALTER TABLE claim_figures
    ADD COLUMN unit text,
    ADD COLUMN qualifier figure_qualifier,
    ADD COLUMN value bigint,
    ADD COLUMN word text,
    ADD COLUMN as_of_precision figure_date_precision,
    ALTER COLUMN value_min DROP NOT NULL,
    DROP CONSTRAINT claim_figures_range_ordered;

-- Rewriting the rows into the new shape is no edit of any claim: the
-- version bump trigger must not count it.
ALTER TABLE claim_figures DISABLE TRIGGER claim_figures_update_bumps_claim;
-- A single value was stated as is; a "range" whose ends agree was one too.
UPDATE claim_figures SET
    qualifier = CASE WHEN value_max IS NULL OR value_max = value_min
                     THEN 'exact' ELSE 'range' END::figure_qualifier,
    value = CASE WHEN value_max IS NULL OR value_max = value_min THEN value_min END,
    value_min = CASE WHEN value_max IS NULL OR value_max = value_min THEN NULL ELSE value_min END,
    value_max = CASE WHEN value_max IS NULL OR value_max = value_min THEN NULL ELSE value_max END,
    as_of_precision = CASE WHEN as_of IS NOT NULL THEN 'day'::figure_date_precision END;
ALTER TABLE claim_figures ENABLE TRIGGER claim_figures_update_bumps_claim;

-- Each qualifier has exactly the numbers it needs, so a reader of the table
-- never has to guess which column holds the figure.
ALTER TABLE claim_figures
    ALTER COLUMN qualifier SET NOT NULL,
    ADD CONSTRAINT claim_figures_amount_shape CHECK (
        CASE qualifier
            WHEN 'range' THEN value IS NULL AND word IS NULL
                AND value_min IS NOT NULL AND value_max IS NOT NULL AND value_min < value_max
            WHEN 'vague' THEN value IS NULL AND value_min IS NULL AND value_max IS NULL
                AND word IS NOT NULL AND btrim(word) <> ''
            ELSE value IS NOT NULL AND value_min IS NULL AND value_max IS NULL AND word IS NULL
        END),
    ADD CONSTRAINT claim_figures_not_negative CHECK (value >= 0 AND value_min >= 0),
    ADD CONSTRAINT claim_figures_unit_not_blank CHECK (unit IS NULL OR btrim(unit) <> ''),
    ADD CONSTRAINT claim_figures_as_of_shape CHECK (
        (as_of IS NULL) = (as_of_precision IS NULL)
        AND (as_of_precision IS DISTINCT FROM 'month' OR extract(day FROM as_of) = 1));

COMMENT ON COLUMN claim_figures.value IS 'The number of an exact, at_least, at_most or about figure.';
COMMENT ON COLUMN claim_figures.word IS 'What a vague figure said instead of a number ("hundreds").';
COMMENT ON COLUMN claim_figures.unit IS 'NULL for a head count (people, items); else km, vehicles, ...';
