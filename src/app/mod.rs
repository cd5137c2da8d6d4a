//! Use cases: what the registry does, orchestrating the pure core and the store. Called alike
//! from the HTTP handlers and the CLI, so neither holds logic of its own.

pub mod abstracts;
pub mod clock;
pub mod dictionaries;
mod error;
pub mod search;
mod versioned;

pub use clock::{Clock, FixedClock, SystemClock};
pub use dictionaries::{Dictionaries, DictionariesError};
pub use error::AppError;

use crate::store::{Db, abstracts as q};
use std::sync::Arc;

/// The registry: its database, its dictionaries and its clock. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Registry {
    db: Db,
    dictionaries: Arc<Dictionaries>,
    clock: Arc<dyn Clock>,
}

impl Registry {
    /// A registry over `db` validating with `dictionaries`, reading time from `clock`.
    pub fn new(db: Db, dictionaries: Arc<Dictionaries>, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            dictionaries,
            clock,
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The dictionaries.
    pub fn dictionaries(&self) -> &Dictionaries {
        &self.dictionaries
    }

    /// Checks that the database answers.
    pub async fn check_health(&self) -> Result<(), AppError> {
        self.db
            .run(|conn| q::ping(conn).map_err(AppError::from))
            .await
    }
}
