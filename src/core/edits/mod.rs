//! Edits: data-quality checks of abstracts, written as data (NAACCR EDITS/GenEDITS style).
//!
//! Why it exists: every abstract a registry accepts must pass the standard edits (NAACCR,
//! SEER, CoC, IARC) and the registry's own. Edits are files, not code, so this module provides
//! the language they are written in ([`lang`]: parse, type-check, compile once, evaluate fast)
//! and the code tables they consult ([`table`]).
//!
//! What it must not do: read files or the clock (the loader passes the text of edits and
//! tables in; "today" is a parameter), touch the database, or panic on any input.

pub mod definition;
pub mod engine;
pub mod lang;
pub mod table;

#[cfg(test)]
mod tests;
