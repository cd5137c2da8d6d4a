-- Patients and tumors with their NAACCR items (JSON text) and the indexed items that searches,
-- edits and statistics need. Timestamps are UTC and set by the application, never by a default.
CREATE TABLE patients (
    id                    BIGSERIAL PRIMARY KEY,
    row_version           BIGINT NOT NULL,
    dictionary_version    TEXT NOT NULL,
    items                 TEXT NOT NULL,
    patient_id_number     TEXT,
    name_last             TEXT,
    name_first            TEXT,
    name_last_key         TEXT,
    name_first_key        TEXT,
    date_of_birth         TEXT,
    sex                   TEXT,
    vital_status          TEXT,
    date_of_last_contact  TEXT,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    deleted_at            TIMESTAMP,
    deleted_reason        TEXT
);
CREATE INDEX patients_patient_id_number_idx ON patients (patient_id_number);
CREATE INDEX patients_name_idx ON patients (name_last_key, name_first_key);
CREATE INDEX patients_date_of_birth_idx ON patients (date_of_birth);
CREATE INDEX patients_sex_idx ON patients (sex);
CREATE INDEX patients_vital_status_idx ON patients (vital_status);
CREATE INDEX patients_date_of_last_contact_idx ON patients (date_of_last_contact);

CREATE TABLE tumors (
    id                        BIGSERIAL PRIMARY KEY,
    patient_id                BIGINT NOT NULL REFERENCES patients (id),
    row_version               BIGINT NOT NULL,
    dictionary_version        TEXT NOT NULL,
    items                     TEXT NOT NULL,
    primary_site              TEXT,
    histologic_type_icd_o3    TEXT,
    behavior_code_icd_o3      TEXT,
    date_of_diagnosis         TEXT,
    sequence_number_hospital  TEXT,
    sequence_number_central   TEXT,
    laterality                TEXT,
    reporting_facility        TEXT,
    addr_at_dx_state          TEXT,
    county_at_dx              TEXT,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL,
    deleted_at                TIMESTAMP,
    deleted_reason            TEXT
);
CREATE INDEX tumors_patient_id_idx ON tumors (patient_id);
CREATE INDEX tumors_primary_site_idx ON tumors (primary_site);
CREATE INDEX tumors_histology_idx ON tumors (histologic_type_icd_o3, behavior_code_icd_o3);
CREATE INDEX tumors_date_of_diagnosis_idx ON tumors (date_of_diagnosis);
CREATE INDEX tumors_sequence_numbers_idx ON tumors (sequence_number_hospital, sequence_number_central);
CREATE INDEX tumors_laterality_idx ON tumors (laterality);
CREATE INDEX tumors_reporting_facility_idx ON tumors (reporting_facility);
CREATE INDEX tumors_geography_idx ON tumors (addr_at_dx_state, county_at_dx);

-- One row per change of a patient or tumor: what changed, with old and new values (JSON text).
CREATE TABLE abstract_versions (
    id                  BIGSERIAL PRIMARY KEY,
    entity_kind         TEXT NOT NULL,
    entity_id           BIGINT NOT NULL,
    version             BIGINT NOT NULL,
    action              TEXT NOT NULL,
    dictionary_version  TEXT NOT NULL,
    changes             TEXT NOT NULL,
    reason              TEXT,
    actor               TEXT,
    changed_at          TIMESTAMP NOT NULL,
    CONSTRAINT abstract_versions_entity_version_key UNIQUE (entity_kind, entity_id, version)
);
