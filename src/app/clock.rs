//! The one place that reads the system clock. Everything else is handed the time, so tests can
//! fix it and results are reproducible.

use chrono::{NaiveDateTime, Timelike, Utc};

/// A source of the current time in UTC.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in UTC, to the microsecond (the precision both database backends keep).
    fn now(&self) -> NaiveDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the system clock"
    )]
    fn now(&self) -> NaiveDateTime {
        truncate_to_micros(Utc::now().naive_utc())
    }
}

/// A clock that always says the same time (tests, benchmarks).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub NaiveDateTime);

impl Clock for FixedClock {
    fn now(&self) -> NaiveDateTime {
        self.0
    }
}

/// Drops nanoseconds below the microsecond: PostgreSQL keeps microseconds, and a value read
/// back must equal the value written on both backends.
pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// A clock that stays where it is set and moves only when told (tests of expiry and lockouts).
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<NaiveDateTime>);

impl ManualClock {
    /// A clock showing `t`.
    pub fn new(t: NaiveDateTime) -> Self {
        Self(std::sync::Mutex::new(t))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        self.0.lock().map(|t| *t).unwrap_or(NaiveDateTime::MIN)
    }
}
