//! Imports of NAACCR XML files: upload (streamed to the spool, never held in memory), the
//! batch's status and report, and the list of batches.

use crate::app::imports::{ImportMode, ImportRequest};
use crate::app::jobs::{Jobs, ReceivedFile};
use crate::app::{AppError, Registry};
use crate::core::hex::lower_hex;
use crate::core::naaccr::xml::MaybeGzip;
use crate::http::HttpSettings;
use crate::http::dto::{DryRunDto, ImportBatchDto, ImportBatchPage};
use crate::http::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::http::extract::{Authorized, ReadsPatients, WritesPatients};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;

/// How to import the uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all` (default): one transaction, nothing written if any patient has a problem;
    /// `per-patient`: write the good patients and report the others.
    pub mode: Option<String>,
    /// Check the file and answer what an import would do, writing nothing (default false).
    #[serde(default)]
    pub dry_run: bool,
    /// The file's name, recorded with the batch (default `upload.xml`).
    pub file_name: Option<String>,
}

/// Content types a NAACCR XML upload may be sent as; gzip is recognised by content either way.
const UPLOAD_TYPES: [&str; 6] = [
    "application/xml",
    "text/xml",
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
    "application/naaccr+xml",
];

fn mode_of(q: &ImportQuery) -> Result<ImportMode, ApiError> {
    match q.mode.as_deref() {
        None | Some("all") => Ok(ImportMode::All),
        Some("per-patient") => Ok(ImportMode::PerPatient),
        Some(_) => Err(ApiError::from(AppError::invalid(
            crate::core::problem::Problem::new("invalid_mode", "mode must be all or per-patient")
                .for_item("mode"),
        ))),
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match ct {
        Some(ct) if UPLOAD_TYPES.contains(&ct.as_str()) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "send the file as one of: {} (gzip is recognised by content)",
                UPLOAD_TYPES.join(", ")
            ),
        )),
    }
}

/// Writes the body to a new spool file, hashing it as it goes; refuses it past `limit` bytes.
/// The partial file is deleted on any failure.
async fn receive_body(
    mut payload: web::Payload,
    jobs: &Jobs,
    file_name: String,
    limit: u64,
) -> Result<ReceivedFile, ApiError> {
    let path = jobs.spool().new_upload_path();
    let spool_error = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot write to the spool directory");
        ApiError::new(ErrorCode::InternalError, "internal error")
    };
    let mut file = tokio::fs::File::create(&path).await.map_err(spool_error)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let result = async {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(ErrorCode::InvalidBody, format!("the upload broke off: {e}"))
            })?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("the file is larger than the limit of {limit} bytes"),
                ));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(spool_error)?;
        }
        file.flush().await.map_err(spool_error)?;
        file.sync_all().await.map_err(spool_error)?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(ReceivedFile {
        path,
        file_name,
        sha256: lower_hex(&hasher.finalize()),
        size,
    })
}

/// Upload a NAACCR XML file (gzip or not) to import. The body is streamed to disk; the answer
/// comes as soon as the file is received (202, with the batch to follow in `Location`), and
/// the import runs in the background. With `dryRun=true` the file is checked at once and the
/// answer (200) says what an import would do; nothing is written.
#[utoipa::path(
    tag = "imports",
    params(ImportQuery),
    request_body(content = String, description = "The NAACCR XML file, plain or gzip", content_type = "application/xml"),
    responses(
        (status = 202, description = "Received; the import runs in the background", body = ImportBatchDto, headers(("Location" = String, description = "The batch"))),
        (status = 200, description = "Dry run: what an import would do; nothing written", body = DryRunDto),
        (status = 409, description = "The same file was imported before (already_imported; Location names the batch)", body = ErrorEnvelope),
        (status = 413, description = "Larger than the upload limit", body = ErrorEnvelope),
        (status = 415, description = "Not an XML or gzip content type", body = ErrorEnvelope),
        (status = 422, description = "Bad mode", body = ErrorEnvelope),
    )
)]
#[post("/imports")]
pub async fn create_import(
    auth: Authorized<WritesPatients>,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
    registry: web::Data<Registry>,
    jobs: web::Data<Jobs>,
    settings: web::Data<HttpSettings>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth.0;
    check_content_type(&req)?;
    let mode = mode_of(&query)?;
    let query = query.into_inner();
    let name = query.file_name.unwrap_or_else(|| "upload.xml".into());
    let file = receive_body(payload, &jobs, name, settings.max_upload_bytes).await?;
    if query.dry_run {
        let request = ImportRequest {
            file_name: file.file_name.clone(),
            sha256: file.sha256.clone(),
            mode,
            dry_run: true,
            file_size: file.size,
        };
        let path = file.path.clone();
        let input = std::fs::File::open(&path)
            .and_then(|f| MaybeGzip::detect(std::io::BufReader::with_capacity(256 * 1024, f)))
            .map_err(|e| ApiError::from(AppError::Internal(format!("spool: {e}"))));
        let outcome = match input {
            Ok(input) => registry.dry_run_import(&ctx, request, input, |_| {}).await,
            Err(e) => Err(AppError::Internal(e.message)),
        };
        let _ = tokio::fs::remove_file(&path).await;
        return Ok(HttpResponse::Ok().json(DryRunDto::from(outcome?)));
    }
    let batch = jobs.start_import(&ctx, file, mode).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/imports/{}", batch.row.id)))
        .json(ImportBatchDto::of(batch, false)))
}

/// One import batch: status, counts, the fatal problem and every refused patient. Central
/// staff see every batch; a registrar the batches they sent.
#[utoipa::path(
    tag = "imports",
    params(("id" = i64, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The batch", body = ImportBatchDto),
        (status = 404, description = "No such batch (or not yours)", body = ErrorEnvelope),
    )
)]
#[get("/imports/{id}")]
pub async fn find_import(
    auth: Authorized<ReadsPatients>,
    id: web::Path<i64>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let batch = registry.find_import(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ImportBatchDto::of(batch, true)))
}

/// Paging of job listings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobPageQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `nextBefore` of the previous page (newest first).
    pub before: Option<i64>,
}

/// Import batches, newest first: every batch for central staff, their own for a registrar.
#[utoipa::path(
    tag = "imports",
    params(JobPageQuery),
    responses(
        (status = 200, description = "A page of batches", body = ImportBatchPage),
        (status = 422, description = "Bad page size", body = ErrorEnvelope),
    )
)]
#[get("/imports")]
pub async fn list_imports(
    auth: Authorized<ReadsPatients>,
    query: web::Query<JobPageQuery>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(super::patients::DEFAULT_PAGE);
    let batches = registry.list_imports(&auth.0, query.before, limit).await?;
    let next_before = (batches.len() as i64 == limit)
        .then(|| batches.last().map(|b| b.row.id))
        .flatten();
    Ok(HttpResponse::Ok().json(ImportBatchPage {
        items: batches
            .into_iter()
            .map(|b| ImportBatchDto::of(b, false))
            .collect(),
        next_before,
    }))
}
