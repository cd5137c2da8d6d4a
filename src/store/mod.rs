//! Storage: the only module that speaks SQL. One set of diesel queries serves PostgreSQL and
//! SQLite through [`AnyConnection`]; rows are turned into core types here and nowhere else.
//!
//! Diesel is synchronous: the async world reaches it only through [`Db::run`], which moves the
//! work onto tokio's blocking pool so that no request worker ever waits on the database.

pub mod abstracts;
mod connection;
pub mod custom_edits;
pub mod edit_confirmations;
pub mod edit_runs;
pub mod imports;
pub mod population;
pub mod schema;
pub mod security;

pub use connection::{AnyConnection, Backend, DatabaseUrl, Db, write_transaction};

use thiserror::Error;

/// What can go wrong in storage. Carries data, not prose built early.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL names a scheme we do not serve.
    #[error(
        "unsupported database URL scheme '{scheme}': use postgres://, postgresql://, sqlite:// or a file path"
    )]
    UnsupportedUrl {
        /// The scheme as written.
        scheme: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the {backend} database: {reason}")]
    Connect {
        /// Which backend.
        backend: &'static str,
        /// The driver's message.
        reason: String,
    },
    /// No connection came free within the pool's timeout.
    #[error("no database connection available: {0}")]
    Pool(String),
    /// Migrations failed to run.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// A stored value could not be read back (a corrupted row, or a bug).
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it could not be read.
        reason: String,
    },
    /// The blocking task running the query was cancelled or panicked.
    #[error("database task failed: {0}")]
    Task(String),
}
