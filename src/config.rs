//! Settings: command-line flags, each with an environment variable, and defaults that run with
//! no configuration at all (an embedded SQLite file in the working directory).

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `postgres://user:pass@host/db` for PostgreSQL, or a SQLite file path
    /// (`registry.db`, `sqlite://path/to/file.db`). A SQLite file is created if missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "registry.db",
        global = true
    )]
    pub database_url: String,

    /// Most database connections held open at once.
    #[arg(long, env = "REGISTRY_POOL_SIZE", default_value_t = 8, global = true)]
    pub pool_size: u32,

    /// User-defined NAACCR dictionaries to load beside the base ones (repeat the flag, or
    /// separate paths with commas in the environment variable).
    #[arg(
        long = "user-dictionary",
        env = "REGISTRY_USER_DICTIONARIES",
        value_delimiter = ',',
        global = true
    )]
    pub user_dictionaries: Vec<PathBuf>,
}

/// How the HTTP service listens.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on. Keep it on loopback behind a TLS-terminating reverse proxy.
    #[arg(long, env = "REGISTRY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "REGISTRY_WORKERS")]
    pub workers: Option<usize>,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "REGISTRY_MAX_BODY_BYTES", default_value_t = crate::http::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
}
