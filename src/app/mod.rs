//! Use cases: what the registry does, orchestrating the pure core and the store. Called alike
//! from the HTTP handlers and the CLI, so neither holds logic of its own.

pub mod abstracts;
pub mod audit;
pub mod auth;
pub mod charts;
pub mod clock;
pub mod custom_edits;
pub mod dictionaries;
pub mod edit_confirmations;
pub mod edit_runs;
pub mod edits;
mod error;
pub mod exports;
pub mod imports;
pub mod jobs;
pub mod reports;
pub mod search;
pub mod stats;
pub mod synth;
mod versioned;

pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use dictionaries::{Dictionaries, DictionariesError};
pub use error::AppError;

use crate::store::{Db, abstracts as q};
use std::sync::Arc;

/// The edit set run on every save unless configured otherwise.
pub const DEFAULT_EDITS_ON_SAVE: &str = "abstracting";

/// The registry: its database, its dictionaries and its clock. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Registry {
    db: Db,
    dictionaries: Arc<Dictionaries>,
    clock: Arc<dyn Clock>,
    auth: Arc<auth::Auth>,
    edits: Arc<edits::EditsPolicy>,
    /// The release policy's largest small count: researchers never see a count from 1 to it.
    suppression_threshold: u64,
}

impl Registry {
    /// A registry over `db` validating with `dictionaries`, reading time from `clock`,
    /// authenticating with `auth`.
    pub fn new(
        db: Db,
        dictionaries: Arc<Dictionaries>,
        clock: Arc<dyn Clock>,
        auth: Arc<auth::Auth>,
    ) -> Self {
        let engines = edits::EditEngines::builtin_shared(&dictionaries);
        Self {
            db,
            dictionaries,
            clock,
            auth,
            edits: Arc::new(edits::EditsPolicy {
                engines: std::sync::RwLock::new(engines),
                on_save: Some(DEFAULT_EDITS_ON_SAVE.to_owned()),
                block: false,
            }),
            suppression_threshold: reports::DEFAULT_SUPPRESSION_THRESHOLD,
        }
    }

    /// Sets the release policy's threshold: counts from 1 to `threshold` are hidden from
    /// researchers (at least 1).
    pub fn with_suppression_threshold(mut self, threshold: u64) -> Self {
        self.suppression_threshold = threshold.max(1);
        self
    }

    /// The release policy's threshold.
    pub fn suppression_threshold(&self) -> u64 {
        self.suppression_threshold
    }

    /// The registry's current time (UTC).
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
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
