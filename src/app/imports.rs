//! Importing NAACCR XML files: streamed one patient at a time from the reader into the store,
//! in one transaction for the whole file (`all`) or accepting the good patients and reporting
//! the rest (`per-patient`). A file is known by the SHA-256 of its bytes and imported once.
//!
//! An import is two steps, so that the HTTP service can answer as soon as a file is received:
//! [`Registry::receive_import`] records the batch (`queued`; refused if the same file stands
//! already), then [`Registry::run_import`] reads the file into the database (`importing`, then
//! `imported`, `partial`, `rejected` or `failed`). The command line does both in a row.

use super::abstracts::{Access, Stamp, insert_new_abstract_deferring_history};
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::{AppError, Registry};
use crate::core::abstracts::ItemMap;
use crate::core::auth::Permission;
use crate::core::naaccr::xml::{Item, NaaccrReader, Patient, ReaderOptions};
use crate::store::AnyConnection;
use crate::store::abstracts as store;

/// History rows written together (one statement per this many on PostgreSQL).
const HISTORY_BATCH: usize = 1000;
use crate::store::imports::{self as iq, BatchResult, BatchRow, NewBatch};
use serde::Serialize;
use std::io::BufRead;

/// How a file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// One transaction: nothing is written if any patient has a problem.
    All,
    /// The good patients are written; the others are reported.
    PerPatient,
}

impl ImportMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::All => "all",
            ImportMode::PerPatient => "per-patient",
        }
    }
}

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's name, as recorded with the batch.
    pub file_name: String,
    /// SHA-256 of the file's bytes (lower-case hex): a file is imported once.
    pub sha256: String,
    /// `all` or `per-patient`.
    pub mode: ImportMode,
    /// Check and report without writing.
    pub dry_run: bool,
    /// Size of the file in bytes.
    pub file_size: u64,
}

/// One problem of a refused patient, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedProblem {
    /// Stable code.
    pub code: String,
    /// For a person.
    pub message: String,
    /// The item's naaccrId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naaccr_id: Option<String>,
    /// 1-based tumor position in the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor: Option<usize>,
    /// Line in the file.
    pub line: u64,
    /// Column in the file (bytes).
    pub column: u64,
}

/// A refused patient, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedPatient {
    /// 1-based position of the patient in the file.
    pub patient: usize,
    /// Line where the patient starts.
    pub line: u64,
    /// Every problem found.
    pub problems: Vec<RejectedProblem>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    /// The batch id; none for a dry run, a refused `all` import, or a file imported before.
    pub batch: Option<i64>,
    /// Set when the same file was imported before: that batch's id. Nothing was done.
    pub already_imported_as: Option<i64>,
    /// `imported`, `partial`, `rejected`, `dry-run` or `already-imported`.
    pub status: String,
    /// Patients in the file.
    pub patients_read: u64,
    /// Patients written.
    pub patients_imported: u64,
    /// Tumors written.
    pub tumors_imported: u64,
    /// The refused patients.
    pub rejected: Vec<RejectedPatient>,
    /// A fatal problem that stopped reading, if any (then nothing was written).
    pub fatal: Option<RejectedProblem>,
    /// The file's NAACCR version, when it was read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionary_version: Option<String>,
}

impl ImportOutcome {
    /// An outcome with `status` where nothing was read or written yet.
    fn nothing(status: &str) -> Self {
        Self {
            batch: None,
            already_imported_as: None,
            status: status.to_owned(),
            patients_read: 0,
            patients_imported: 0,
            tumors_imported: 0,
            rejected: Vec::new(),
            fatal: None,
            dictionary_version: None,
        }
    }
}

/// The items of one element as an item map (the reader drops empty items already).
fn item_map(items: &[Item]) -> ItemMap {
    items
        .iter()
        .map(|i| (i.naaccr_id.to_string(), i.value.clone()))
        .collect()
}

fn rejected(patient: &Patient) -> RejectedPatient {
    RejectedPatient {
        patient: patient.index + 1,
        line: patient.line,
        problems: patient
            .problems
            .iter()
            .map(|p| RejectedProblem {
                code: p.code().to_owned(),
                message: p.kind.to_string(),
                naaccr_id: p.naaccr_id.clone(),
                tumor: p.tumor.map(|t| t + 1),
                line: p.line,
                column: p.column,
            })
            .collect(),
    }
}

/// The stored report of a batch: its refused patients and the fatal problem, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    /// The refused patients.
    #[serde(default)]
    pub rejected: Vec<RejectedPatient>,
    /// The problem that stopped reading.
    #[serde(default)]
    pub fatal: Option<RejectedProblem>,
}

/// An import batch: what was received, how far it got, and what was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportBatch {
    /// The batch as stored.
    pub row: BatchRow,
    /// Its report.
    pub report: BatchReport,
}

fn batch_of(row: BatchRow) -> Result<ImportBatch, AppError> {
    let report = if row.report.trim() == "{}" {
        BatchReport::default()
    } else {
        super::error::from_stored_json("import report", &row.report)?
    };
    Ok(ImportBatch { row, report })
}

/// The request context of the background work of a job started by `ctx`: the same caller (so
/// the same role and facilities), under a request id of its own.
pub fn job_context(ctx: &RequestContext, job: &str) -> RequestContext {
    RequestContext {
        principal: ctx.principal.clone(),
        request_id: Some(job.to_owned()),
        client: ctx.client.clone(),
        system: ctx.system.clone(),
        audited: Default::default(),
    }
}

impl Registry {
    /// Imports one NAACCR XML file (`input`, gzip or not, already detected) whose bytes have
    /// the SHA-256 `request.sha256`: records the batch, then reads the file into it (a dry run
    /// records nothing). `progress` is called after every patient with the count so far.
    pub async fn import_file<R>(
        &self,
        ctx: &RequestContext,
        request: ImportRequest,
        input: R,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<ImportOutcome, AppError>
    where
        R: BufRead + Send + 'static,
    {
        if request.dry_run {
            return self.dry_run_import(ctx, request, input, progress).await;
        }
        let batch = match self.receive_import(ctx, &request).await {
            Ok(b) => b.row.id,
            Err(AppError::AlreadyImported { batch }) => {
                return Ok(ImportOutcome {
                    already_imported_as: Some(batch),
                    ..ImportOutcome::nothing("already-imported")
                });
            }
            Err(e) => return Err(e),
        };
        self.run_import(ctx, batch, request, input, progress).await
    }

    /// Checks a file as an import would, writing nothing but the audit event.
    pub async fn dry_run_import<R>(
        &self,
        ctx: &RequestContext,
        request: ImportRequest,
        input: R,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<ImportOutcome, AppError>
    where
        R: BufRead + Send + 'static,
    {
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("file sha256 {}", request.sha256)),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::WritePatientData,
            "import.dry_run",
            facts,
            move |conn, facts| {
                let outcome =
                    registry.import_stream(conn, &access, now, &request, None, input, progress)?;
                facts.detail = Some(format!(
                    "{} dry run: {} of {} patients would be imported",
                    request.file_name, outcome.patients_imported, outcome.patients_read
                ));
                Ok(outcome)
            },
        )
        .await
    }

    /// Records a received file as a `queued` batch and returns it; refused with
    /// [`AppError::AlreadyImported`] when the same file (same SHA-256) was imported before or
    /// is on its way.
    pub async fn receive_import(
        &self,
        ctx: &RequestContext,
        request: &ImportRequest,
    ) -> Result<ImportBatch, AppError> {
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!(
                "{} sha256 {} ({} bytes, mode {})",
                request.file_name,
                request.sha256,
                request.file_size,
                request.mode.as_str()
            )),
            ..AuditFacts::default()
        };
        let request = request.clone();
        self.audited(
            ctx,
            Permission::WritePatientData,
            "import.receive",
            facts,
            move |conn, facts| {
                let new = NewBatch {
                    file_name: &request.file_name,
                    sha256: &request.sha256,
                    file_size: i64::try_from(request.file_size).unwrap_or(i64::MAX),
                    mode: request.mode.as_str(),
                    imported_by: access.actor(),
                };
                let id = match iq::insert_batch_unless_live(conn, &new, now)? {
                    Ok(id) => id,
                    Err(existing) => {
                        facts.id = Some(existing);
                        return Err(AppError::AlreadyImported { batch: existing });
                    }
                };
                facts.id = Some(id);
                let row = iq::find_batch(conn, id)?.ok_or(AppError::NoSuchJob {
                    kind: "import batch",
                    id,
                })?;
                batch_of(row)
            },
        )
        .await
    }

    /// Reads a received file into its batch `batch` in one transaction, and records how it
    /// ended: `imported` or `partial` with the data; `rejected` (nothing written, the report
    /// says why) or `failed` (a fault of the service) without.
    pub async fn run_import<R>(
        &self,
        ctx: &RequestContext,
        batch: i64,
        request: ImportRequest,
        input: R,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<ImportOutcome, AppError>
    where
        R: BufRead + Send + 'static,
    {
        self.db
            .run(move |conn| iq::start_batch(conn, batch))
            .await?;
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            id: Some(batch),
            detail: Some(format!("import batch {batch}")),
            ..AuditFacts::default()
        };
        let result = self
            .audited(
                ctx,
                Permission::WritePatientData,
                "import.run",
                facts,
                move |conn, facts| {
                    let outcome = registry.import_stream(
                        conn,
                        &access,
                        now,
                        &request,
                        Some(batch),
                        input,
                        progress,
                    )?;
                    facts.detail = Some(format!(
                        "{} {}: {} of {} patients, {} tumors",
                        request.file_name,
                        outcome.status,
                        outcome.patients_imported,
                        outcome.patients_read,
                        outcome.tumors_imported
                    ));
                    Ok(outcome)
                },
            )
            .await;
        let end = self.clock.now();
        match &result {
            Ok(_) => {}
            Err(AppError::ImportRefused(outcome)) => {
                let report = report_json(&outcome.rejected, outcome.fatal.as_ref())?;
                let counts = [
                    outcome.patients_read as i64,
                    0,
                    outcome.rejected.len() as i64,
                    0,
                ];
                let version = outcome.dictionary_version.clone();
                self.db
                    .run(move |conn| {
                        iq::finish_batch(
                            conn,
                            batch,
                            &BatchResult {
                                status: "rejected",
                                dictionary_version: version.as_deref(),
                                counts,
                                report: &report,
                                error: None,
                            },
                            end,
                        )
                    })
                    .await?;
            }
            Err(e) => {
                let why = e.to_string();
                self.db
                    .run(move |conn| {
                        iq::finish_batch(
                            conn,
                            batch,
                            &BatchResult {
                                status: "failed",
                                dictionary_version: None,
                                counts: [0; 4],
                                report: "{}",
                                error: Some(&why),
                            },
                            end,
                        )
                    })
                    .await?;
            }
        }
        result
    }

    /// One import batch, if the caller may see it: central staff see every batch, a registrar
    /// the batches they sent.
    pub async fn find_import(
        &self,
        ctx: &RequestContext,
        id: i64,
    ) -> Result<ImportBatch, AppError> {
        let access = Access::of(ctx);
        let facts = AuditFacts {
            id: Some(id),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "import.read",
            facts,
            move |conn, _| {
                let row = iq::find_batch(conn, id)?
                    .filter(|b| access.sees_job_of(b.imported_by.as_deref()))
                    .ok_or(AppError::NoSuchJob {
                        kind: "import batch",
                        id,
                    })?;
                batch_of(row)
            },
        )
        .await
    }

    /// Import batches, newest first: every batch for central staff, their own for a registrar.
    pub async fn list_imports(
        &self,
        ctx: &RequestContext,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ImportBatch>, AppError> {
        super::abstracts::check_page_size(limit)?;
        let access = Access::of(ctx);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "import.list",
            AuditFacts::default(),
            move |conn, _| {
                let mine = access.job_owner_filter();
                iq::list_batches(conn, mine.as_deref(), before, limit)?
                    .into_iter()
                    .map(batch_of)
                    .collect()
            },
        )
        .await
    }

    /// Marks the imports and exports that a stopped service left unfinished as failed (their
    /// transactions were rolled back); returns how many. Called when the service starts.
    pub async fn fail_interrupted_jobs(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        Ok(self
            .db
            .run(move |conn| iq::fail_interrupted_jobs(conn, now))
            .await?)
    }

    #[allow(clippy::too_many_arguments)]
    fn import_stream<R: BufRead>(
        &self,
        conn: &mut AnyConnection,
        access: &Access,
        now: chrono::NaiveDateTime,
        request: &ImportRequest,
        batch_id: Option<i64>,
        input: R,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportOutcome, AppError> {
        let mode = request.mode;
        let provider = |v: &str| self.dictionaries.get(v).cloned();
        let mut outcome = ImportOutcome::nothing("");
        let fatal = |e: crate::core::naaccr::xml::FatalError| RejectedProblem {
            code: e.code().to_owned(),
            message: e.kind.to_string(),
            naaccr_id: None,
            tumor: None,
            line: e.line,
            column: e.column,
        };
        let mut reader = match NaaccrReader::new(input, &provider, ReaderOptions::default()) {
            Ok(r) => r,
            Err(e) => {
                outcome.fatal = Some(fatal(e));
                return refuse(outcome, batch_id.is_some());
            }
        };
        let version = reader.root().naaccr_version.clone();
        outcome.dictionary_version = Some(version.clone());
        let stamp = Stamp {
            at: now,
            actor: Some(match (batch_id, access.actor()) {
                (Some(b), Some(a)) => format!("import:{b} by {a}"),
                (Some(b), None) => format!("import:{b}"),
                (None, _) => "import:dry-run".to_owned(),
            }),
        };
        let mut patient = Patient::default();
        let mut history = Vec::new();
        loop {
            if history.len() >= HISTORY_BATCH {
                store::insert_created_versions(conn, &history, stamp.actor.as_deref(), now)?;
                history.clear();
            }
            match reader.read_patient_into(&mut patient) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    outcome.fatal = Some(fatal(e));
                    break;
                }
            }
            outcome.patients_read += 1;
            progress(outcome.patients_read);
            let tumors: Vec<ItemMap> = patient.tumors.iter().map(|t| item_map(&t.items)).collect();
            let mut refused = rejected(&patient);
            for (i, t) in tumors.iter().enumerate() {
                if let Err(AppError::Forbidden { reason }) = access.check_new_tumor(t) {
                    refused.problems.push(RejectedProblem {
                        code: "out_of_scope".into(),
                        message: reason,
                        naaccr_id: Some("reportingFacility".into()),
                        tumor: Some(i + 1),
                        line: patient.tumors.get(i).map_or(patient.line, |t| t.line),
                        column: 1,
                    });
                }
            }
            if !refused.problems.is_empty() {
                outcome.rejected.push(refused);
                continue;
            }
            if mode == ImportMode::All && !outcome.rejected.is_empty() {
                // Refused as a whole already: read on only to report every problem.
                continue;
            }
            if batch_id.is_some() {
                insert_new_abstract_deferring_history(
                    conn,
                    &version,
                    &item_map(&patient.items),
                    &tumors,
                    now,
                    &mut history,
                )?;
            }
            outcome.patients_imported += 1;
            outcome.tumors_imported += tumors.len() as u64;
        }
        if outcome.fatal.is_some() || (mode == ImportMode::All && !outcome.rejected.is_empty()) {
            return refuse(outcome, batch_id.is_some());
        }
        outcome.status = if batch_id.is_none() {
            "dry-run".into()
        } else if outcome.rejected.is_empty() {
            "imported".into()
        } else {
            "partial".into()
        };
        store::insert_created_versions(conn, &history, stamp.actor.as_deref(), now)?;
        if let Some(batch) = batch_id {
            let report = report_json(&outcome.rejected, None)?;
            iq::finish_batch(
                conn,
                batch,
                &BatchResult {
                    status: &outcome.status,
                    dictionary_version: Some(&version),
                    counts: [
                        outcome.patients_read as i64,
                        outcome.patients_imported as i64,
                        outcome.rejected.len() as i64,
                        outcome.tumors_imported as i64,
                    ],
                    report: &report,
                    error: None,
                },
                now,
            )?;
            outcome.batch = Some(batch);
        }
        Ok(outcome)
    }
}

/// A file refused as a whole: nothing of it is kept. When writing, the error rolls back the
/// caller's transaction; a dry run just reports.
fn refuse(mut outcome: ImportOutcome, writing: bool) -> Result<ImportOutcome, AppError> {
    outcome.patients_imported = 0;
    outcome.tumors_imported = 0;
    outcome.status = "rejected".into();
    if writing {
        Err(AppError::ImportRefused(Box::new(outcome)))
    } else {
        Ok(outcome)
    }
}

fn report_json(
    rejected: &[RejectedPatient],
    fatal: Option<&RejectedProblem>,
) -> Result<String, AppError> {
    #[derive(Serialize)]
    struct Report<'a> {
        rejected: &'a [RejectedPatient],
        fatal: Option<&'a RejectedProblem>,
    }
    serde_json::to_string(&Report { rejected, fatal })
        .map_err(|e| AppError::Internal(e.to_string()))
}
