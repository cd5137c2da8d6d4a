//! The pure domain: NAACCR dictionaries and values, abstracts and their history. Nothing here
//! knows of HTTP, SQL, the clock or the file system; a test keeps it that way.

pub mod abstracts;
pub mod naaccr;
pub mod problem;
