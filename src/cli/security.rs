//! `users` and `audit` subcommands, signing keys and TLS settings of `serve`.

use super::offline_registry;
use crate::app::audit::AuditVerdict;
use crate::app::auth::{NewAccount, RequestContext, SigningKeys};
use crate::config::{DatabaseConfig, SecurityConfig};
use crate::core::auth::{FacilityScope, Role, UserId};
use crate::store::{Backend, DatabaseUrl};
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Account management.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. The password is read from REGISTRY_NEW_PASSWORD, or from the first
    /// line of standard input.
    Add {
        /// Login name.
        login: String,
        /// admin, central, registrar or researcher.
        #[arg(long)]
        role: String,
        /// A facility the account may see (repeat; registrars need at least one). Omit for all.
        #[arg(long = "facility")]
        facilities: Vec<String>,
    },
    /// List accounts.
    List,
    /// Disable an account; its sessions end at once.
    Disable {
        /// Account id.
        id: i64,
    },
    /// Set a new password (from REGISTRY_NEW_PASSWORD or standard input); sessions end.
    ResetPassword {
        /// Account id.
        id: i64,
    },
}

/// Audit trail tools.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every event's hash and link; names the first broken event (exit status 1).
    Verify,
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("REGISTRY_NEW_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn scope_of(facilities: &[String]) -> Result<FacilityScope> {
    if facilities.is_empty() || facilities.iter().any(|f| f == "*") {
        return Ok(FacilityScope::All);
    }
    facilities
        .join(",")
        .parse::<FacilityScope>()
        .map_err(|_| anyhow!("invalid facility codes"))
}

/// Runs a `users` subcommand.
pub async fn run_users(db: &DatabaseConfig, cmd: UsersCommand) -> Result<()> {
    let registry = offline_registry(db)?;
    let ctx = RequestContext::system("users");
    match cmd {
        UsersCommand::Add {
            login,
            role,
            facilities,
        } => {
            let role = Role::parse(&role)
                .ok_or_else(|| anyhow!("role must be admin, central, registrar or researcher"))?;
            let account = registry
                .add_account(
                    &ctx,
                    NewAccount {
                        login,
                        role,
                        scope: scope_of(&facilities)?,
                        password: read_password()?,
                    },
                )
                .await
                .map_err(|e| anyhow!(describe(&e)))?;
            println!("created account {} ({})", account.id, account.login);
        }
        UsersCommand::List => {
            let accounts = registry
                .list_accounts(&ctx)
                .await
                .map_err(|e| anyhow!(describe(&e)))?;
            println!(
                "{:>5}  {:<24} {:<11} {:<9} facilities",
                "id", "login", "role", "status"
            );
            for a in accounts {
                println!(
                    "{:>5}  {:<24} {:<11} {:<9} {}",
                    a.id,
                    a.login,
                    a.role.as_str(),
                    a.status.as_str(),
                    a.scope
                );
            }
        }
        UsersCommand::Disable { id } => {
            let a = registry
                .disable_account(&ctx, UserId(id))
                .await
                .map_err(|e| anyhow!(describe(&e)))?;
            println!(
                "disabled account {} ({}); its sessions have ended",
                a.id, a.login
            );
        }
        UsersCommand::ResetPassword { id } => {
            let a = registry
                .reset_password(&ctx, UserId(id), read_password()?)
                .await
                .map_err(|e| anyhow!(describe(&e)))?;
            println!(
                "new password set for account {} ({}); its sessions have ended",
                a.id, a.login
            );
        }
    }
    Ok(())
}

/// An application error for a person at a terminal, with every problem listed.
pub(crate) fn describe(e: &crate::app::AppError) -> String {
    match e {
        crate::app::AppError::Invalid(problems) => problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Runs an `audit` subcommand.
pub async fn run_audit(db: &DatabaseConfig, cmd: AuditCommand) -> Result<()> {
    let registry = offline_registry(db)?;
    match cmd {
        AuditCommand::Verify => match registry
            .verify_audit()
            .await
            .map_err(|e| anyhow!(describe(&e)))?
        {
            AuditVerdict::Intact { events } => {
                println!("audit trail intact: {events} events verified");
                Ok(())
            }
            AuditVerdict::Broken(link) => {
                bail!("audit trail BROKEN at event {}: {}", link.id, link.reason)
            }
        },
    }
}

/// The signing keys for `serve`: from the configured file, or (SQLite only) from a key file
/// beside the database, created with a fresh random key on first start.
pub fn signing_keys(
    url: &DatabaseUrl,
    raw_url: &str,
    config: &SecurityConfig,
) -> Result<SigningKeys> {
    let previous = config
        .jwt_previous_key_file
        .as_deref()
        .map(read_key)
        .transpose()?;
    let path = match (&config.jwt_key_file, url.backend()) {
        (Some(p), _) => p.clone(),
        (None, Backend::Sqlite) => beside_database(raw_url, "jwt-key"),
        (None, Backend::Postgres) => bail!(
            "with PostgreSQL, name the token signing key file with --jwt-key-file or REGISTRY_JWT_KEY_FILE \
             (create one with: head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' > registry.jwt-key)"
        ),
    };
    if !path.exists() {
        let keys = SigningKeys::generate()?;
        write_private(&path, &keys.current_as_text())?;
        eprintln!("created a new token signing key in {}", path.display());
    }
    Ok(SigningKeys::new(read_key(&path)?, previous)?)
}

/// `<database file>.<suffix>`: where the service keeps its files beside a SQLite database.
pub(crate) fn beside_database(raw_url: &str, suffix: &str) -> PathBuf {
    let file = raw_url
        .strip_prefix("sqlite://")
        .or_else(|| raw_url.strip_prefix("sqlite:"))
        .unwrap_or(raw_url);
    PathBuf::from(format!("{file}.{suffix}"))
}

fn read_key(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key {}", path.display()))?;
    SigningKeys::key_from_text(&text)
        .ok_or_else(|| anyhow!("{} is not a base64url key", path.display()))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// A rustls server configuration from PEM files.
pub fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a PEM private key from {}", key.display()))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not make a TLS configuration")
}
