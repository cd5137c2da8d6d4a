//! Tumors: read, change, list, history, revert, delete. (Creation is under the patient.)

use super::patients::{DEFAULT_PAGE, ListQuery};
use crate::app::Registry;
use crate::app::abstracts::Patch;
use crate::app::abstracts::Saved;
use crate::core::abstracts::{EntityKind, RowVersion, TumorId, TumorRecord, etag};
use crate::http::dto::{
    DeleteBody, EditConfirmationDto, HistoryDto, PatchBody, RevertBody, TumorDto, TumorPage,
};
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::{Authorized, IfMatch, ReadsPatients, WritesPatients};
use actix_web::{HttpResponse, delete, get, patch, post, web};

fn tumor_response(t: TumorRecord) -> HttpResponse {
    saved_tumor_response(Saved {
        record: t,
        edits: None,
    })
}

fn saved_tumor_response(t: Saved<TumorRecord>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "ETag",
            etag(EntityKind::Tumor, t.record.id.0, t.record.version),
        ))
        .json(TumorDto::from(t))
}

/// Read a tumor.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id")),
    responses(
        (status = 200, description = "The tumor", body = TumorDto, headers(("ETag" = String))),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
    )
)]
#[get("/tumors/{id}")]
pub async fn find_tumor(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(tumor_response(
        registry
            .get_tumor(&caller.0, TumorId(id.into_inner()))
            .await?,
    ))
}

/// Change a tumor's items (merge patch); needs If-Match.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "Changed", body = TumorDto, headers(("ETag" = String))),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
        (status = 409, description = "Tumor is deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "Invalid items", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[patch("/tumors/{id}")]
pub async fn update_tumor(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Tumor, id)?;
    let body = body.into_inner();
    let items = body
        .items
        .into_inputs("tumor")
        .map_err(ApiError::validation)?;
    let t = registry
        .update_tumor(
            &caller.0,
            TumorId(id),
            expected,
            Patch {
                dictionary_version: body.dictionary_version,
                items,
            },
        )
        .await?;
    Ok(saved_tumor_response(t))
}

/// Soft-delete a tumor with a reason; needs If-Match. The record and its history are kept.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = DeleteBody,
    responses(
        (status = 200, description = "Deleted (tombstone set)", body = TumorDto),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
        (status = 409, description = "Already deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "Missing or invalid reason", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[delete("/tumors/{id}")]
pub async fn delete_tumor(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<DeleteBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Tumor, id)?;
    let t = registry
        .delete_tumor(&caller.0, TumorId(id), expected, body.into_inner().reason)
        .await?;
    Ok(tumor_response(t))
}

/// List live tumors, filtered, in id order.
#[utoipa::path(
    tag = "tumors",
    params(ListQuery),
    responses(
        (status = 200, description = "One page", body = TumorPage),
        (status = 400, description = "Malformed query", body = ErrorEnvelope),
        (status = 422, description = "Invalid filter or page size", body = ErrorEnvelope),
    )
)]
#[get("/tumors")]
pub async fn list_tumors(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = registry
        .list_tumors(
            &caller.0,
            query.filter_input(),
            query.after.map(TumorId),
            query.limit.unwrap_or(DEFAULT_PAGE),
        )
        .await?;
    Ok(HttpResponse::Ok().json(TumorPage::from(page)))
}

/// A tumor's history: every version with the old and new value of each item changed.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id")),
    responses(
        (status = 200, description = "Oldest first", body = HistoryDto),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
    )
)]
#[get("/tumors/{id}/history")]
pub async fn list_tumor_history(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let versions = registry.history(&caller.0, EntityKind::Tumor, id).await?;
    Ok(HttpResponse::Ok().json(HistoryDto {
        kind: "tumor".into(),
        id,
        versions: versions.into_iter().map(Into::into).collect(),
    }))
}

/// Set a tumor back to the items of an earlier version (itself a new version); needs If-Match.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the last read")),
    request_body = RevertBody,
    responses(
        (status = 200, description = "Reverted", body = TumorDto, headers(("ETag" = String))),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
        (status = 409, description = "Tumor is deleted", body = ErrorEnvelope),
        (status = 412, description = "Stale ETag", body = ErrorEnvelope),
        (status = 422, description = "No such version", body = ErrorEnvelope),
        (status = 428, description = "If-Match missing", body = ErrorEnvelope),
    )
)]
#[post("/tumors/{id}/revert")]
pub async fn revert_tumor(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<RevertBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match.version_for(EntityKind::Tumor, id)?;
    let t = registry
        .revert_tumor(&caller.0, TumorId(id), expected, RowVersion(body.version))
        .await?;
    Ok(tumor_response(t))
}

/// A confirmation of an edit's failure on a tumor.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmEditBody {
    /// The edit's id (one listed with `confirmable: true` by `GET /edits`).
    pub edit: String,
    /// Why the combination is right (what was reviewed), up to 2,000 characters.
    pub reason: String,
}

/// Which confirmations to list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConfirmationQuery {
    /// Withdrawn confirmations too (default: only those in force).
    #[serde(default)]
    pub all: bool,
}

/// Confirm that an edit's failure on this tumor is right (IARC's rare combinations, which no
/// over-ride item covers): the edit is then reported as overridden, with who confirmed it and
/// why. Confirming again replaces the reason (the old confirmation is kept, withdrawn).
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id")),
    request_body = ConfirmEditBody,
    responses(
        (status = 201, description = "Confirmed", body = EditConfirmationDto),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
        (status = 422, description = "Edit not confirmable, or reason blank or too long", body = ErrorEnvelope),
    )
)]
#[post("/tumors/{id}/edit-confirmations")]
pub async fn confirm_edit(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    body: web::Json<ConfirmEditBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let row = registry
        .confirm_edit(&caller.0, TumorId(id.into_inner()), body.edit, body.reason)
        .await?;
    Ok(HttpResponse::Created().json(EditConfirmationDto::from(row)))
}

/// The edit confirmations of a tumor, oldest first.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id"), ConfirmationQuery),
    responses(
        (status = 200, description = "The confirmations", body = Vec<EditConfirmationDto>),
        (status = 404, description = "No such tumor", body = ErrorEnvelope),
    )
)]
#[get("/tumors/{id}/edit-confirmations")]
pub async fn list_edit_confirmations(
    caller: Authorized<ReadsPatients>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    query: web::Query<ConfirmationQuery>,
) -> Result<HttpResponse, ApiError> {
    let rows = registry
        .edit_confirmations(&caller.0, TumorId(id.into_inner()), query.all)
        .await?;
    let dtos: Vec<EditConfirmationDto> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

/// Withdraw the confirmation of an edit on a tumor (kept in the list, stamped withdrawn): the
/// edit fails again there.
#[utoipa::path(
    tag = "tumors",
    params(("id" = i64, Path, description = "Tumor id"), ("edit" = String, Path, description = "Edit id")),
    responses(
        (status = 200, description = "Withdrawn", body = EditConfirmationDto),
        (status = 404, description = "No such tumor, or no confirmation in force", body = ErrorEnvelope),
    )
)]
#[delete("/tumors/{id}/edit-confirmations/{edit}")]
pub async fn withdraw_edit_confirmation(
    caller: Authorized<WritesPatients>,
    registry: web::Data<Registry>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, edit) = path.into_inner();
    let row = registry
        .withdraw_edit_confirmation(&caller.0, TumorId(id), edit)
        .await?;
    Ok(HttpResponse::Ok().json(EditConfirmationDto::from(row)))
}
