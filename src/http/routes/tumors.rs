//! Tumors: read, change, list, history, revert, delete. (Creation is under the patient.)

use super::patients::{DEFAULT_PAGE, ListQuery};
use crate::app::Registry;
use crate::app::abstracts::Patch;
use crate::app::abstracts::Saved;
use crate::core::abstracts::{EntityKind, RowVersion, TumorId, TumorRecord, etag};
use crate::http::dto::{DeleteBody, HistoryDto, PatchBody, RevertBody, TumorDto, TumorPage};
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
