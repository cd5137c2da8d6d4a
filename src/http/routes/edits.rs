//! The edits in service, and the registry's own edits: written, tried on the stored abstracts,
//! activated and retired by central staff, every version kept.

use crate::app::Registry;
use crate::app::custom_edits::{CustomEdit, CustomEditDefinition, TestRun};
use crate::core::edits::lang::EditLevel;
use crate::http::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::http::extract::{Authorized, ManagesEdits, ReadsDictionaries, ReadsPatients};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which edits to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EditListQuery {
    /// Only the edits of this set.
    pub set: Option<String>,
    /// NAACCR version (default: the newest).
    pub dictionary_version: Option<String>,
}

/// An edit in service.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditInfoDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `tumor` or `patient`.
    pub level: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The items it concerns.
    pub items: Vec<String>,
    /// The sets it is in.
    pub sets: Vec<String>,
    /// A failure may be confirmed for one tumor with a reason
    /// (`POST /tumors/{id}/edit-confirmations`); it is then reported as overridden.
    pub confirmable: bool,
}

/// List the edits in service (built-in and the registry's active ones), in the order they
/// run; the single-field validity checks of every item (`valid:<naaccrId>`) are not listed.
#[utoipa::path(
    tag = "edits",
    params(EditListQuery),
    responses(
        (status = 200, description = "The edits", body = Vec<EditInfoDto>),
        (status = 422, description = "No such set or version", body = ErrorEnvelope),
    )
)]
#[get("/edits")]
pub async fn list_edits(
    _auth: Authorized<ReadsDictionaries>,
    query: web::Query<EditListQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let edits = registry.list_edits(query.set.as_deref(), query.dictionary_version.as_deref())?;
    let dtos: Vec<EditInfoDto> = edits
        .into_iter()
        .map(|e| EditInfoDto {
            id: e.id,
            name: e.name,
            level: match e.level {
                EditLevel::Tumor => "tumor".into(),
                EditLevel::Patient => "patient".into(),
            },
            severity: e.severity.as_str().into(),
            items: e.items,
            sets: e.sets,
            confirmable: e.confirmable,
        })
        .collect();
    Ok(HttpResponse::Ok().json(dtos))
}

/// A new version of a custom edit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomEditBody {
    /// The edit, with the fields of an edit file's `[[edit]]`: `id`, `name`, `tag`, `agency`,
    /// `source`, `level` (tumor or patient), `severity` (error or warning), `sets`, `depends`,
    /// `overrides` ([{item, values}]), `skip`, `condition`, `message`, `items`, `tests`
    /// ([{expect, patient, tumors, message}]).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// Why this version is written.
    pub note: Option<String>,
}

/// One version of a custom edit.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomEditDto {
    /// The edit's id.
    pub edit_id: String,
    /// Version (1, 2, ...).
    pub version: i64,
    /// `draft`, `active`, `superseded` or `retired`.
    pub status: String,
    /// The definition.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// Why it was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was activated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// When it was retired or superseded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<CustomEdit> for CustomEditDto {
    fn from(c: CustomEdit) -> Self {
        Self {
            edit_id: c.row.edit_id,
            version: c.row.version,
            status: c.row.status,
            definition: serde_json::to_value(&c.definition).unwrap_or_default(),
            note: c.row.note,
            created_by: c.row.created_by,
            created_at: c.row.created_at.and_utc(),
            activated_at: c.row.activated_at.map(|t| t.and_utc()),
            retired_at: c.row.retired_at.map(|t| t.and_utc()),
        }
    }
}

/// Write a custom edit, or a new version of one (a draft). It must compile with every other
/// edit (errors name the field, line and column) and pass its own examples.
#[utoipa::path(
    tag = "edits",
    request_body = CustomEditBody,
    responses(
        (status = 201, description = "The new draft version", body = CustomEditDto),
        (status = 400, description = "The definition is not of the expected shape", body = ErrorEnvelope),
        (status = 422, description = "It does not compile, or fails its examples; nothing written", body = ErrorEnvelope),
    )
)]
#[post("/custom-edits")]
pub async fn create_custom_edit(
    auth: Authorized<ManagesEdits>,
    body: web::Json<CustomEditBody>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let definition: CustomEditDefinition = serde_json::from_value(body.definition)
        .map_err(|e| ApiError::new(ErrorCode::InvalidBody, format!("definition: {e}")))?;
    let saved = registry
        .save_custom_edit(&auth.0, definition, body.note)
        .await?;
    Ok(HttpResponse::Created().json(CustomEditDto::from(saved)))
}

/// The latest version of every custom edit.
#[utoipa::path(
    tag = "edits",
    responses((status = 200, description = "The custom edits", body = Vec<CustomEditDto>))
)]
#[get("/custom-edits")]
pub async fn list_custom_edits(
    auth: Authorized<ManagesEdits>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let list = registry.list_custom_edits(&auth.0).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(CustomEditDto::from)
            .collect::<Vec<_>>(),
    ))
}

/// Every version of one custom edit, oldest first.
#[utoipa::path(
    tag = "edits",
    params(("editId" = String, Path, description = "The edit's id")),
    responses(
        (status = 200, description = "Its versions", body = Vec<CustomEditDto>),
        (status = 404, description = "No such custom edit", body = ErrorEnvelope),
    )
)]
#[get("/custom-edits/{editId}")]
pub async fn find_custom_edit(
    auth: Authorized<ManagesEdits>,
    edit_id: web::Path<String>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let versions = registry
        .custom_edit_versions(&auth.0, edit_id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(
        versions
            .into_iter()
            .map(CustomEditDto::from)
            .collect::<Vec<_>>(),
    ))
}

/// How many failures to return from a test run.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TestRunQuery {
    /// The first failures to return, 1 to 500 (default 50).
    pub limit: Option<i64>,
}

/// One failure of a test run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestRunFailureDto {
    /// The patient.
    pub patient_id: i64,
    /// The tumor, for a tumor-level edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor_id: Option<i64>,
    /// The message.
    pub message: String,
}

/// What a version of a custom edit finds in the stored abstracts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestRunDto {
    /// Patients checked (those you may see).
    pub patients: u64,
    /// Records the edit ran on.
    pub checked: u64,
    /// Records that fail it.
    pub failed: u64,
    /// Records skipped, over-ridden, or kept from it by a failed dependency.
    pub skipped: u64,
    /// The first failures.
    pub failures: Vec<TestRunFailureDto>,
}

impl From<TestRun> for TestRunDto {
    fn from(r: TestRun) -> Self {
        Self {
            patients: r.patients,
            checked: r.checked,
            failed: r.failed,
            skipped: r.skipped,
            failures: r
                .failures
                .into_iter()
                .map(|f| TestRunFailureDto {
                    patient_id: f.patient.0,
                    tumor_id: f.tumor.map(|t| t.0),
                    message: f.message,
                })
                .collect(),
        }
    }
}

/// Try a version of a custom edit on the stored abstracts you may see, before activating it.
/// Nothing is written.
#[utoipa::path(
    tag = "edits",
    params(("editId" = String, Path, description = "The edit's id"), ("version" = i64, Path, description = "The version"), TestRunQuery),
    responses(
        (status = 200, description = "What it finds", body = TestRunDto),
        (status = 404, description = "No such version", body = ErrorEnvelope),
    )
)]
#[post("/custom-edits/{editId}/versions/{version}/test")]
pub async fn test_custom_edit(
    auth: Authorized<ManagesEdits>,
    path: web::Path<(String, i64)>,
    query: web::Query<TestRunQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let (edit_id, version) = path.into_inner();
    let run = registry
        .test_run_custom_edit(&auth.0, edit_id, version, query.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(TestRunDto::from(run)))
}

/// Activate a version: the whole edit set is compiled with it first; when that fails nothing
/// changes and the edits in service stay as they were.
#[utoipa::path(
    tag = "edits",
    params(("editId" = String, Path, description = "The edit's id"), ("version" = i64, Path, description = "The version")),
    responses(
        (status = 200, description = "Active", body = CustomEditDto),
        (status = 404, description = "No such version", body = ErrorEnvelope),
        (status = 422, description = "The edit set does not compile with it; nothing changed", body = ErrorEnvelope),
    )
)]
#[post("/custom-edits/{editId}/versions/{version}/activate")]
pub async fn activate_custom_edit(
    auth: Authorized<ManagesEdits>,
    path: web::Path<(String, i64)>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let (edit_id, version) = path.into_inner();
    let edit = registry
        .activate_custom_edit(&auth.0, edit_id, version)
        .await?;
    Ok(HttpResponse::Ok().json(CustomEditDto::from(edit)))
}

/// Retire a custom edit (its active version); refused when another edit depends on it.
#[utoipa::path(
    tag = "edits",
    params(("editId" = String, Path, description = "The edit's id")),
    responses(
        (status = 200, description = "Retired", body = CustomEditDto),
        (status = 404, description = "No active version", body = ErrorEnvelope),
        (status = 422, description = "Another edit depends on it; nothing changed", body = ErrorEnvelope),
    )
)]
#[post("/custom-edits/{editId}/retire")]
pub async fn retire_custom_edit(
    auth: Authorized<ManagesEdits>,
    edit_id: web::Path<String>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let edit = registry
        .retire_custom_edit(&auth.0, edit_id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(CustomEditDto::from(edit)))
}

/// Which edit set a run checks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditRunBody {
    /// abstracting, hospital-submission, central-submission or iarc.
    pub set: String,
}

/// A run of an edit set over the stored abstracts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditRunDto {
    /// Run id.
    pub id: i64,
    /// The edit set.
    pub set: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Who asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Started (UTC).
    pub created_at: DateTime<Utc>,
    /// Ended (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Failures by edit, most first (reading one run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_edit: Option<Vec<EditCountDto>>,
}

/// Failures of one edit in a run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditCountDto {
    /// The edit's id.
    pub edit: String,
    /// `error` or `warning`.
    pub severity: String,
    /// Failures.
    pub failures: i64,
}

impl From<crate::store::edit_runs::EditRunRow> for EditRunDto {
    fn from(r: crate::store::edit_runs::EditRunRow) -> Self {
        Self {
            id: r.id,
            set: r.set_name,
            status: r.status,
            requested_by: r.requested_by,
            patients: r.patients,
            tumors: r.tumors,
            checks: r.checks,
            failures: r.failures,
            errors: r.errors,
            error: r.error,
            created_at: r.created_at.and_utc(),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            by_edit: None,
        }
    }
}

/// Run an edit set over every stored abstract you may see, in the background; follow
/// `Location` for its counts, then page through its failures.
#[utoipa::path(
    tag = "edits",
    request_body = EditRunBody,
    responses(
        (status = 202, description = "Started", body = EditRunDto, headers(("Location" = String, description = "The run"))),
        (status = 422, description = "No such set", body = ErrorEnvelope),
    )
)]
#[post("/edit-runs")]
pub async fn create_edit_run(
    auth: Authorized<ReadsPatients>,
    body: web::Json<EditRunBody>,
    jobs: web::Data<crate::app::jobs::Jobs>,
) -> Result<HttpResponse, ApiError> {
    let run = jobs.start_edit_run(&auth.0, body.into_inner().set).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/edit-runs/{}", run.id)))
        .json(EditRunDto::from(run)))
}

/// Edit runs, newest first: every run for central staff, their own for a registrar.
#[utoipa::path(
    tag = "edits",
    params(TestRunQuery),
    responses((status = 200, description = "The runs", body = Vec<EditRunDto>))
)]
#[get("/edit-runs")]
pub async fn list_edit_runs(
    auth: Authorized<ReadsPatients>,
    query: web::Query<TestRunQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let runs = registry
        .list_edit_runs(&auth.0, query.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(runs.into_iter().map(EditRunDto::from).collect::<Vec<_>>()))
}

/// One edit run with its failures counted by edit.
#[utoipa::path(
    tag = "edits",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run", body = EditRunDto),
        (status = 404, description = "No such run (or not yours)", body = ErrorEnvelope),
    )
)]
#[get("/edit-runs/{id}")]
pub async fn find_edit_run(
    auth: Authorized<ReadsPatients>,
    id: web::Path<i64>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let run = registry.find_edit_run(&auth.0, id.into_inner()).await?;
    let mut dto = EditRunDto::from(run.row);
    dto.by_edit = Some(
        run.by_edit
            .into_iter()
            .map(|(edit, severity, failures)| EditCountDto {
                edit,
                severity,
                failures,
            })
            .collect(),
    );
    Ok(HttpResponse::Ok().json(dto))
}

/// Which failures of a run to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FailurePageQuery {
    /// Only this edit's failures.
    pub edit: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `nextAfter` of the previous page.
    pub after: Option<i64>,
}

/// One failure found by a run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditRunFailureDto {
    /// The patient.
    pub patient_id: i64,
    /// The tumor, for a tumor-level edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor_id: Option<i64>,
    /// The edit's id.
    pub edit: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// The items concerned.
    pub items: Vec<String>,
}

/// A page of failures.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditRunFailurePage {
    /// The failures, in the order found.
    pub items: Vec<EditRunFailureDto>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

/// The failures an edit run found, page by page.
#[utoipa::path(
    tag = "edits",
    params(("id" = i64, Path, description = "Run id"), FailurePageQuery),
    responses(
        (status = 200, description = "A page of failures", body = EditRunFailurePage),
        (status = 404, description = "No such run (or not yours)", body = ErrorEnvelope),
    )
)]
#[get("/edit-runs/{id}/failures")]
pub async fn list_edit_run_failures(
    auth: Authorized<ReadsPatients>,
    id: web::Path<i64>,
    query: web::Query<FailurePageQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    let rows = registry
        .edit_run_failures(
            &auth.0,
            id.into_inner(),
            q.edit,
            q.after.unwrap_or(0),
            limit,
        )
        .await?;
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(HttpResponse::Ok().json(EditRunFailurePage {
        items: rows
            .into_iter()
            .map(|r| EditRunFailureDto {
                patient_id: r.patient_id,
                tumor_id: r.tumor_id,
                edit: r.edit,
                severity: r.severity,
                message: r.message,
                items: r
                    .items
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
            .collect(),
        next_after,
    }))
}
