-- Uploaded spreadsheets, kept until confirmed so a preview can be
-- corrected and re-run without uploading again.
CREATE TABLE imports (
    id           uuid PRIMARY KEY,
    user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    filename     text NOT NULL,
    content      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    created      integer,
    skipped      integer
);
CREATE INDEX imports_user_idx ON imports (user_id, created_at DESC);
