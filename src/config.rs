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

    /// Largest NAACCR XML file accepted for import over HTTP, in bytes (streamed to disk).
    #[arg(long, env = "REGISTRY_MAX_UPLOAD_BYTES", default_value_t = crate::http::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: u64,

    /// Directory where uploaded files wait for their import and exports wait for download
    /// (it holds patient data: it is made private to the service's account). Default:
    /// `<database file>.spool` with SQLite, `registry-spool` in the working directory with
    /// PostgreSQL.
    #[arg(long, env = "REGISTRY_SPOOL_DIR")]
    pub spool_dir: Option<PathBuf>,

    /// Hours an export's file is kept for download.
    #[arg(long, env = "REGISTRY_EXPORT_RETENTION_HOURS", default_value_t = 24)]
    pub export_retention_hours: u32,

    /// The edit set run on every save through the API, its findings returned with the saved
    /// abstract (`none`: no edits on save).
    #[arg(long, env = "REGISTRY_EDITS_ON_SAVE", default_value = crate::app::DEFAULT_EDITS_ON_SAVE)]
    pub edits_on_save: String,

    /// Refuse a save (422 edits_failed, nothing written) while an error-level edit of the set
    /// run on save fails.
    #[arg(long, env = "REGISTRY_EDITS_BLOCK_SAVE")]
    pub edits_block_save: bool,

    /// The release policy of aggregate reports: researchers never see a count from 1 to this
    /// number, nor anything from which one can be worked out.
    #[arg(long, env = "REGISTRY_SUPPRESSION_THRESHOLD", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub suppression_threshold: u64,

    /// Keys, TLS, proxies.
    #[command(flatten)]
    pub security: SecurityConfig,
}

/// How the service signs tokens, listens securely and finds its clients' addresses.
#[derive(Debug, Clone, Args)]
pub struct SecurityConfig {
    /// File holding the token signing key (base64url, 32 bytes or more). With SQLite and no
    /// file named, `<database file>.jwt-key` is used, created on first start (mode 0600).
    /// Required with PostgreSQL.
    #[arg(long, env = "REGISTRY_JWT_KEY_FILE")]
    pub jwt_key_file: Option<PathBuf>,

    /// The previous signing key during a rotation: tokens it signed are still accepted until
    /// they expire (15 minutes). Remove it after that.
    #[arg(long, env = "REGISTRY_JWT_PREVIOUS_KEY_FILE")]
    pub jwt_previous_key_file: Option<PathBuf>,

    /// Password of the `admin` account created on the first start of an empty database
    /// (a random one is printed once when unset).
    #[arg(long, env = "REGISTRY_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// The header a trusted reverse proxy sets to the client address (e.g. X-Forwarded-For);
    /// unset: the socket's address. Set it only behind a proxy that overwrites the header.
    #[arg(long, env = "REGISTRY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// PEM certificate chain: serve HTTPS directly (with --tls-key).
    #[arg(long, env = "REGISTRY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of the certificate.
    #[arg(long, env = "REGISTRY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}
