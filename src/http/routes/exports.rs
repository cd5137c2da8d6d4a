//! Exports as NAACCR XML: asked for, written in the background, downloaded by whoever asked.

use super::imports::JobPageQuery;
use crate::app::Registry;
use crate::app::jobs::Jobs;
use crate::http::dto::{ExportBody, ExportJobDto, ExportJobPage};
use crate::http::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::http::extract::{Authorized, ReadsPatients};
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// Ask for an export of the abstracts you may see as NAACCR XML. The file is written in the
/// background (202); follow `Location` until the job is `done`, then download it from
/// `/api/v1/exports/{id}/file`. Only you can read the job or download its file, until it expires.
#[utoipa::path(
    tag = "exports",
    request_body = ExportBody,
    responses(
        (status = 202, description = "Accepted; the file is being written", body = ExportJobDto, headers(("Location" = String, description = "The job"))),
        (status = 422, description = "Bad record type, version, date or site; no job recorded", body = ErrorEnvelope),
    )
)]
#[post("/exports")]
pub async fn create_export(
    auth: Authorized<ReadsPatients>,
    body: web::Json<ExportBody>,
    jobs: web::Data<Jobs>,
) -> Result<HttpResponse, ApiError> {
    let job = jobs.start_export(&auth.0, body.into_inner().into()).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/exports/{}", job.row.id)))
        .json(ExportJobDto::from(job)))
}

/// One of your export jobs: status, counts, and where to download the file once `done`.
#[utoipa::path(
    tag = "exports",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = ExportJobDto),
        (status = 404, description = "No such job (or not yours)", body = ErrorEnvelope),
    )
)]
#[get("/exports/{id}")]
pub async fn find_export(
    auth: Authorized<ReadsPatients>,
    id: web::Path<i64>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let job = registry.find_export(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ExportJobDto::from(job)))
}

/// Your export jobs, newest first.
#[utoipa::path(
    tag = "exports",
    params(JobPageQuery),
    responses(
        (status = 200, description = "A page of jobs", body = ExportJobPage),
        (status = 422, description = "Bad page size", body = ErrorEnvelope),
    )
)]
#[get("/exports")]
pub async fn list_exports(
    auth: Authorized<ReadsPatients>,
    query: web::Query<JobPageQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(super::patients::DEFAULT_PAGE);
    let jobs = registry.list_exports(&auth.0, query.before, limit).await?;
    let next_before = (jobs.len() as i64 == limit)
        .then(|| jobs.last().map(|j| j.row.id))
        .flatten();
    Ok(HttpResponse::Ok().json(ExportJobPage {
        items: jobs.into_iter().map(ExportJobDto::from).collect(),
        next_before,
    }))
}

/// Download the file of one of your finished exports (`application/xml`, or `application/gzip`
/// when asked compressed). Ranges are honoured, so a broken download can resume.
#[utoipa::path(
    tag = "exports",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The NAACCR XML file", content_type = "application/xml", body = String, headers(("X-Content-SHA256" = String, description = "SHA-256 of the file"))),
        (status = 404, description = "No such job (or not yours)", body = ErrorEnvelope),
        (status = 409, description = "Not done yet, failed or expired (export_not_ready)", body = ErrorEnvelope),
    )
)]
#[get("/exports/{id}/file")]
pub async fn download_export(
    auth: Authorized<ReadsPatients>,
    req: HttpRequest,
    id: web::Path<i64>,
    jobs: web::Data<Jobs>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (path, job) = jobs.export_download(&auth.0, id).await?;
    let file = actix_files::NamedFile::open_async(&path)
        .await
        .map_err(|e| {
            tracing::error!(export = id, error = %e, "export file missing from the spool");
            ApiError::new(ErrorCode::InternalError, "internal error")
        })?;
    let (name, mime) = if job.spec.gzip {
        (format!("export-{id}.xml.gz"), "application/gzip")
    } else {
        (format!("export-{id}.xml"), "application/xml")
    };
    let mime: actix_web::mime::Mime = mime
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::InternalError, "internal error"))?;
    let mut res = file
        .set_content_type(mime)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .use_etag(false)
        .use_last_modified(false)
        .into_response(&req);
    if let Some(sha) = job.row.sha256
        && let Ok(v) = actix_web::http::header::HeaderValue::from_str(&sha)
    {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-content-sha256"),
            v,
        );
    }
    Ok(res)
}
