//! Health and the OpenAPI document.

use crate::app::Registry;
use crate::http::error::{ApiError, ErrorEnvelope};
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// Whether the service and its database answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// "ok".
    pub status: &'static str,
    /// "ok" when the database answered a query.
    pub database: &'static str,
    /// PostgreSQL or SQLite.
    pub backend: &'static str,
}

/// Health check: answers 200 when the database answers a query, 503 when it does not.
#[utoipa::path(
    tag = "system",
    security(()),
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database does not answer", body = ErrorEnvelope),
    )
)]
#[get("/health")]
pub async fn check_health(registry: web::Data<Registry>) -> Result<HttpResponse, ApiError> {
    registry.check_health().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: "ok",
        backend: registry.db().backend().as_str(),
    }))
}

/// This API's OpenAPI 3 document.
#[utoipa::path(
    tag = "system",
    security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
#[get("/openapi.json")]
pub async fn get_openapi(api: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(api.get_ref())
}
