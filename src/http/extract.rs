//! Extractors: the caller (where authentication plugs in), If-Match, request ids, and the
//! configuration that turns every actix extractor failure into the API's error envelope.

use super::error::{ApiError, ErrorCode};
use crate::app::auth::RequestContext;
use crate::core::abstracts::{EntityKind, RowVersion, parse_etag};
use crate::core::auth::Permission;
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use std::future::{Ready, ready};

/// Who is calling and from where: every `/api/v1` handler takes one and hands it to the use
/// case, which checks the caller's role and facilities where the data is read and writes the
/// audit event. It is put on the request by [`super::middleware::authenticate`], the one place
/// where authentication happens.
#[derive(Debug, Clone)]
pub struct Caller(pub RequestContext);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<RequestContext>()
                .cloned()
                .map(Caller)
                .ok_or_else(|| ApiError::new(ErrorCode::InternalError, "internal error")),
        )
    }
}

/// A permission a route needs, named as a type so that it shows in the handler's signature.
pub trait Requirement {
    /// The permission.
    const PERMISSION: Permission;
}

macro_rules! requirements {
    ($($name:ident => $perm:ident, $doc:literal;)*) => {
        $(
            #[doc = $doc]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Requirement for $name {
                const PERMISSION: Permission = Permission::$perm;
            }
        )*
    };
}

requirements! {
    ReadsPatients => ReadPatientData, "Reads patient-level data.";
    WritesPatients => WritePatientData, "Changes patient-level data.";
    ManagesUsers => ManageUsers, "Manages accounts.";
    ReadsAudit => ReadAudit, "Reads the audit trail.";
    ReadsDictionaries => ReadDictionaries, "Reads the data dictionaries.";
    ManagesEdits => ManageEdits, "Writes, tests, activates and retires the registry's own edits.";
    ReadsAggregates => ReadAggregates, "Reads aggregate statistics (suppressed for researchers).";
}

/// The caller, checked to hold the permission `R` before any other part of the request is
/// looked at (put it first in a handler's arguments: actix extracts them in order). The use
/// case checks again where the data is read; a refusal here is audited by the middleware.
#[derive(Debug, Clone)]
pub struct Authorized<R>(pub RequestContext, std::marker::PhantomData<R>);

impl<R: Requirement> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.extensions().get::<RequestContext>().cloned();
        ready(match ctx {
            Some(ctx)
                if ctx
                    .principal
                    .as_ref()
                    .is_some_and(|p| p.role.allows(R::PERMISSION)) =>
            {
                Ok(Authorized(ctx, std::marker::PhantomData))
            }
            Some(_) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "your role does not allow this",
            )),
            None => Err(ApiError::new(ErrorCode::InternalError, "internal error")),
        })
    }
}

/// The request id given by the middleware (also sent back in `X-Request-Id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The raw `If-Match` header of a request that changes a record. Missing: 428.
#[derive(Debug, Clone)]
pub struct IfMatch(String);

impl IfMatch {
    /// The version this header names for the record (kind, id): 412 when it names another
    /// version of the record, another record, or is not an ETag of ours.
    pub fn version_for(&self, kind: EntityKind, id: i64) -> Result<RowVersion, ApiError> {
        if self.0.trim() == "*" {
            return Err(ApiError::new(
                ErrorCode::PreconditionRequired,
                "If-Match must carry the ETag of the last read; '*' is not accepted",
            ));
        }
        parse_etag(&self.0, kind, id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionFailed,
                "the If-Match ETag does not belong to this record; read it again",
            )
        })
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(actix_web::http::header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty());
        ready(match header {
            Some(v) => Ok(IfMatch(v.to_owned())),
            None => Err(ApiError::new(
                ErrorCode::PreconditionRequired,
                "changes need an If-Match header with the ETag of the last read",
            )),
        })
    }
}

/// JSON bodies: application/json only, at most `limit` bytes, errors in the envelope.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| json_error(err, limit).into())
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be sent with Content-Type: application/json",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than the limit of {limit} bytes"),
            )
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::new(
            ErrorCode::InvalidBody,
            format!(
                "the body does not have the expected shape: {} (line {}, column {})",
                shape_message(&e.to_string()),
                e.line(),
                e.column()
            ),
        ),
        JsonPayloadError::Deserialize(e) => ApiError::new(
            ErrorCode::MalformedJson,
            format!(
                "the body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        ),
        other => ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body could not be read: {other}"),
        ),
    }
}

/// Query strings: errors in the envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match err {
            QueryPayloadError::Deserialize(e) => format!("bad query parameter: {e}"),
            other => format!("bad query string: {other}"),
        };
        ApiError::new(ErrorCode::InvalidQuery, message).into()
    })
}

/// Path parameters: errors in the envelope.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let message = match err {
            PathError::Deserialize(e) => format!("bad path parameter: {e}"),
            other => format!("bad path: {other}"),
        };
        ApiError::new(ErrorCode::InvalidPath, message).into()
    })
}

/// serde's message about a body of the wrong shape, without the value it found: "invalid type:
/// string \"Smith\", expected ..." would echo what may be patient data.
fn shape_message(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        match message.split_once(", expected ") {
            Some((_, expected)) => format!("a value has the wrong type (expected {expected})"),
            None => "a value has the wrong type".to_owned(),
        }
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::shape_message;

    #[test]
    fn shape_messages_never_echo_the_value_sent() {
        let m = shape_message("invalid type: string \"Smith\", expected u32 at line 1 column 9");
        assert_eq!(m, "a value has the wrong type (expected u32)");
        assert_eq!(
            shape_message("missing field `reason` at line 1 column 2"),
            "missing field `reason`"
        );
    }
}
