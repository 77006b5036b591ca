-- The stored previews can be recomputed from each import's content.
DROP TABLE import_rows;
ALTER TABLE imports
    DROP COLUMN content_kept,
    DROP COLUMN previewed_at,
    DROP COLUMN file_error,
    DROP COLUMN n_create,
    DROP COLUMN n_duplicate,
    DROP COLUMN n_invalid;
