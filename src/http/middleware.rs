//! Request middleware: request ids and access logs without patient data, opaque server
//! errors, no caching of API answers, and the authentication hook.

use super::error::{ApiError, ErrorCode};
use super::extract::{Caller, RequestId};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use std::time::Instant;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The one place where authentication plugs in: it decides who the caller is and puts a
/// [`Caller`] on the request for the handlers' extractor. Until accounts exist every caller is
/// [`Caller::Anonymous`].
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    req.extensions_mut().insert(Caller::Anonymous);
    let mut res = next.call(req).await?;
    // Answers of the API may carry patient data: never store them in a cache.
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
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
