//! The JSON shapes of the API and their conversions to and from the core types.

use crate::app::abstracts::{Page, PatientWithTumors, Saved};
use crate::app::edits::EditReport;
use crate::app::imports::{ImportBatch, ImportOutcome, RejectedPatient, RejectedProblem};
use crate::app::jobs::{ExportJob, ExportSpec};
use crate::core::abstracts::{
    EntityKind, ItemChange, ItemInput, PatientRecord, Tombstone, TumorRecord, VersionEntry, etag,
};
use crate::core::problem::Problem;
use crate::store::edit_confirmations::ConfirmationRow;
use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// NAACCR items of one record as sent: naaccrId to value (a string; null or "" removes the
/// item). Kept in the order sent, so that a key sent twice is reported, not silently dropped.
#[derive(Debug, Clone, Default, ToSchema)]
#[schema(value_type = BTreeMap<String, Option<String>>, example = json!({"primarySite": "C509", "laterality": "1"}))]
pub struct ItemsBody(pub Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for ItemsBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemsBody;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of naaccrId to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemsBody, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    out.push((k, v));
                }
                Ok(ItemsBody(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl ItemsBody {
    /// The items as core inputs, or the problems of keys sent twice.
    pub fn into_inputs(self, record: &str) -> Result<Vec<(String, ItemInput)>, Vec<Problem>> {
        let mut seen = std::collections::HashSet::new();
        let mut problems = Vec::new();
        let mut out = Vec::with_capacity(self.0.len());
        for (k, v) in self.0 {
            if !seen.insert(k.clone()) {
                problems.push(
                    Problem::new("duplicate_item", format!("{k} is sent more than once"))
                        .for_item(k)
                        .in_record(record),
                );
                continue;
            }
            let input = match v {
                serde_json::Value::String(s) => ItemInput::Text(s),
                serde_json::Value::Null => ItemInput::Null,
                serde_json::Value::Number(_) => ItemInput::NotText("a number"),
                serde_json::Value::Bool(_) => ItemInput::NotText("true or false"),
                serde_json::Value::Array(_) => ItemInput::NotText("a list"),
                serde_json::Value::Object(_) => ItemInput::NotText("an object"),
            };
            out.push((k, input));
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }
}

/// A new tumor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTumorBody {
    /// NAACCR version to validate against (default: the registry's default, "260").
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Tumor-level items.
    #[serde(default)]
    pub items: ItemsBody,
}

/// A new patient, with any number of tumors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPatientBody {
    /// NAACCR version to validate against (default "260"); applies to the tumors too.
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Patient-level items.
    #[serde(default)]
    pub items: ItemsBody,
    /// The patient's tumors.
    #[serde(default)]
    pub tumors: Vec<TumorItemsBody>,
}

/// The items of one tumor sent with a new patient.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TumorItemsBody {
    /// Tumor-level items.
    #[serde(default)]
    pub items: ItemsBody,
}

/// A change to a record (JSON merge patch of its items).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchBody {
    /// Move the record to this NAACCR version; every item is then checked against it.
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Items to set (a string) or remove (null or "").
    #[serde(default)]
    pub items: ItemsBody,
}

/// Why a record is deleted.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteBody {
    /// The reason, kept with the tombstone and in the history (1 to 1000 characters).
    pub reason: String,
}

/// Which version to go back to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevertBody {
    /// The version whose items the record takes again (a revert is itself a new version).
    pub version: i64,
}

/// A person search. Names match by prefix, ignoring case, spaces, punctuation and accents;
/// at least one criterion is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonSearchBody {
    /// Last name or its beginning.
    #[serde(default)]
    pub name_last: Option<String>,
    /// First name or its beginning.
    #[serde(default)]
    pub name_first: Option<String>,
    /// Date of birth, CCYYMMDD.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// Patient ID Number, exact.
    #[serde(default)]
    pub patient_id_number: Option<String>,
    /// Most records returned (1-500, default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A soft delete: when and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneDto {
    /// When (UTC).
    pub deleted_at: DateTime<Utc>,
    /// The reason given.
    pub reason: String,
}

impl From<&Tombstone> for TombstoneDto {
    fn from(t: &Tombstone) -> Self {
        Self {
            deleted_at: t.at.and_utc(),
            reason: t.reason.clone(),
        }
    }
}

/// One failed edit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditFailureDto {
    /// The edit's id (`IF25`, `valid:dateOfBirth`, `codes:vitalStatus`).
    pub edit: String,
    /// The edit's name as the standard gives it.
    pub name: String,
    /// `error` or `warning`.
    pub severity: String,
    /// What is wrong, with the record's values.
    pub message: String,
    /// The items concerned (naaccrIds).
    pub items: Vec<String>,
    /// The tumor, for a tumor-level edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor_id: Option<i64>,
}

/// What an edit set found on a patient with its tumors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditReportDto {
    /// The edit set that ran.
    pub set: String,
    /// Error-level failures.
    pub errors: usize,
    /// Warning-level failures.
    pub warnings: usize,
    /// Every failure.
    pub failures: Vec<EditFailureDto>,
    /// The confirmations that switched off an edit that would have failed (reported as
    /// overridden, with who confirmed it and why).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<EditConfirmationDto>,
}

/// A person's confirmation that an edit's failure on a tumor is right (for the edits no
/// over-ride item covers: IARC's rare combinations).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditConfirmationDto {
    /// The tumor.
    pub tumor_id: i64,
    /// The edit confirmed.
    pub edit: String,
    /// Why the combination is right.
    pub reason: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When (UTC).
    pub confirmed_at: DateTime<Utc>,
    /// Who withdrew it (absent while in force).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_by: Option<String>,
    /// When it was withdrawn (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl From<ConfirmationRow> for EditConfirmationDto {
    fn from(c: ConfirmationRow) -> Self {
        Self {
            tumor_id: c.tumor_id,
            edit: c.edit_id,
            reason: c.reason,
            confirmed_by: c.confirmed_by,
            confirmed_at: c.confirmed_at.and_utc(),
            withdrawn_by: c.withdrawn_by,
            withdrawn_at: c.withdrawn_at.map(|t| t.and_utc()),
        }
    }
}

impl From<EditReport> for EditReportDto {
    fn from(r: EditReport) -> Self {
        let errors = r.errors();
        Self {
            set: r.set,
            errors,
            warnings: r.failures.len() - errors,
            failures: r
                .failures
                .into_iter()
                .map(|f| EditFailureDto {
                    edit: f.edit,
                    name: f.name,
                    severity: f.severity.as_str().to_owned(),
                    message: f.message,
                    items: f.items,
                    tumor_id: f.tumor.map(|t| t.0),
                })
                .collect(),
            confirmed: r
                .confirmed
                .into_iter()
                .map(EditConfirmationDto::from)
                .collect(),
        }
    }
}

/// A tumor.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorDto {
    /// Internal id.
    pub id: i64,
    /// The patient's internal id.
    pub patient_id: i64,
    /// Current version.
    pub version: i64,
    /// The ETag to send in If-Match to change this version.
    pub etag: String,
    /// The NAACCR version the items were validated against.
    pub dictionary_version: String,
    /// Tumor-level items.
    pub items: BTreeMap<String, String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Present when the tumor is soft-deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<TombstoneDto>,
    /// In the answer to a save: what the edit set run on save found on the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<EditReportDto>,
}

impl From<Saved<TumorRecord>> for TumorDto {
    fn from(s: Saved<TumorRecord>) -> Self {
        Self {
            edits: s.edits.map(EditReportDto::from),
            ..TumorDto::from(s.record)
        }
    }
}

impl From<TumorRecord> for TumorDto {
    fn from(t: TumorRecord) -> Self {
        Self {
            id: t.id.0,
            patient_id: t.patient_id.0,
            version: t.version.0,
            etag: etag(EntityKind::Tumor, t.id.0, t.version),
            dictionary_version: t.dictionary_version,
            items: t.items,
            created_at: t.created_at.and_utc(),
            updated_at: t.updated_at.and_utc(),
            deleted: t.tombstone.as_ref().map(TombstoneDto::from),
            edits: None,
        }
    }
}

/// A patient with its tumors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientDto {
    /// Internal id.
    pub id: i64,
    /// Current version.
    pub version: i64,
    /// The ETag to send in If-Match to change this version.
    pub etag: String,
    /// The NAACCR version the items were validated against.
    pub dictionary_version: String,
    /// Patient-level items.
    pub items: BTreeMap<String, String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Present when the patient is soft-deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<TombstoneDto>,
    /// The patient's tumors (soft-deleted ones only when asked for; a registrar sees those of
    /// their facilities). Absent in the answer to a change, which is about the patient alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumors: Option<Vec<TumorDto>>,
    /// In the answer to a save: what the edit set run on save found on the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<EditReportDto>,
}

impl PatientDto {
    /// A patient with the given tumors (none: the answer to a change).
    pub fn new(p: PatientRecord, tumors: Option<Vec<TumorRecord>>) -> Self {
        Self {
            id: p.id.0,
            version: p.version.0,
            etag: etag(EntityKind::Patient, p.id.0, p.version),
            dictionary_version: p.dictionary_version,
            items: p.items,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
            deleted: p.tombstone.as_ref().map(TombstoneDto::from),
            tumors: tumors.map(|ts| ts.into_iter().map(TumorDto::from).collect()),
            edits: None,
        }
    }
}

impl From<PatientWithTumors> for PatientDto {
    fn from(p: PatientWithTumors) -> Self {
        Self {
            edits: p.edits.map(EditReportDto::from),
            ..PatientDto::new(p.patient, Some(p.tumors))
        }
    }
}

impl From<Saved<PatientRecord>> for PatientDto {
    fn from(s: Saved<PatientRecord>) -> Self {
        Self {
            edits: s.edits.map(EditReportDto::from),
            ..PatientDto::new(s.record, None)
        }
    }
}

/// One page of patients.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientPage {
    /// The patients, in id order.
    pub items: Vec<PatientDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl From<Page<PatientWithTumors>> for PatientPage {
    fn from(p: Page<PatientWithTumors>) -> Self {
        Self {
            items: p.items.into_iter().map(PatientDto::from).collect(),
            next_after: p.next_after,
        }
    }
}

/// One page of tumors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorPage {
    /// The tumors, in id order.
    pub items: Vec<TumorDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl From<Page<TumorRecord>> for TumorPage {
    fn from(p: Page<TumorRecord>) -> Self {
        Self {
            items: p.items.into_iter().map(TumorDto::from).collect(),
            next_after: p.next_after,
        }
    }
}

/// Patients found by a person search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSearchResult {
    /// The patients, in id order.
    pub items: Vec<PatientDto>,
}

/// One item's change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeDto {
    /// naaccrId.
    pub item: String,
    /// Value before (absent: the item was added).
    pub old: Option<String>,
    /// Value after (absent: the item was removed).
    pub new: Option<String>,
}

impl From<ItemChange> for ChangeDto {
    fn from(c: ItemChange) -> Self {
        Self {
            item: c.item,
            old: c.old,
            new: c.new,
        }
    }
}

/// One version in a record's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    /// The version this change produced.
    pub version: i64,
    /// create, update, revert or delete.
    pub action: String,
    /// When (UTC).
    pub changed_at: DateTime<Utc>,
    /// The NAACCR version after the change.
    pub dictionary_version: String,
    /// The reason given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who made the change, once users exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Each item changed, with old and new value.
    pub changes: Vec<ChangeDto>,
}

impl From<VersionEntry> for VersionDto {
    fn from(v: VersionEntry) -> Self {
        Self {
            version: v.version.0,
            action: v.action.as_str().to_owned(),
            changed_at: v.changed_at.and_utc(),
            dictionary_version: v.dictionary_version,
            reason: v.reason,
            actor: v.actor,
            changes: v.changes.into_iter().map(ChangeDto::from).collect(),
        }
    }
}

/// A record's history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDto {
    /// patient or tumor.
    pub kind: String,
    /// The record's id.
    pub id: i64,
    /// Every version, oldest first.
    pub versions: Vec<VersionDto>,
}

/// One problem of a refused patient of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportProblemDto {
    /// Stable code of the problem (the same codes as `xml validate`).
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// The item's naaccrId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naaccr_id: Option<String>,
    /// 1-based tumor position within the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor: Option<usize>,
    /// Line in the file.
    pub line: u64,
    /// Column in the file (bytes).
    pub column: u64,
}

impl From<RejectedProblem> for ImportProblemDto {
    fn from(p: RejectedProblem) -> Self {
        Self {
            code: p.code,
            message: p.message,
            naaccr_id: p.naaccr_id,
            tumor: p.tumor,
            line: p.line,
            column: p.column,
        }
    }
}

/// A refused patient of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RejectedPatientDto {
    /// 1-based position of the patient in the file.
    pub patient: usize,
    /// Line where the patient starts.
    pub line: u64,
    /// Every problem found.
    pub problems: Vec<ImportProblemDto>,
}

impl From<RejectedPatient> for RejectedPatientDto {
    fn from(r: RejectedPatient) -> Self {
        Self {
            patient: r.patient,
            line: r.line,
            problems: r.problems.into_iter().map(Into::into).collect(),
        }
    }
}

/// An import batch: a file received, how far its import got, and what was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportBatchDto {
    /// Batch id.
    pub id: i64,
    /// The file name the client gave.
    pub file_name: String,
    /// SHA-256 of the file (a file is imported once).
    pub sha256: String,
    /// Size in bytes.
    pub file_size: i64,
    /// `all` (one transaction) or `per-patient`.
    pub mode: String,
    /// `queued`, `importing`, then `imported`, `partial` (some patients refused), `rejected`
    /// (nothing written) or `failed` (a fault of the service; nothing written).
    pub status: String,
    /// The file's NAACCR version, once read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionary_version: Option<String>,
    /// Patients in the file.
    pub patients_read: i64,
    /// Patients written.
    pub patients_imported: i64,
    /// Patients refused.
    pub patients_rejected: i64,
    /// Tumors written.
    pub tumors_imported: i64,
    /// Who sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_by: Option<String>,
    /// When it was received (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When its import ended (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it failed (`failed` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The problem that stopped reading the file (then nothing was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatal: Option<ImportProblemDto>,
    /// The refused patients with their problems (left out of listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Vec<RejectedPatientDto>>,
}

impl ImportBatchDto {
    /// The batch, with its refused patients when `detailed`.
    pub fn of(b: ImportBatch, detailed: bool) -> Self {
        let r = b.row;
        Self {
            id: r.id,
            file_name: r.file_name,
            sha256: r.sha256,
            file_size: r.file_size,
            mode: r.mode,
            status: r.status,
            dictionary_version: r.dictionary_version,
            patients_read: r.patients_read,
            patients_imported: r.patients_imported,
            patients_rejected: r.patients_rejected,
            tumors_imported: r.tumors_imported,
            imported_by: r.imported_by,
            created_at: r.created_at.and_utc(),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            error: r.error,
            fatal: b.report.fatal.map(Into::into),
            rejected: detailed.then(|| b.report.rejected.into_iter().map(Into::into).collect()),
        }
    }
}

/// The result of a dry run: what an import of the file would do. Nothing was written.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRunDto {
    /// `dry-run` (the file would be imported, whole or in part) or `rejected`.
    pub status: String,
    /// Patients in the file.
    pub patients_read: u64,
    /// Patients that would be written.
    pub patients_imported: u64,
    /// Tumors that would be written.
    pub tumors_imported: u64,
    /// The file's NAACCR version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionary_version: Option<String>,
    /// The problem that stops reading the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatal: Option<ImportProblemDto>,
    /// The patients that would be refused.
    pub rejected: Vec<RejectedPatientDto>,
}

impl From<ImportOutcome> for DryRunDto {
    fn from(o: ImportOutcome) -> Self {
        Self {
            status: o.status,
            patients_read: o.patients_read,
            patients_imported: o.patients_imported,
            tumors_imported: o.tumors_imported,
            dictionary_version: o.dictionary_version,
            fatal: o.fatal.map(Into::into),
            rejected: o.rejected.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of import batches, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportBatchPage {
    /// The batches (without their refused patients: read one batch for those).
    pub items: Vec<ImportBatchDto>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// What to export as NAACCR XML; every field optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportBody {
    /// Record type: A (full abstract, default), M (modified), C (confidential), I (incidence:
    /// no confidential item).
    pub record_type: Option<String>,
    /// NAACCR version of the file (default: the newest); records validated against another
    /// version are left out and counted.
    pub dictionary_version: Option<String>,
    /// Tumors diagnosed on or after (CCYYMMDD, CCYYMM or CCYY).
    pub diagnosis_from: Option<String>,
    /// Tumors diagnosed on or before (CCYYMMDD, CCYYMM or CCYY).
    pub diagnosis_to: Option<String>,
    /// Tumors of this reporting facility.
    pub facility: Option<String>,
    /// Tumors of these ICD-O-3 primary sites, comma-separated.
    pub primary_site: Option<String>,
    /// Compress the file with gzip (default false).
    #[serde(default)]
    pub gzip: bool,
}

impl From<ExportBody> for ExportSpec {
    fn from(b: ExportBody) -> Self {
        Self {
            record_type: b.record_type,
            dictionary_version: b.dictionary_version,
            diagnosis_from: b.diagnosis_from,
            diagnosis_to: b.diagnosis_to,
            facility: b.facility,
            primary_site: b.primary_site,
            gzip: b.gzip,
        }
    }
}

/// An export job.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportJobDto {
    /// Job id.
    pub id: i64,
    /// `queued`, `running`, `done` (the file can be downloaded), `failed` or `expired`.
    pub status: String,
    /// Record type of the file.
    pub record_type: String,
    /// NAACCR version asked for (default: the newest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionary_version: Option<String>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    /// Patients written.
    pub patients: i64,
    /// Tumors written.
    pub tumors: i64,
    /// Patients left out: validated against another NAACCR version.
    pub skipped_other_version: i64,
    /// Size of the file in bytes.
    pub file_size: i64,
    /// SHA-256 of the file, to check the download.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When asked (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it ended (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the file is deleted (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where to download the file, once `done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<String>,
}

impl From<ExportJob> for ExportJobDto {
    fn from(j: ExportJob) -> Self {
        let r = j.row;
        Self {
            id: r.id,
            download: (r.status == "done").then(|| format!("/api/v1/exports/{}/file", r.id)),
            status: r.status,
            record_type: j.spec.record_type.unwrap_or_else(|| "A".into()),
            dictionary_version: j.spec.dictionary_version,
            gzip: j.spec.gzip,
            patients: r.patients,
            tumors: r.tumors,
            skipped_other_version: r.skipped_other_version,
            file_size: r.file_size,
            sha256: r.sha256,
            error: r.error,
            created_at: r.created_at.and_utc(),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            expires_at: r.expires_at.map(|t| t.and_utc()),
        }
    }
}

/// A page of export jobs, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportJobPage {
    /// The jobs.
    pub items: Vec<ExportJobDto>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}
