//! Importing NAACCR XML files: streamed one patient at a time from the reader into the store,
//! in one transaction for the whole file (`all`) or accepting the good patients and reporting
//! the rest (`per-patient`). A file is known by the SHA-256 of its bytes and imported once.

use super::abstracts::{Access, Stamp, insert_new_abstract};
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::{AppError, Registry};
use crate::core::abstracts::ItemMap;
use crate::core::auth::Permission;
use crate::core::naaccr::xml::{Item, NaaccrReader, Patient, ReaderOptions};
use crate::store::AnyConnection;
use crate::store::imports::{self as iq, NewBatch};
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
}

/// One problem of a refused patient, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl Registry {
    /// Imports one NAACCR XML file (`input`, gzip or not, already detected) whose bytes have
    /// the SHA-256 `sha256`. `progress` is called after every patient with the count so far.
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
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("file sha256 {}", request.sha256)),
            ..AuditFacts::default()
        };
        let permission = Permission::WritePatientData;
        let action = if request.dry_run {
            "import.dry_run"
        } else {
            "import"
        };
        self.audited(ctx, permission, action, facts, move |conn, facts| {
            if let Some(batch) = iq::find_batch_by_sha256(conn, &request.sha256)? {
                return Ok(ImportOutcome {
                    batch: None,
                    already_imported_as: Some(batch.id),
                    status: "already-imported".into(),
                    patients_read: 0,
                    patients_imported: 0,
                    tumors_imported: 0,
                    rejected: Vec::new(),
                    fatal: None,
                });
            }
            let outcome = registry.import_stream(conn, &access, now, &request, input, progress)?;
            facts.detail = Some(format!(
                "{} {}: {} of {} patients, {} tumors",
                request.file_name,
                outcome.status,
                outcome.patients_imported,
                outcome.patients_read,
                outcome.tumors_imported
            ));
            facts.id = outcome.batch;
            Ok(outcome)
        })
        .await
    }

    fn import_stream<R: BufRead>(
        &self,
        conn: &mut AnyConnection,
        access: &Access,
        now: chrono::NaiveDateTime,
        request: &ImportRequest,
        input: R,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportOutcome, AppError> {
        let (mode, dry_run) = (request.mode, request.dry_run);
        let provider = |v: &str| self.dictionaries.get(v).cloned();
        let mut outcome = ImportOutcome {
            batch: None,
            already_imported_as: None,
            status: String::new(),
            patients_read: 0,
            patients_imported: 0,
            tumors_imported: 0,
            rejected: Vec::new(),
            fatal: None,
        };
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
                outcome.status = "rejected".into();
                return Ok(outcome);
            }
        };
        let version = reader.root().naaccr_version.clone();
        // The whole file is read inside the caller's one transaction (see `import_file`), one
        // patient at a time: in `all` mode a refusal rolls everything back, batch row included.
        let batch_id = if dry_run {
            None
        } else {
            Some(iq::insert_batch(
                conn,
                &NewBatch {
                    file_name: &request.file_name,
                    sha256: &request.sha256,
                    mode: mode.as_str(),
                    status: "importing",
                    dictionary_version: &version,
                    counts: [0; 4],
                    report: "[]",
                    imported_by: access.actor(),
                },
                now,
            )?)
        };
        let stamp = Stamp {
            at: now,
            actor: Some(match (batch_id, access.actor()) {
                (Some(b), Some(a)) => format!("import:{b} by {a}"),
                (Some(b), None) => format!("import:{b}"),
                (None, _) => "import:dry-run".to_owned(),
            }),
        };
        let mut patient = Patient::default();
        loop {
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
                insert_new_abstract(conn, &version, &item_map(&patient.items), &tumors, &stamp)?;
            }
            outcome.patients_imported += 1;
            outcome.tumors_imported += tumors.len() as u64;
        }
        let refused_whole =
            outcome.fatal.is_some() || (mode == ImportMode::All && !outcome.rejected.is_empty());
        if refused_whole {
            outcome.patients_imported = 0;
            outcome.tumors_imported = 0;
            outcome.status = "rejected".into();
            if batch_id.is_some() {
                // An error rolls back the caller's transaction: nothing of this file stays.
                return Err(AppError::ImportRefused(Box::new(outcome)));
            }
            return Ok(outcome);
        }
        outcome.status = if dry_run {
            "dry-run".into()
        } else if outcome.rejected.is_empty() {
            "imported".into()
        } else {
            "partial".into()
        };
        if let Some(batch) = batch_id {
            let report = serde_json::to_string(&outcome.rejected)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            iq::finish_batch(
                conn,
                batch,
                &outcome.status,
                [
                    outcome.patients_read as i64,
                    outcome.patients_imported as i64,
                    outcome.rejected.len() as i64,
                    outcome.tumors_imported as i64,
                ],
                &report,
            )?;
            outcome.batch = Some(batch);
        }
        Ok(outcome)
    }
}
