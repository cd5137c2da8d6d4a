-- Imports and exports become jobs that the HTTP service runs in the background.
--
-- import_batches: a batch is recorded when its file is received (status `queued`), then
-- `importing`, then `imported`, `partial`, `rejected` or `failed`. A rejected or failed file may
-- be sent again (after a fix it has another SHA-256 anyway), so the SHA-256 is unique only among
-- batches that were not refused. SQLite cannot drop a constraint: the table is rebuilt.
CREATE TABLE import_batches_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name           TEXT NOT NULL,
    sha256              TEXT NOT NULL,
    file_size           BIGINT NOT NULL DEFAULT 0,
    mode                TEXT NOT NULL,
    status              TEXT NOT NULL,
    dictionary_version  TEXT,
    patients_read       BIGINT NOT NULL,
    patients_imported   BIGINT NOT NULL,
    patients_rejected   BIGINT NOT NULL,
    tumors_imported     BIGINT NOT NULL,
    report              TEXT NOT NULL,
    error               TEXT,
    imported_by         TEXT,
    created_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP
);
INSERT INTO import_batches_new (id, file_name, sha256, mode, status, dictionary_version,
    patients_read, patients_imported, patients_rejected, tumors_imported, report, imported_by,
    created_at, finished_at)
SELECT id, file_name, sha256, mode, status, dictionary_version, patients_read, patients_imported,
    patients_rejected, tumors_imported, report, imported_by, created_at, created_at
FROM import_batches;
DROP TABLE import_batches;
ALTER TABLE import_batches_new RENAME TO import_batches;
CREATE UNIQUE INDEX import_batches_live_sha256 ON import_batches (sha256)
    WHERE status NOT IN ('rejected', 'failed');
CREATE INDEX import_batches_by_importer ON import_batches (imported_by, id);

-- export_jobs: one row per export asked for over HTTP; the file is written to the spool
-- directory, downloaded by the account that asked for it, and deleted when it expires.
CREATE TABLE export_jobs (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
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
