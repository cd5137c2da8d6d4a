//! The one integration test binary: a harness and one file per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod harness;

mod abstracts_api;
mod architecture;
mod bad_input;
mod cli;
mod dictionaries_api;
mod edits_api;
mod hostile;
mod imports;
mod jobs_api;
mod migrations;
mod openapi;
mod real_abstracts;
mod reports_api;
mod roles;
mod security;
mod stats_cli;
mod storage;
