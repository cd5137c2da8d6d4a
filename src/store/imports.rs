//! Queries on import batches.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::import_batches;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An import batch as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct BatchRow {
    /// Batch id.
    pub id: i64,
    /// The file's name as given.
    pub file_name: String,
    /// SHA-256 of the file's bytes (lower-case hex).
    pub sha256: String,
    /// `all` or `per-patient`.
    pub mode: String,
    /// `imported`, `partial` or `rejected`.
    pub status: String,
    /// The file's NAACCR version.
    pub dictionary_version: String,
    /// Patients in the file.
    pub patients_read: i64,
    /// Patients written.
    pub patients_imported: i64,
    /// Patients refused.
    pub patients_rejected: i64,
    /// Tumors written.
    pub tumors_imported: i64,
    /// JSON report of the refused patients.
    pub report: String,
    /// Who imported it.
    pub imported_by: Option<String>,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// A new batch (its id comes from the database).
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    /// File name.
    pub file_name: &'a str,
    /// SHA-256 hex.
    pub sha256: &'a str,
    /// Mode.
    pub mode: &'a str,
    /// Status.
    pub status: &'a str,
    /// NAACCR version.
    pub dictionary_version: &'a str,
    /// Counts: read, imported, rejected, tumors imported.
    pub counts: [i64; 4],
    /// JSON report.
    pub report: &'a str,
    /// Who.
    pub imported_by: Option<&'a str>,
}

/// Records a batch and returns its id.
pub fn insert_batch(
    conn: &mut AnyConnection,
    b: &NewBatch<'_>,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    let [read, imported, rejected, tumors] = b.counts;
    Ok(diesel::insert_into(import_batches::table)
        .values((
            import_batches::file_name.eq(b.file_name),
            import_batches::sha256.eq(b.sha256),
            import_batches::mode.eq(b.mode),
            import_batches::status.eq(b.status),
            import_batches::dictionary_version.eq(b.dictionary_version),
            import_batches::patients_read.eq(read),
            import_batches::patients_imported.eq(imported),
            import_batches::patients_rejected.eq(rejected),
            import_batches::tumors_imported.eq(tumors),
            import_batches::report.eq(b.report),
            import_batches::imported_by.eq(b.imported_by),
            import_batches::created_at.eq(now),
        ))
        .returning(import_batches::id)
        .get_result::<i64>(conn)?)
}

/// The batch that imported the file with this SHA-256, if any.
pub fn find_batch_by_sha256(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<BatchRow>, StoreError> {
    Ok(import_batches::table
        .filter(import_batches::sha256.eq(sha256))
        .first::<BatchRow>(conn)
        .optional()?)
}

/// Sets a batch's final status, counts and report.
pub fn finish_batch(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    counts: [i64; 4],
    report: &str,
) -> Result<(), StoreError> {
    let [read, imported, rejected, tumors] = counts;
    diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
        .set((
            import_batches::status.eq(status),
            import_batches::patients_read.eq(read),
            import_batches::patients_imported.eq(imported),
            import_batches::patients_rejected.eq(rejected),
            import_batches::tumors_imported.eq(tumors),
            import_batches::report.eq(report),
        ))
        .execute(conn)?;
    Ok(())
}
