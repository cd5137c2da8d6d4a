//! The pure domain: NAACCR dictionaries and values, abstracts and their history, roles and
//! passwords and login throttling, and the audit trail's hash chain. Nothing here knows of HTTP,
//! SQL, the clock or the file system; a test keeps it that way.

pub mod abstracts;
pub mod audit;
pub mod auth;
pub mod edits;
pub mod hex;
pub mod naaccr;
pub mod problem;
pub mod stats;
pub mod synth;
