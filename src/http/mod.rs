//! The REST API (actix-web): routes, DTOs, extractors, the error envelope and the OpenAPI
//! document. Handlers extract, call `app`, and map to a DTO; no logic lives here.

pub mod dto;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod routes;

use crate::app::Registry;
use crate::app::jobs::Jobs;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpRequest, web};
use error::{ApiError, ErrorCode};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::PathItem;
use utoipa_actix_web::AppExt;

/// Default largest request body: 1 MiB, ample for one patient with many tumors (an abstract
/// is a few kilobytes; the longest text items are 4000 characters).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The header a trusted reverse proxy puts the client address in (`X-Forwarded-For`,
    /// `X-Real-IP`); none to take the address from the socket.
    pub client_ip_header: Option<String>,
    /// Largest NAACCR XML file accepted for import, in bytes (streamed to disk, not memory).
    pub max_upload_bytes: u64,
}

/// Default largest upload: 4 GiB, room for a state's yearly file.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 4 << 30;

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            client_ip_header: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tumor-registry",
        description = "Cancer registry service: NAACCR patient and tumor abstracts with full history.\n\nErrors are JSON `{\"error\": {\"code\", \"message\", \"details\"}}` with a stable code. Changes need `If-Match` with the ETag of the last read.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(error::ErrorEnvelope, error::ErrorBody, error::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "patients", description = "Patient abstracts"),
        (name = "tumors", description = "Tumor abstracts"),
        (name = "dictionaries", description = "NAACCR data dictionaries"),
        (name = "edits", description = "The edits in service, and the registry's own edits (central staff)"),
        (name = "reports", description = "Aggregate survival and incidence (suppressed for researchers)"),
        (name = "imports", description = "NAACCR XML files received for import"),
        (name = "exports", description = "NAACCR XML exports, written in the background and downloaded"),
        (name = "auth", description = "Login, token refresh, logout"),
        (name = "users", description = "Accounts (admin)"),
        (name = "audit", description = "The audit trail (admin)"),
        (name = "system", description = "Health and API description"),
    )
)]
struct ApiDoc;

/// Declares the bearer (JWT) security scheme every route uses unless it says otherwise.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from POST /api/v1/auth/login (15 minutes)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of every route, built from the same registration as the router.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    with_error_codes(api)
}

/// Adds the table of error codes to the document's description, so clients see every code.
fn with_error_codes(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut text = api.info.description.take().unwrap_or_default();
    text.push_str("\n\n| code | HTTP status | meaning |\n| --- | --- | --- |\n");
    for code in ErrorCode::ALL {
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.status().as_u16(),
            code.description()
        ));
    }
    api.info.description = Some(text);
    api
}

/// The whole application: every route, its extractor configuration and middleware.
pub fn build_app(
    registry: Registry,
    jobs: Jobs,
    settings: HttpSettings,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let api = Arc::new(with_error_codes(api));
    app.app_data(web::Data::new(registry))
        .app_data(web::Data::new(jobs))
        .app_data(web::Data::new(settings.clone()))
        .app_data(web::Data::from(api))
        .app_data(extract::json_config(settings.max_body_bytes))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .app_data(web::PayloadConfig::new(settings.max_body_bytes))
        .default_service(web::to(no_route))
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
}

/// Unknown paths answer 404 `route_not_found`; a known path with another method answers 405
/// with `Allow`. The OpenAPI document is the list of routes, so the two cannot disagree.
async fn no_route(
    req: HttpRequest,
    api: web::Data<utoipa::openapi::OpenApi>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let path = req.path();
    let allowed = api
        .paths
        .paths
        .iter()
        .find(|(template, _)| middleware::template_matches(template, path))
        .map(|(_, item)| methods_of(item));
    match allowed {
        Some(methods) if !methods.is_empty() => {
            let mut e = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed here; allowed: {}",
                    req.method(),
                    methods.join(", ")
                ),
            );
            e.headers.push(("Allow", methods.join(", ")));
            Err(e)
        }
        _ => Err(ApiError::new(
            ErrorCode::RouteNotFound,
            "no route has this path",
        )),
    }
}

fn methods_of(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter_map(|(m, present)| present.then_some(m))
    .collect()
}
