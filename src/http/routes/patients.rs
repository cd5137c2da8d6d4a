//! Patients: create, read, change, list, search, history, revert, delete.

use crate::app::Registry;
use crate::app::abstracts::{NewPatient, Patch};
use crate::app::search::{FilterInput, PersonInput};
use crate::core::abstracts::{EntityKind, PatientId, RowVersion, etag};
use crate::http::dto::{
    DeleteBody, EditReportDto, HistoryDto, NewPatientBody, NewTumorBody, PatchBody, PatientDto,
    PatientPage, PersonSearchBody, PersonSearchResult, RevertBody, TumorDto,
};
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::{Authorized, IfMatch, ReadsPatients, WritesPatients};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

/// Default page size of listings.
pub(crate) const DEFAULT_PAGE: i64 = 50;

/// Filters and paging of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// ICD-O-3 topography codes, comma-separated (C500,C509): tumors of any of these sites.
    pub primary_site: Option<String>,
    /// Diagnosed on or after (CCYYMMDD; CCYY and CCYYMM accepted).
    pub diagnosis_from: Option<String>,
    /// Diagnosed on or before (CCYYMMDD; CCYY and CCYYMM accepted).
    pub diagnosis_to: Option<String>,
    /// Reporting facility code.
    pub facility: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `nextAfter` of the previous page.
    pub after: Option<i64>,
}

impl ListQuery {
    /// The filter part as typed.
    pub fn filter_input(&self) -> FilterInput {
        FilterInput {
            primary_site: self.primary_site.clone(),
            diagnosis_from: self.diagnosis_from.clone(),
            diagnosis_to: self.diagnosis_to.clone(),
            facility: self.facility.clone(),
        }
    }
}

/// Whether soft-deleted tumors are shown.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShowQuery {
    /// Include soft-deleted tumors (default false).
    #[serde(default)]
    pub include_deleted: bool,
}

pub(crate) fn patient_response(
    status: actix_web::http::StatusCode,
    dto: PatientDto,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", dto.etag.clone()))
        .json(dto)
}

/// Create a patient, with any number of tumors, in one transaction.
#[utoipa::path(
    tag = "patients",
    request_body = NewPatientBody,
    responses(
        (status = 201, description = "Created", body = PatientDto, headers(("ETag" = String, description = "Version of the patient"))),
        (status = 400, description = "Malformed JSON or wrong shape", body = ErrorEnvelope),
        (status = 413, description = "Body too large", body = ErrorEnvelope),
        (status = 415, description = "Not application/json", body = ErrorEnvelope),
        (status = 422, description = "Invalid items; nothing written", body = ErrorEnvelope),
    )
)]
#[post("/patients")]
pub async fn create_patient(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    body: web::Json<NewPatientBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut problems = Vec::new();
    let items = body.items.into_inputs("patient").unwrap_or_else(|p| {
        problems.extend(p);
        Vec::new()
    });
    let mut tumors = Vec::with_capacity(body.tumors.len());
    for (i, t) in body.tumors.into_iter().enumerate() {
        match t.items.into_inputs(&format!("tumors[{i}]")) {
            Ok(items) => tumors.push(items),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let created = registry
        .create_patient(
            &caller.0,
            NewPatient {
                dictionary_version: body.dictionary_version,
                items,
                tumors,
            },
        )
        .await?;
    Ok(patient_response(
        actix_web::http::StatusCode::CREATED,
        created.into(),
    ))
}

/// Read a patient with its tumors.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id"), ShowQuery),
    responses(
        (status = 200, description = "The patient", body = PatientDto, headers(("ETag" = String))),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
    )
)]
#[get("/patients/{id}")]
pub async fn find_patient(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    show: web::Query<ShowQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = registry
        .get_patient(&caller.0, PatientId(id.into_inner()), show.include_deleted)
        .await?;
    Ok(patient_response(actix_web::http::StatusCode::OK, p.into()))
}

/// Change a patient's items (merge patch); needs If-Match.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "Changed (or unchanged when the patch changes nothing)", body = PatientDto, headers(("ETag" = String))),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
        (status = 409, description = "Patient is deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "Invalid items", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[patch("/patients/{id}")]
pub async fn update_patient(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Patient, id)?;
    let body = body.into_inner();
    let items = body
        .items
        .into_inputs("patient")
        .map_err(ApiError::validation)?;
    let p = registry
        .update_patient(
            &caller.0,
            PatientId(id),
            expected,
            Patch {
                dictionary_version: body.dictionary_version,
                items,
            },
        )
        .await?;
    Ok(patient_response(
        actix_web::http::StatusCode::OK,
        PatientDto::from(p),
    ))
}

/// Soft-delete a patient with a reason; needs If-Match. The record and its history are kept.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = DeleteBody,
    responses(
        (status = 200, description = "Deleted (tombstone set)", body = PatientDto),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
        (status = 409, description = "Already deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "Missing or invalid reason", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[delete("/patients/{id}")]
pub async fn delete_patient(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<DeleteBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Patient, id)?;
    let p = registry
        .delete_patient(&caller.0, PatientId(id), expected, body.into_inner().reason)
        .await?;
    Ok(patient_response(
        actix_web::http::StatusCode::OK,
        PatientDto::new(p, None),
    ))
}

/// List live patients (with their live tumors), filtered by their tumors, in id order.
#[utoipa::path(
    tag = "patients",
    params(ListQuery),
    responses(
        (status = 200, description = "One page", body = PatientPage),
        (status = 400, description = "Malformed query", body = ErrorEnvelope),
        (status = 422, description = "Invalid filter or page size", body = ErrorEnvelope),
    )
)]
#[get("/patients")]
pub async fn list_patients(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = registry
        .list_patients(
            &caller.0,
            query.filter_input(),
            query.after.map(PatientId),
            query.limit.unwrap_or(DEFAULT_PAGE),
        )
        .await?;
    Ok(HttpResponse::Ok().json(PatientPage::from(page)))
}

/// Find people by name and birth date. Sent as a POST body so that no patient identifier
/// appears in a URL (URLs end up in logs and browser histories).
#[utoipa::path(
    tag = "patients",
    request_body = PersonSearchBody,
    responses(
        (status = 200, description = "Matching patients", body = PersonSearchResult),
        (status = 422, description = "No or invalid criteria", body = ErrorEnvelope),
    )
)]
#[post("/patients/search")]
pub async fn search_patients(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    body: web::Json<PersonSearchBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = PersonInput {
        name_last: body.name_last,
        name_first: body.name_first,
        date_of_birth: body.date_of_birth,
        patient_id_number: body.patient_id_number,
    };
    let found = registry
        .search_people(&caller.0, input, body.limit.unwrap_or(DEFAULT_PAGE))
        .await?;
    Ok(HttpResponse::Ok().json(PersonSearchResult {
        items: found.into_iter().map(PatientDto::from).collect(),
    }))
}

/// A patient's history: every version with the old and new value of each item changed.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Oldest first", body = HistoryDto),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
    )
)]
#[get("/patients/{id}/history")]
pub async fn list_patient_history(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let versions = registry.history(&caller.0, EntityKind::Patient, id).await?;
    Ok(HttpResponse::Ok().json(HistoryDto {
        kind: "patient".into(),
        id,
        versions: versions.into_iter().map(Into::into).collect(),
    }))
}

/// Set a patient back to the items of an earlier version (itself a new version); needs If-Match.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = RevertBody,
    responses(
        (status = 200, description = "Reverted", body = PatientDto, headers(("ETag" = String))),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
        (status = 409, description = "Patient is deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "No such version", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[post("/patients/{id}/revert")]
pub async fn revert_patient(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<RevertBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Patient, id)?;
    let p = registry
        .revert_patient(&caller.0, PatientId(id), expected, RowVersion(body.version))
        .await?;
    Ok(patient_response(
        actix_web::http::StatusCode::OK,
        PatientDto::new(p, None),
    ))
}

/// Add a tumor to a patient.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = NewTumorBody,
    responses(
        (status = 201, description = "Created", body = TumorDto, headers(("ETag" = String))),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
        (status = 409, description = "Patient is deleted", body = ErrorEnvelope),
        (status = 422, description = "Invalid items", body = ErrorEnvelope),
    )
)]
#[post("/patients/{id}/tumors")]
pub async fn create_tumor(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    body: web::Json<NewTumorBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let items = body
        .items
        .into_inputs("tumor")
        .map_err(ApiError::validation)?;
    let t = registry
        .create_tumor(
            &caller.0,
            PatientId(id.into_inner()),
            body.dictionary_version,
            items,
        )
        .await?;
    let tag = etag(EntityKind::Tumor, t.record.id.0, t.record.version);
    Ok(HttpResponse::Created()
        .insert_header(("ETag", tag))
        .json(TumorDto::from(t)))
}

/// Which edit set to run.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EditSetQuery {
    /// abstracting, hospital-submission, central-submission or iarc (default: the set run on
    /// save).
    pub set: Option<String>,
}

/// Run an edit set over a patient with its tumors (those you may see) and answer what fails.
/// Nothing is written.
#[utoipa::path(
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id"), EditSetQuery),
    responses(
        (status = 200, description = "The failures (none: the abstract passes)", body = EditReportDto),
        (status = 404, description = "No such patient", body = ErrorEnvelope),
        (status = 422, description = "No such edit set", body = ErrorEnvelope),
    )
)]
#[post("/patients/{id}/edits")]
pub async fn check_patient_edits(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    query: web::Query<EditSetQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = registry
        .check_patient_edits(
            &caller.0,
            PatientId(id.into_inner()),
            query.into_inner().set,
        )
        .await?;
    Ok(HttpResponse::Ok().json(EditReportDto::from(report)))
}
