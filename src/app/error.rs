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
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// An `Invalid` error with a single problem.
    pub fn invalid(problem: Problem) -> Self {
        AppError::Invalid(vec![problem])
    }
}
