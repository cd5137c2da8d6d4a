//! What a use case can answer instead of a result. The HTTP edge maps each variant to one
//! stable error code; the CLI prints it.

use crate::core::abstracts::{EntityKind, RowVersion};
use crate::core::problem::Problem;
use crate::store::StoreError;
use thiserror::Error;

/// Why a use case did not do what was asked.
#[derive(Debug, Error)]
pub enum AppError {
    /// The input broke one or more rules; nothing was written.
    #[error("the request has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    /// No record with this id.
    #[error("no {} with id {id}", kind.as_str())]
    NotFound {
        /// Patient or tumor.
        kind: EntityKind,
        /// The id asked for.
        id: i64,
    },
    /// The record changed since the caller read it.
    #[error("the {} was changed by someone else: it is at version {current}, not {expected}", kind.as_str())]
    VersionConflict {
        /// Patient or tumor.
        kind: EntityKind,
        /// The version the caller read.
        expected: RowVersion,
        /// The version stored now.
        current: RowVersion,
    },
    /// The record is soft-deleted and cannot be changed.
    #[error("the {} was deleted and cannot be changed", kind.as_str())]
    Deleted {
        /// Patient or tumor.
        kind: EntityKind,
        /// Its id.
        id: i64,
    },
    /// The record exists but is outside the caller's facilities: answered like `NotFound`, so
    /// that its existence is not revealed, and audited as denied.
    #[error("no {} with id {id}", kind.as_str())]
    OutOfScope {
        /// Patient or tumor.
        kind: EntityKind,
        /// The id asked for.
        id: i64,
    },
    /// No account with this id.
    #[error("no account with id {id}")]
    NotFoundUser {
        /// The id asked for.
        id: i64,
    },
    /// No valid credentials came with the request (missing, expired or revoked token).
    #[error("not authenticated: {reason}")]
    Unauthorized {
        /// Why, for the caller (names no secret).
        reason: &'static str,
    },
    /// The login name or password is wrong, or the account is disabled (one answer for all,
    /// so that accounts cannot be enumerated).
    #[error("wrong login name or password")]
    InvalidCredentials,
    /// The caller's role or facilities do not allow this.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why.
        reason: String,
    },
    /// Too many failed logins: try again after this many seconds.
    #[error("too many failed logins; retry after {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// An import in `all` mode found problems (or the file could not be read to its end):
    /// nothing was written. The outcome lists every problem.
    #[error("the import was refused: nothing was written")]
    ImportRefused(Box<crate::app::imports::ImportOutcome>),
    /// No import batch or export job with this id (or not one the caller may see).
    #[error("no {kind} with id {id}")]
    NoSuchJob {
        /// `import batch` or `export`.
        kind: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// No custom edit (or version of one) by this name.
    #[error("no custom edit {0}")]
    NoSuchEdit(String),
    /// No confirmation of this edit is in force on the tumor.
    #[error("no confirmation of edit {edit} is in force on tumor {tumor}")]
    NoSuchConfirmation {
        /// The tumor.
        tumor: i64,
        /// The edit.
        edit: String,
    },
    /// The same file (same SHA-256) was imported before, or is being imported: nothing done.
    #[error(
        "this file (same SHA-256) was already received as import batch {batch}; nothing was done"
    )]
    AlreadyImported {
        /// The batch that stands for the file.
        batch: i64,
    },
    /// The export's file is not there to download: still being written, failed or expired.
    #[error("export {id} is {status}: there is no file to download")]
    ExportNotReady {
        /// The job.
        id: i64,
        /// Its status.
        status: String,
    },
    /// The edit set run on save refuses saves while an error-level edit fails, and one does:
    /// nothing was written.
    #[error("the abstract fails {} error-level edit(s) of the set {}; nothing was written", .0.errors(), .0.set)]
    EditsFailed(Box<crate::app::edits::EditReport>),
    /// A fault inside the service (not the caller's).
    #[error("internal error: {0}")]
    Internal(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads JSON the service itself stored (a report, a request, a definition); an error means the
/// row is corrupt, not that a caller sent something wrong.
pub(crate) fn from_stored_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| {
        AppError::Store(StoreError::Corrupt {
            what,
            reason: e.to_string(),
        })
    })
}

impl AppError {
    /// The code recorded in the audit trail for this failure.
    pub fn audit_detail(&self) -> &'static str {
        match self {
            AppError::Invalid(_) | AppError::ImportRefused(_) => "invalid",
            AppError::EditsFailed(_) => "edits_failed",
            AppError::NotFound { .. }
            | AppError::NotFoundUser { .. }
            | AppError::NoSuchJob { .. }
            | AppError::NoSuchEdit(_)
            | AppError::NoSuchConfirmation { .. } => "not_found",
            AppError::AlreadyImported { .. } => "already_imported",
            AppError::ExportNotReady { .. } => "not_ready",
            AppError::OutOfScope { .. } => "out_of_scope",
            AppError::VersionConflict { .. } => "version_conflict",
            AppError::Deleted { .. } => "deleted",
            AppError::Unauthorized { .. } | AppError::InvalidCredentials => "unauthorized",
            AppError::Forbidden { .. } => "forbidden",
            AppError::Throttled { .. } => "throttled",
            AppError::Internal(_) | AppError::Store(_) => "internal_error",
        }
    }

    /// Whether the audit trail records this failure as a refusal of access.
    pub fn is_denial(&self) -> bool {
        matches!(
            self,
            AppError::OutOfScope { .. }
                | AppError::Forbidden { .. }
                | AppError::Unauthorized { .. }
        )
    }

    /// An `Invalid` error with a single problem.
    pub fn invalid(problem: Problem) -> Self {
        AppError::Invalid(vec![problem])
    }
}
