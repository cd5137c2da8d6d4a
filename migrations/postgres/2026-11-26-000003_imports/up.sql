-- Import batches: one row per NAACCR XML file imported, identified by the SHA-256 of its bytes
-- so the same file is never imported twice, with its counts and the report of rejected patients.
CREATE TABLE import_batches (
    id                  BIGSERIAL PRIMARY KEY,
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
