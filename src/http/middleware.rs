//! Request middleware: request ids and access logs without patient data, opaque server
//! errors, no caching of API answers, and the authentication hook.

use super::HttpSettings;
use super::error::{ApiError, ErrorCode};
use super::extract::RequestId;
use crate::app::auth::RequestContext;
use crate::app::{AppError, Registry};
use crate::core::audit::Outcome;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use std::time::Instant;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Routes that need no access token: they are how one gets one.
const PUBLIC_ROUTES: [&str; 2] = ["/api/v1/auth/login", "/api/v1/auth/refresh"];

/// The one place where authentication happens: it builds the [`RequestContext`] (request id,
/// client address, and the caller behind the `Authorization: Bearer` token) and puts it on the
/// request for the handlers' [`super::extract::Caller`]. A missing or bad token answers 401
/// here, audited, before any handler runs.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let registry = req.app_data::<web::Data<Registry>>().cloned();
    let settings = req.app_data::<web::Data<HttpSettings>>().cloned();
    let mut ctx = RequestContext {
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        client: client_address(&req, settings.as_ref().map(|s| s.get_ref())),
        ..RequestContext::default()
    };
    let (Some(registry), false) = (registry, PUBLIC_ROUTES.contains(&req.path())) else {
        req.extensions_mut().insert(ctx);
        return Ok(with_no_store(next.call(req).await?).map_into_left_body());
    };
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let principal = match token {
        Some(t) if !t.is_empty() => registry.authenticate(&ctx, &t).await,
        _ => {
            let err = AppError::Unauthorized {
                reason: "send an access token: Authorization: Bearer <token>",
            };
            let now = registry.now();
            let mut e = ctx.event("auth.token", Outcome::Failure, now);
            e.detail = Some("no access token".into());
            match registry.append_audit(e).await {
                Ok(()) => Err(err),
                Err(audit_failed) => Err(audit_failed),
            }
        }
    };
    match principal {
        Ok(p) => {
            ctx.principal = Some(p);
            req.extensions_mut().insert(ctx.clone());
            let res = next.call(req).await?;
            audit_unaudited(&registry, &ctx, &res).await;
            Ok(with_no_store(res).map_into_left_body())
        }
        Err(e) => {
            let response = ApiError::from(e).error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// The routes that reach patient-level data: patients, tumors, and the imports and exports
/// that carry them. Every request to one of them leaves exactly one audit event.
pub fn is_patient_level(path: &str) -> bool {
    [
        "/api/v1/patients",
        "/api/v1/tumors",
        "/api/v1/imports",
        "/api/v1/exports",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Every request to patient-level data leaves one audit event. Those refused before reaching a
/// use case (malformed body, missing If-Match, bad path or query) get theirs here.
async fn audit_unaudited<B>(registry: &Registry, ctx: &RequestContext, res: &ServiceResponse<B>) {
    let path = res.request().path();
    if !is_patient_level(path) || ctx.audited.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let status = res.status();
    let outcome = if status.is_success() {
        Outcome::Success
    } else if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
        Outcome::Denied
    } else {
        Outcome::Failure
    };
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let mut e = ctx.event(
        &format!("http {} {route}", res.request().method()),
        outcome,
        registry.now(),
    );
    e.detail = Some(format!("refused with status {}", status.as_u16()));
    if let Err(err) = registry.append_audit(e).await {
        tracing::error!(error = %err, "cannot write the audit event of a refused request");
    }
}

fn with_no_store<B>(mut res: ServiceResponse<B>) -> ServiceResponse<B> {
    // Answers of the API may carry patient data: never store them in a cache.
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The client's address: from the configured trusted proxy header when one is set (the proxy
/// overwrites it), otherwise from the socket. Never from a header the operator did not name.
fn client_address(req: &ServiceRequest, settings: Option<&HttpSettings>) -> Option<String> {
    if let Some(header) = settings.and_then(|s| s.client_ip_header.as_deref()) {
        return req
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
    }
    req.peer_addr().map(|a| a.ip().to_string())
}

/// Gives every request an id (sent back in `X-Request-Id`), logs one line per request with the
/// matched route *pattern* (never the path, which may hold ids), and replaces the body of every
/// server error with the opaque envelope carrying that id.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let started = Instant::now();
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    // The request must not be cloned before routing (actix needs it unshared), so an error that
    // escapes the inner services unrendered is passed on as it is.
    let res = next.call(req).await?.map_into_left_body();
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    tracing::info!(
        request.id = %id,
        request.method = %method,
        request.route = %route,
        response.status = status.as_u16(),
        response.latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    let mut res = if status.is_server_error() {
        let code = if status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
            ErrorCode::ServiceUnavailable
        } else {
            ErrorCode::InternalError
        };
        let body = ApiError::new(code, "the service failed; quote the request id to support")
            .envelope(Some(id.clone()));
        let (req, _) = res.into_parts();
        ServiceResponse::new(req, HttpResponse::build(status).json(body)).map_into_right_body()
    } else {
        res
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Whether `path` matches an OpenAPI path template like `/api/v1/patients/{id}`.
pub fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.trim_end_matches('/').split('/');
    let mut p = path.trim_end_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let is_param = ts.starts_with('{') && ts.ends_with('}');
                if !(is_param && !ps.is_empty() || ts == ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_whole_segments_only() {
        assert!(template_matches(
            "/api/v1/patients/{id}",
            "/api/v1/patients/12"
        ));
        assert!(template_matches(
            "/api/v1/patients/{id}",
            "/api/v1/patients/12/"
        ));
        assert!(!template_matches(
            "/api/v1/patients/{id}",
            "/api/v1/patients"
        ));
        assert!(!template_matches(
            "/api/v1/patients/{id}",
            "/api/v1/patients//"
        ));
        assert!(!template_matches(
            "/api/v1/patients/{id}",
            "/api/v1/patients/1/history"
        ));
    }
}
