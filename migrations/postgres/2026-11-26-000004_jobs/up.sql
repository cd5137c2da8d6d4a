-- Imports and exports become jobs that the HTTP service runs in the background.
--
-- import_batches: a batch is recorded when its file is received (status `queued`), then
-- `importing`, then `imported`, `partial`, `rejected` or `failed`. A rejected or failed file may
-- be sent again, so the SHA-256 is unique only among batches that were not refused.
ALTER TABLE import_batches DROP CONSTRAINT import_batches_sha256_key;
ALTER TABLE import_batches ALTER COLUMN dictionary_version DROP NOT NULL;
ALTER TABLE import_batches ADD COLUMN file_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batches ADD COLUMN error TEXT;
ALTER TABLE import_batches ADD COLUMN finished_at TIMESTAMP;
UPDATE import_batches SET finished_at = created_at;
CREATE UNIQUE INDEX import_batches_live_sha256 ON import_batches (sha256)
    WHERE status NOT IN ('rejected', 'failed');
CREATE INDEX import_batches_by_importer ON import_batches (imported_by, id);

-- export_jobs: one row per export asked for over HTTP; the file is written to the spool
-- directory, downloaded by the account that asked for it, and deleted when it expires.
CREATE TABLE export_jobs (
    id                      BIGSERIAL PRIMARY KEY,
    requested_by            TEXT NOT NULL,
    request                 TEXT NOT NULL,
    status                  TEXT NOT NULL,
    patients                BIGINT NOT NULL DEFAULT 0,
    tumors                  BIGINT NOT NULL DEFAULT 0,
    skipped_other_version   BIGINT NOT NULL DEFAULT 0,
    file_size               BIGINT NOT NULL DEFAULT 0,
    sha256                  TEXT,
    error                   TEXT,
    created_at              TIMESTAMP NOT NULL,
    finished_at             TIMESTAMP,
    expires_at              TIMESTAMP
);
CREATE INDEX export_jobs_by_requester ON export_jobs (requested_by, id);
