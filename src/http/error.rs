//! The one error envelope of the API and the one table of its codes.
//!
//! `{"error": {"code": "...", "message": "...", "details": [{"item": "...", "problem": "..."}]}}`
//! Every failure, from a handler or from actix itself (JSON syntax, content type, size, query,
//! path, unknown route, wrong method), is turned into this shape with a code from [`ErrorCode`].

use crate::app::AppError;
use crate::core::problem::Problem;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

macro_rules! error_codes {
    ($($variant:ident = ($code:literal, $status:ident, $doc:literal)),* $(,)?) => {
        /// Every error code the API can answer, with its HTTP status. Codes are stable: clients
        /// may branch on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $(#[doc = $doc] $variant,)*
        }

        impl ErrorCode {
            /// Every code, for documentation and for the test that each one is produced.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The snake_case code sent to clients.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status that goes with the code.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What the code means, for the API documentation.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)* }
            }
        }
    };
}

error_codes! {
    ValidationFailed = ("validation_failed", UNPROCESSABLE_ENTITY, "The request is well formed but breaks one or more rules; every problem is listed in details and nothing was written."),
    MalformedJson = ("malformed_json", BAD_REQUEST, "The body is not valid JSON."),
    InvalidBody = ("invalid_body", BAD_REQUEST, "The body is JSON but not of the expected shape (a missing or unknown field, a wrong type)."),
    UnsupportedMediaType = ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body is not of a content type this route takes: application/json, or for file uploads application/xml or application/gzip."),
    PayloadTooLarge = ("payload_too_large", PAYLOAD_TOO_LARGE, "The body is larger than the configured limit."),
    InvalidQuery = ("invalid_query", BAD_REQUEST, "A query parameter is malformed."),
    InvalidPath = ("invalid_path", BAD_REQUEST, "A path parameter is malformed (ids are positive integers)."),
    NotFound = ("not_found", NOT_FOUND, "No such record, dictionary or item."),
    RouteNotFound = ("route_not_found", NOT_FOUND, "No route has this path."),
    MethodNotAllowed = ("method_not_allowed", METHOD_NOT_ALLOWED, "The route exists but not with this method; see the Allow header."),
    Unauthorized = ("unauthorized", UNAUTHORIZED, "No valid access token: it is missing, malformed, expired, revoked, or its account is disabled. Log in again."),
    InvalidCredentials = ("invalid_credentials", UNAUTHORIZED, "Wrong login name or password (or the account is disabled)."),
    Forbidden = ("forbidden", FORBIDDEN, "Your role or facilities do not allow this."),
    TooManyRequests = ("too_many_requests", TOO_MANY_REQUESTS, "Too many failed logins; wait the seconds in the Retry-After header."),
    PreconditionRequired = ("precondition_required", PRECONDITION_REQUIRED, "A change needs an If-Match header with the ETag of the last read."),
    PreconditionFailed = ("precondition_failed", PRECONDITION_FAILED, "The record changed since it was read (the If-Match ETag is stale); read it again."),
    RecordDeleted = ("record_deleted", CONFLICT, "The record is soft-deleted and cannot be changed."),
    EditsFailed = ("edits_failed", UNPROCESSABLE_ENTITY, "The abstract fails error-level edits of the set run on save, which refuses such saves; every failure is listed in details (item, record, edit id as code, message) and nothing was written."),
    AlreadyImported = ("already_imported", CONFLICT, "The same file (same SHA-256) was already imported or is being imported; the Location header names its batch. Nothing was done."),
    ExportNotReady = ("export_not_ready", CONFLICT, "The export is still being written, failed or expired: there is no file to download yet. Ask for its status."),
    ServiceUnavailable = ("service_unavailable", SERVICE_UNAVAILABLE, "The database does not answer."),
    InternalError = ("internal_error", INTERNAL_SERVER_ERROR, "Something failed inside the service; quote the request id to support."),
}

/// One problem of a request: which item (or field), in which record, and what is wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The NAACCR item (naaccrId) or request field concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The record within the request (`patient`, `tumors[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Stable code of the rule broken (`too_long`, `unknown_item`, ...).
    pub code: String,
    /// What is wrong, for a person. Never contains the value sent.
    pub problem: String,
}

/// The error object inside the envelope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case error code.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// Every problem found, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
    /// The request id, on server errors, to quote to support.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Its code (and so its status).
    pub code: ErrorCode,
    /// The message.
    pub message: String,
    /// The problems, for validation errors.
    pub details: Vec<ErrorDetail>,
    /// Extra headers (Allow on 405, Retry-After on 429, WWW-Authenticate on 401).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A validation error listing `problems`.
    pub fn validation(problems: Vec<Problem>) -> Self {
        let n = problems.len();
        Self {
            code: ErrorCode::ValidationFailed,
            message: format!(
                "the request has {n} problem{}; nothing was written",
                if n == 1 { "" } else { "s" }
            ),
            details: problems
                .into_iter()
                .map(|p| ErrorDetail {
                    item: p.item,
                    record: p.record,
                    code: p.code.to_owned(),
                    problem: p.message,
                })
                .collect(),
            headers: Vec::new(),
        }
    }

    /// A validation error about one request field.
    pub fn field(item: &str, code: &'static str, problem: impl Into<String>) -> Self {
        Self::validation(vec![Problem::new(code, problem).for_item(item)])
    }

    /// The JSON envelope of this error.
    pub fn envelope(&self, request_id: Option<String>) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
                request_id,
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        for (name, value) in &self.headers {
            res.insert_header((*name, value.clone()));
        }
        res.insert_header(("Cache-Control", "no-store"));
        res.json(self.envelope(None))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(problems) => ApiError::validation(problems),
            AppError::NotFound { .. }
            | AppError::OutOfScope { .. }
            | AppError::NotFoundUser { .. }
            | AppError::NoSuchJob { .. }
            | AppError::NoSuchEdit(_)
            | AppError::NoSuchConfirmation { .. } => {
                ApiError::new(ErrorCode::NotFound, e.to_string())
            }
            AppError::EditsFailed(ref report) => {
                let mut a = ApiError::new(ErrorCode::EditsFailed, e.to_string());
                a.details = report
                    .failures
                    .iter()
                    .filter(|f| f.severity == crate::core::edits::definition::Severity::Error)
                    .map(|f| ErrorDetail {
                        item: f.items.first().cloned(),
                        record: Some(
                            f.tumor
                                .map_or("patient".to_owned(), |t| format!("tumor {}", t.0)),
                        ),
                        code: f.edit.clone(),
                        problem: f.message.clone(),
                    })
                    .collect();
                a
            }
            AppError::AlreadyImported { batch } => {
                let mut a = ApiError::new(ErrorCode::AlreadyImported, e.to_string());
                a.headers
                    .push(("Location", format!("/api/v1/imports/{batch}")));
                a
            }
            AppError::ExportNotReady { .. } => {
                ApiError::new(ErrorCode::ExportNotReady, e.to_string())
            }
            AppError::Unauthorized { reason } => {
                let mut a = ApiError::new(ErrorCode::Unauthorized, reason);
                a.headers
                    .push(("WWW-Authenticate", "Bearer realm=\"tumor-registry\"".into()));
                a
            }
            AppError::InvalidCredentials => {
                ApiError::new(ErrorCode::InvalidCredentials, e.to_string())
            }
            AppError::Forbidden { reason } => ApiError::new(ErrorCode::Forbidden, reason),
            AppError::Throttled { retry_after_secs } => {
                let mut a = ApiError::new(ErrorCode::TooManyRequests, e.to_string());
                a.headers
                    .push(("Retry-After", retry_after_secs.to_string()));
                a
            }
            AppError::ImportRefused(outcome) => {
                let mut a = ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!(
                        "the import was refused: {} of {} patients have problems; nothing was written",
                        outcome.rejected.len(),
                        outcome.patients_read
                    ),
                );
                a.details = outcome
                    .rejected
                    .iter()
                    .flat_map(|r| {
                        r.problems.iter().map(move |p| ErrorDetail {
                            item: p.naaccr_id.clone(),
                            record: Some(format!("patient {} (line {})", r.patient, r.line)),
                            code: p.code.clone(),
                            problem: format!("line {}, column {}: {}", p.line, p.column, p.message),
                        })
                    })
                    .chain(outcome.fatal.iter().map(|p| ErrorDetail {
                        item: None,
                        record: None,
                        code: p.code.clone(),
                        problem: format!("line {}, column {}: {}", p.line, p.column, p.message),
                    }))
                    .collect();
                a
            }
            AppError::Internal(reason) => {
                tracing::error!(error = %reason, "internal failure");
                ApiError::new(ErrorCode::InternalError, "internal error")
            }
            AppError::VersionConflict { .. } => {
                ApiError::new(ErrorCode::PreconditionFailed, e.to_string())
            }
            AppError::Deleted { .. } => ApiError::new(ErrorCode::RecordDeleted, e.to_string()),
            AppError::Store(
                inner @ (crate::store::StoreError::Pool(_)
                | crate::store::StoreError::Connect { .. }),
            ) => {
                tracing::error!(error = %inner, "database unavailable");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the database does not answer",
                )
            }
            AppError::Store(inner) => {
                // Server faults are logged (no patient data is in a store error) and answered
                // with an opaque body; the middleware adds the request id.
                tracing::error!(error = %inner, "storage failure");
                ApiError::new(ErrorCode::InternalError, "internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn a_database_that_cannot_be_reached_answers_503_and_other_faults_500() {
        let down = ApiError::from(AppError::Store(StoreError::Pool("timed out".into())));
        assert_eq!(down.code, ErrorCode::ServiceUnavailable);
        assert_eq!(down.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let fault = ApiError::from(AppError::Store(StoreError::Corrupt {
            what: "item set",
            reason: "x".into(),
        }));
        assert_eq!(fault.code, ErrorCode::InternalError);
        // Neither body says what failed inside.
        assert!(!fault.message.contains("item set") && !down.message.contains("timed out"));
    }

    #[test]
    fn codes_are_unique_snake_case_and_carry_their_status() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
            assert!(c.status().is_client_error() || c.status().is_server_error());
        }
    }
}
