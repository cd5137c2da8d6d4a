//! The database schema, written by hand so that one description serves PostgreSQL and SQLite.
//! Kept in step with both migration folders by `tests/it/migrations.rs`.

diesel::table! {
    /// Patients: patient-level NAACCR items and the indexed copies of those that searches use.
    patients (id) {
        id -> BigInt,
        row_version -> BigInt,
        dictionary_version -> Text,
        items -> Text,
        patient_id_number -> Nullable<Text>,
        name_last -> Nullable<Text>,
        name_first -> Nullable<Text>,
        name_last_key -> Nullable<Text>,
        name_first_key -> Nullable<Text>,
        date_of_birth -> Nullable<Text>,
        sex -> Nullable<Text>,
        vital_status -> Nullable<Text>,
        date_of_last_contact -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        deleted_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Tumors: tumor-level NAACCR items and the indexed copies of those that filters use.
    tumors (id) {
        id -> BigInt,
        patient_id -> BigInt,
        row_version -> BigInt,
        dictionary_version -> Text,
        items -> Text,
        primary_site -> Nullable<Text>,
        histologic_type_icd_o3 -> Nullable<Text>,
        behavior_code_icd_o3 -> Nullable<Text>,
        date_of_diagnosis -> Nullable<Text>,
        sequence_number_hospital -> Nullable<Text>,
        sequence_number_central -> Nullable<Text>,
        laterality -> Nullable<Text>,
        reporting_facility -> Nullable<Text>,
        addr_at_dx_state -> Nullable<Text>,
        county_at_dx -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        deleted_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every change of a patient or a tumor, with the old and new value of each item.
    abstract_versions (id) {
        id -> BigInt,
        entity_kind -> Text,
        entity_id -> BigInt,
        version -> BigInt,
        action -> Text,
        dictionary_version -> Text,
        changes -> Text,
        reason -> Nullable<Text>,
        actor -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(tumors -> patients (patient_id));
diesel::allow_tables_to_appear_in_same_query!(patients, tumors, abstract_versions);
