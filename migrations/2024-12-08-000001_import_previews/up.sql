-- An import's preview is computed once, at upload (or revision), and stored
-- with it: opening the preview page reads a page of stored rows instead of
-- parsing and matching the whole file again.
-- Only a file small enough to correct in the page's form is kept
-- (`content_kept`); a larger one lives on as its stored preview alone.
ALTER TABLE imports
    ADD COLUMN content_kept boolean NOT NULL DEFAULT true,
    ADD COLUMN previewed_at timestamptz,
    ADD COLUMN file_error   text,
    ADD COLUMN n_create     integer NOT NULL DEFAULT 0,
    ADD COLUMN n_duplicate  integer NOT NULL DEFAULT 0,
    ADD COLUMN n_invalid    integer NOT NULL DEFAULT 0;

-- One row per data row of the file, in the section the preview puts it in.
-- `n` numbers the rows of a section from 1 in file order, so page p of a
-- section is the range ((p - 1) * size, p * size] of the primary key: deep
-- pages cost the same as the first. Purging an import purges its preview.
CREATE TABLE import_rows (
    import_id     uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    n             integer NOT NULL,
    line          bigint NOT NULL,
    reason        text,
    -- What the page shows; `details` holds the rest of a valid row.
    story_title   text,
    source_name   text,
    quote         text,
    status        claim_status,
    details       jsonb,
    PRIMARY KEY (import_id, kind, n),
    CONSTRAINT import_rows_kind_known CHECK (kind IN ('create', 'duplicate', 'invalid'))
);
