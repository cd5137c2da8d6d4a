//! Queries on import batches and export jobs.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::{export_jobs, import_batches};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Statuses of a batch that no longer stands for its file: the same file may be sent again.
pub const REFUSED_STATUSES: [&str; 2] = ["rejected", "failed"];

/// Statuses of a job that has not ended.
const RUNNING_STATUSES: [&str; 3] = ["queued", "importing", "running"];

/// An import batch as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = import_batches)]
pub struct BatchRow {
    /// Batch id.
    pub id: i64,
    /// The file's name as given.
    pub file_name: String,
    /// SHA-256 of the file's bytes (lower-case hex).
    pub sha256: String,
    /// Size of the file in bytes.
    pub file_size: i64,
    /// `all` or `per-patient`.
    pub mode: String,
    /// `queued`, `importing`, `imported`, `partial`, `rejected` or `failed`.
    pub status: String,
    /// The file's NAACCR version, once read.
    pub dictionary_version: Option<String>,
    /// Patients in the file.
    pub patients_read: i64,
    /// Patients written.
    pub patients_imported: i64,
    /// Patients refused.
    pub patients_rejected: i64,
    /// Tumors written.
    pub tumors_imported: i64,
    /// JSON report: the refused patients and the fatal problem, if any.
    pub report: String,
    /// Why the import failed (`failed` only).
    pub error: Option<String>,
    /// Who imported it.
    pub imported_by: Option<String>,
    /// When it was received (UTC).
    pub created_at: NaiveDateTime,
    /// When it ended (UTC).
    pub finished_at: Option<NaiveDateTime>,
}

/// A new batch (its id comes from the database).
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    /// File name.
    pub file_name: &'a str,
    /// SHA-256 hex.
    pub sha256: &'a str,
    /// Size in bytes.
    pub file_size: i64,
    /// Mode.
    pub mode: &'a str,
    /// Who.
    pub imported_by: Option<&'a str>,
}

/// How a batch ended.
#[derive(Debug, Clone)]
pub struct BatchResult<'a> {
    /// Final status.
    pub status: &'a str,
    /// The file's NAACCR version, when it was read that far.
    pub dictionary_version: Option<&'a str>,
    /// Counts: read, imported, rejected, tumors imported.
    pub counts: [i64; 4],
    /// JSON report.
    pub report: &'a str,
    /// Why it failed.
    pub error: Option<&'a str>,
}

/// Records a batch as `queued` and returns `Ok(id)`, unless a live batch has the same SHA-256:
/// then `Err(its id)` and nothing is written. The insert runs in a savepoint, so that losing a
/// race with another upload of the same file (the unique index refuses the second) leaves the
/// caller's transaction usable.
pub fn insert_batch_unless_live(
    conn: &mut AnyConnection,
    b: &NewBatch<'_>,
    now: NaiveDateTime,
) -> Result<Result<i64, i64>, StoreError> {
    if let Some(live) = find_live_batch_by_sha256(conn, b.sha256)? {
        return Ok(Err(live.id));
    }
    match conn.transaction(|c| insert_batch(c, b, now)) {
        Ok(id) => Ok(Ok(id)),
        Err(StoreError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => {
            let winner = find_live_batch_by_sha256(conn, b.sha256)?.map_or(0, |w| w.id);
            Ok(Err(winner))
        }
        Err(e) => Err(e),
    }
}

/// Records a batch as `queued` and returns its id. Fails with a unique violation when a live
/// batch has the same SHA-256.
fn insert_batch(
    conn: &mut AnyConnection,
    b: &NewBatch<'_>,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(import_batches::table)
        .values((
            import_batches::file_name.eq(b.file_name),
            import_batches::sha256.eq(b.sha256),
            import_batches::file_size.eq(b.file_size),
            import_batches::mode.eq(b.mode),
            import_batches::status.eq("queued"),
            import_batches::patients_read.eq(0),
            import_batches::patients_imported.eq(0),
            import_batches::patients_rejected.eq(0),
            import_batches::tumors_imported.eq(0),
            import_batches::report.eq("{}"),
            import_batches::imported_by.eq(b.imported_by),
            import_batches::created_at.eq(now),
        ))
        .returning(import_batches::id)
        .get_result::<i64>(conn)?)
}

/// The batch that stands for the file with this SHA-256 (imported, or on its way), if any.
pub fn find_live_batch_by_sha256(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<BatchRow>, StoreError> {
    Ok(import_batches::table
        .filter(import_batches::sha256.eq(sha256))
        .filter(import_batches::status.ne_all(REFUSED_STATUSES))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?)
}

/// One batch.
pub fn find_batch(conn: &mut AnyConnection, id: i64) -> Result<Option<BatchRow>, StoreError> {
    Ok(import_batches::table
        .find(id)
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?)
}

/// Batches newest first, `limit` of them older than `before`; only those of `imported_by` when
/// given.
pub fn list_batches(
    conn: &mut AnyConnection,
    imported_by: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<BatchRow>, StoreError> {
    let mut q = import_batches::table
        .select(BatchRow::as_select())
        .order(import_batches::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(who) = imported_by {
        q = q.filter(import_batches::imported_by.eq(who));
    }
    if let Some(before) = before {
        q = q.filter(import_batches::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// Marks a queued batch as being imported.
pub fn start_batch(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    diesel::update(import_batches::table.find(id))
        .set(import_batches::status.eq("importing"))
        .execute(conn)?;
    Ok(())
}

/// Sets a batch's final status, counts and report.
pub fn finish_batch(
    conn: &mut AnyConnection,
    id: i64,
    r: &BatchResult<'_>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let [read, imported, rejected, tumors] = r.counts;
    diesel::update(import_batches::table.find(id))
        .set((
            import_batches::status.eq(r.status),
            import_batches::dictionary_version.eq(r.dictionary_version),
            import_batches::patients_read.eq(read),
            import_batches::patients_imported.eq(imported),
            import_batches::patients_rejected.eq(rejected),
            import_batches::tumors_imported.eq(tumors),
            import_batches::report.eq(r.report),
            import_batches::error.eq(r.error),
            import_batches::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks every batch and export job left unfinished by a stopped service as `failed` (their
/// transactions were rolled back when the connection dropped) and returns how many.
pub fn fail_interrupted_jobs(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let why = "interrupted: the service stopped before the job finished; nothing of it was kept";
    let imports = diesel::update(
        import_batches::table.filter(import_batches::status.eq_any(RUNNING_STATUSES)),
    )
    .set((
        import_batches::status.eq("failed"),
        import_batches::error.eq(why),
        import_batches::finished_at.eq(Some(now)),
    ))
    .execute(conn)?;
    let exports =
        diesel::update(export_jobs::table.filter(export_jobs::status.eq_any(RUNNING_STATUSES)))
            .set((
                export_jobs::status.eq("failed"),
                export_jobs::error.eq(why),
                export_jobs::finished_at.eq(Some(now)),
            ))
            .execute(conn)?;
    let runs = diesel::update(
        super::schema::edit_runs::table.filter(super::schema::edit_runs::status.eq("running")),
    )
    .set((
        super::schema::edit_runs::status.eq("failed"),
        super::schema::edit_runs::error.eq(why),
        super::schema::edit_runs::finished_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(imports + exports + runs)
}

/// An export job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = export_jobs)]
pub struct ExportRow {
    /// Job id.
    pub id: i64,
    /// Login of the account that asked for it (the only one that may download it).
    pub requested_by: String,
    /// What was asked, as JSON.
    pub request: String,
    /// `queued`, `running`, `done`, `failed` or `expired`.
    pub status: String,
    /// Patients written.
    pub patients: i64,
    /// Tumors written.
    pub tumors: i64,
    /// Patients left out: validated against another NAACCR version.
    pub skipped_other_version: i64,
    /// Size of the file in bytes.
    pub file_size: i64,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When asked (UTC).
    pub created_at: NaiveDateTime,
    /// When it ended (UTC).
    pub finished_at: Option<NaiveDateTime>,
    /// When its file is deleted (UTC).
    pub expires_at: Option<NaiveDateTime>,
}

/// Records an export job as `queued` and returns its id.
pub fn insert_export_job(
    conn: &mut AnyConnection,
    requested_by: &str,
    request: &str,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(export_jobs::table)
        .values((
            export_jobs::requested_by.eq(requested_by),
            export_jobs::request.eq(request),
            export_jobs::status.eq("queued"),
            export_jobs::created_at.eq(now),
        ))
        .returning(export_jobs::id)
        .get_result::<i64>(conn)?)
}

/// One export job.
pub fn find_export_job(conn: &mut AnyConnection, id: i64) -> Result<Option<ExportRow>, StoreError> {
    Ok(export_jobs::table
        .find(id)
        .select(ExportRow::as_select())
        .first(conn)
        .optional()?)
}

/// The export jobs of one account, newest first.
pub fn list_export_jobs(
    conn: &mut AnyConnection,
    requested_by: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ExportRow>, StoreError> {
    let mut q = export_jobs::table
        .filter(export_jobs::requested_by.eq(requested_by))
        .select(ExportRow::as_select())
        .order(export_jobs::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(export_jobs::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// Marks a queued export as running.
pub fn start_export_job(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    diesel::update(export_jobs::table.find(id))
        .set(export_jobs::status.eq("running"))
        .execute(conn)?;
    Ok(())
}

/// How an export job ended.
#[derive(Debug, Clone)]
pub struct ExportResult<'a> {
    /// `done` or `failed`.
    pub status: &'a str,
    /// Patients, tumors, skipped (other version), file size.
    pub counts: [i64; 4],
    /// SHA-256 of the file.
    pub sha256: Option<&'a str>,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// When the file is deleted.
    pub expires_at: Option<NaiveDateTime>,
}

/// Sets an export job's final status.
pub fn finish_export_job(
    conn: &mut AnyConnection,
    id: i64,
    r: &ExportResult<'_>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let [patients, tumors, skipped, size] = r.counts;
    diesel::update(export_jobs::table.find(id))
        .set((
            export_jobs::status.eq(r.status),
            export_jobs::patients.eq(patients),
            export_jobs::tumors.eq(tumors),
            export_jobs::skipped_other_version.eq(skipped),
            export_jobs::file_size.eq(size),
            export_jobs::sha256.eq(r.sha256),
            export_jobs::error.eq(r.error),
            export_jobs::finished_at.eq(Some(now)),
            export_jobs::expires_at.eq(r.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks finished exports whose time is up as `expired` and returns their ids (their files are
/// then deleted).
pub fn expire_export_jobs(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<i64>, StoreError> {
    let ids: Vec<i64> = export_jobs::table
        .filter(export_jobs::status.eq("done"))
        .filter(export_jobs::expires_at.le(now))
        .select(export_jobs::id)
        .load(conn)?;
    if !ids.is_empty() {
        diesel::update(export_jobs::table.filter(export_jobs::id.eq_any(&ids)))
            .set(export_jobs::status.eq("expired"))
            .execute(conn)?;
    }
    Ok(ids)
}
