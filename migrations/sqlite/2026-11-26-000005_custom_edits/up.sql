-- The registry's own edits, written over the API by central staff. Every change is a new
-- version (never updated in place but for its status): draft, then active (at most one version
-- of an edit), superseded when a later version is activated, or retired.
CREATE TABLE custom_edits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    edit_id         TEXT NOT NULL,
    version         BIGINT NOT NULL,
    status          TEXT NOT NULL,
    definition      TEXT NOT NULL,
    note            TEXT,
    created_by      TEXT,
    created_at      TIMESTAMP NOT NULL,
    activated_at    TIMESTAMP,
    retired_at      TIMESTAMP,
    CONSTRAINT custom_edits_version_key UNIQUE (edit_id, version)
);
CREATE UNIQUE INDEX custom_edits_one_active ON custom_edits (edit_id) WHERE status = 'active';
