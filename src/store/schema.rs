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

diesel::table! {
    /// Accounts: login, role, the facilities they may see, status and password hash.
    users (id) {
        id -> BigInt,
        login -> Text,
        role -> Text,
        facilities -> Text,
        status -> Text,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Login sessions: one refresh-token family each; revoking one ends its access tokens too.
    sessions (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Refresh tokens, stored as SHA-256 hashes; each is used once, then rotated.
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The audit trail: append-only (triggers refuse UPDATE and DELETE), hash-chained.
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        login -> Nullable<Text>,
        role -> Nullable<Text>,
        action -> Text,
        entity_kind -> Nullable<Text>,
        entity_id -> Nullable<BigInt>,
        request_id -> Nullable<Text>,
        outcome -> Text,
        items -> Text,
        detail -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The head of the audit chain: the last event's id (one row).
    audit_head (id) {
        id -> Integer,
        last_id -> BigInt,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    audit_events,
    audit_head
);

diesel::table! {
    /// NAACCR XML files received for import: status, counts, the rejected patients' report,
    /// the file's SHA-256.
    import_batches (id) {
        id -> BigInt,
        file_name -> Text,
        sha256 -> Text,
        file_size -> BigInt,
        mode -> Text,
        status -> Text,
        dictionary_version -> Nullable<Text>,
        patients_read -> BigInt,
        patients_imported -> BigInt,
        patients_rejected -> BigInt,
        tumors_imported -> BigInt,
        report -> Text,
        error -> Nullable<Text>,
        imported_by -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Exports asked for over HTTP: what was asked, status, counts, and the file's size and hash.
    export_jobs (id) {
        id -> BigInt,
        requested_by -> Text,
        request -> Text,
        status -> Text,
        patients -> BigInt,
        tumors -> BigInt,
        skipped_other_version -> BigInt,
        file_size -> BigInt,
        sha256 -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The registry's own edits, one row per version.
    custom_edits (id) {
        id -> BigInt,
        edit_id -> Text,
        version -> BigInt,
        status -> Text,
        definition -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        activated_at -> Nullable<Timestamp>,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Runs of an edit set over the stored abstracts.
    edit_runs (id) {
        id -> BigInt,
        set_name -> Text,
        status -> Text,
        requested_by -> Nullable<Text>,
        patients -> BigInt,
        tumors -> BigInt,
        checks -> BigInt,
        failures -> BigInt,
        errors -> BigInt,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The failures an edit run found.
    edit_run_failures (id) {
        id -> BigInt,
        run_id -> BigInt,
        patient_id -> BigInt,
        tumor_id -> Nullable<BigInt>,
        edit -> Text,
        severity -> Text,
        message -> Text,
        items -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(edit_runs, edit_run_failures);

diesel::table! {
    /// Confirmations of edits that have no over-ride item, per tumor, with the reason.
    edit_confirmations (id) {
        id -> BigInt,
        tumor_id -> BigInt,
        edit_id -> Text,
        reason -> Text,
        confirmed_by -> Text,
        confirmed_at -> Timestamp,
        withdrawn_by -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(edit_confirmations -> tumors (tumor_id));
diesel::allow_tables_to_appear_in_same_query!(edit_confirmations, tumors);

diesel::table! {
    /// Population denominators by year, county, sex and age group.
    population (id) {
        id -> BigInt,
        year -> Integer,
        county -> Text,
        sex -> SmallInt,
        age_group -> Text,
        #[sql_name = "population"]
        persons -> Double,
        imported_at -> Timestamp,
    }
}
