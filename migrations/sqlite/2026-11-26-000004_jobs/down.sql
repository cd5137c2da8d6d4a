DROP TABLE export_jobs;
DROP INDEX import_batches_by_importer;
DROP INDEX import_batches_live_sha256;
CREATE TABLE import_batches_old (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name           TEXT NOT NULL,
    sha256              TEXT NOT NULL,
    mode                TEXT NOT NULL,
    status              TEXT NOT NULL,
    dictionary_version  TEXT NOT NULL,
    patients_read       BIGINT NOT NULL,
    patients_imported   BIGINT NOT NULL,
    patients_rejected   BIGINT NOT NULL,
    tumors_imported     BIGINT NOT NULL,
    report              TEXT NOT NULL,
    imported_by         TEXT,
    created_at          TIMESTAMP NOT NULL,
    CONSTRAINT import_batches_sha256_key UNIQUE (sha256)
);
INSERT INTO import_batches_old (id, file_name, sha256, mode, status, dictionary_version,
    patients_read, patients_imported, patients_rejected, tumors_imported, report, imported_by,
    created_at)
SELECT id, file_name, sha256, mode, status, COALESCE(dictionary_version, ''), patients_read,
    patients_imported, patients_rejected, tumors_imported, report, imported_by, created_at
FROM import_batches WHERE status IN ('imported', 'partial');
DROP TABLE import_batches;
ALTER TABLE import_batches_old RENAME TO import_batches;
