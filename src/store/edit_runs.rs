//! Queries on stored edit runs and their failures.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::{edit_run_failures, edit_runs};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An edit run as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = edit_runs)]
pub struct EditRunRow {
    /// Run id.
    pub id: i64,
    /// The edit set.
    pub set_name: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Who asked for it.
    pub requested_by: Option<String>,
    /// Patients checked.
    pub patients: i64,
    /// Tumors checked.
    pub tumors: i64,
    /// Checks made.
    pub checks: i64,
    /// Failures found.
    pub failures: i64,
    /// Error-level failures.
    pub errors: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Started (UTC).
    pub created_at: NaiveDateTime,
    /// Ended (UTC).
    pub finished_at: Option<NaiveDateTime>,
}

/// One stored failure.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = edit_run_failures)]
pub struct EditRunFailureRow {
    /// Row id (for paging).
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// The patient.
    pub patient_id: i64,
    /// The tumor, for a tumor-level edit.
    pub tumor_id: Option<i64>,
    /// The edit's id.
    pub edit: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// The items, comma-separated.
    pub items: String,
}

/// A failure to store.
#[derive(Debug, Clone)]
pub struct NewFailure {
    /// The patient.
    pub patient_id: i64,
    /// The tumor.
    pub tumor_id: Option<i64>,
    /// The edit's id.
    pub edit: String,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The message.
    pub message: String,
    /// The items, comma-separated.
    pub items: String,
}

/// Records a run as `running` and returns its id.
pub fn insert_edit_run(
    conn: &mut AnyConnection,
    set_name: &str,
    requested_by: Option<&str>,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(edit_runs::table)
        .values((
            edit_runs::set_name.eq(set_name),
            edit_runs::status.eq("running"),
            edit_runs::requested_by.eq(requested_by),
            edit_runs::created_at.eq(now),
        ))
        .returning(edit_runs::id)
        .get_result::<i64>(conn)?)
}

/// Stores failures of run `run` (500 to a statement on PostgreSQL).
pub fn insert_edit_run_failures(
    conn: &mut AnyConnection,
    run: i64,
    failures: &[NewFailure],
) -> Result<(), StoreError> {
    let row = |f: &NewFailure| {
        (
            edit_run_failures::run_id.eq(run),
            edit_run_failures::patient_id.eq(f.patient_id),
            edit_run_failures::tumor_id.eq(f.tumor_id),
            edit_run_failures::edit.eq(f.edit.clone()),
            edit_run_failures::severity.eq(f.severity),
            edit_run_failures::message.eq(f.message.clone()),
            edit_run_failures::items.eq(f.items.clone()),
        )
    };
    match conn {
        AnyConnection::Postgresql(pg) => {
            for chunk in failures.chunks(500) {
                let values: Vec<_> = chunk.iter().map(row).collect();
                diesel::insert_into(edit_run_failures::table)
                    .values(values)
                    .execute(pg)?;
            }
        }
        AnyConnection::Sqlite(lite) => {
            for f in failures {
                diesel::insert_into(edit_run_failures::table)
                    .values(row(f))
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Records how a run ended: counts (patients, tumors, checks, failures, errors) and status.
pub fn finish_edit_run(
    conn: &mut AnyConnection,
    run: i64,
    status: &str,
    counts: [i64; 5],
    error: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let [patients, tumors, checks, failures, errors] = counts;
    diesel::update(edit_runs::table.find(run))
        .set((
            edit_runs::status.eq(status),
            edit_runs::patients.eq(patients),
            edit_runs::tumors.eq(tumors),
            edit_runs::checks.eq(checks),
            edit_runs::failures.eq(failures),
            edit_runs::errors.eq(errors),
            edit_runs::error.eq(error),
            edit_runs::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// One run.
pub fn find_edit_run(conn: &mut AnyConnection, id: i64) -> Result<Option<EditRunRow>, StoreError> {
    Ok(edit_runs::table
        .find(id)
        .select(EditRunRow::as_select())
        .first(conn)
        .optional()?)
}

/// Runs newest first (of one account when given).
pub fn list_edit_runs(
    conn: &mut AnyConnection,
    requested_by: Option<&str>,
    limit: i64,
) -> Result<Vec<EditRunRow>, StoreError> {
    let mut q = edit_runs::table
        .select(EditRunRow::as_select())
        .order(edit_runs::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(who) = requested_by {
        q = q.filter(edit_runs::requested_by.eq(who));
    }
    Ok(q.load(conn)?)
}

/// Failures of a run by edit: (edit, severity, count), most first.
pub fn edit_run_counts(
    conn: &mut AnyConnection,
    run: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut rows: Vec<(String, String, i64)> = edit_run_failures::table
        .filter(edit_run_failures::run_id.eq(run))
        .group_by((edit_run_failures::edit, edit_run_failures::severity))
        .select((
            edit_run_failures::edit,
            edit_run_failures::severity,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    Ok(rows)
}

/// A page of a run's failures after row `after`, of one edit when given.
pub fn edit_run_failures_page(
    conn: &mut AnyConnection,
    run: i64,
    edit: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<EditRunFailureRow>, StoreError> {
    let mut q = edit_run_failures::table
        .filter(edit_run_failures::run_id.eq(run))
        .filter(edit_run_failures::id.gt(after))
        .select(EditRunFailureRow::as_select())
        .order(edit_run_failures::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(e) = edit {
        q = q.filter(edit_run_failures::edit.eq(e));
    }
    Ok(q.load(conn)?)
}
