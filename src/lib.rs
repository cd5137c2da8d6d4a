//! tumor-registry: a cancer registry service.
//!
//! A map of the modules, dependencies pointing inward (see `../shared/design/ARCHITECTURE.md`):
//!
//! - [`core`]: the pure domain. NAACCR dictionaries and value rules (`core::naaccr`), abstracts
//!   and their change history (`core::abstracts`), roles, passwords and throttling
//!   (`core::auth`), the audit hash chain (`core::audit`), the shared `Problem` vocabulary. No
//!   HTTP, no SQL, no clock, no files.
//! - [`app`]: use cases (create, change, search, revert, login, accounts, audit) orchestrating
//!   core and store, each checking the caller and writing its audit event; called by both the
//!   HTTP handlers and the CLI.
//! - [`store`]: diesel over PostgreSQL and SQLite through one `AnyConnection`; migrations;
//!   one function per query.
//! - [`http`]: actix-web routes, DTOs, the JSON error envelope and the OpenAPI document.
//! - [`cli`]: the command line (`serve`, `migrate`, `dictionary`, `users`, `audit verify`).
//! - [`config`]: settings from flags and `REGISTRY_*`/`DATABASE_URL` environment variables.

pub mod app;
pub mod cli;
pub mod config;
pub mod core;
pub mod http;
pub mod store;
