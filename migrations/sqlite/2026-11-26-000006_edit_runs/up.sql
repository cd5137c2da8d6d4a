-- Runs of an edit set over the stored abstracts, with every failure found, kept so that staff
-- can list and page through them (the command line's `edits run --database` and the API).
CREATE TABLE edit_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    set_name        TEXT NOT NULL,
    status          TEXT NOT NULL,
    requested_by    TEXT,
    patients        BIGINT NOT NULL DEFAULT 0,
    tumors          BIGINT NOT NULL DEFAULT 0,
    checks          BIGINT NOT NULL DEFAULT 0,
    failures        BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE TABLE edit_run_failures (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          BIGINT NOT NULL REFERENCES edit_runs (id),
    patient_id      BIGINT NOT NULL,
    tumor_id        BIGINT,
    edit            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    message         TEXT NOT NULL,
    items           TEXT NOT NULL
);
CREATE INDEX edit_run_failures_by_run ON edit_run_failures (run_id, id);
