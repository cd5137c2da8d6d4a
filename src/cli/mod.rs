//! The command line: one binary whose subcommands are the server and the batch tools.

mod edits;
mod export;
mod import;
mod output;
mod population;
mod security;
mod stats;
mod synth;
mod xml;

use crate::app::auth::{Auth, AuthSettings, SigningKeys};
use crate::app::jobs::{Jobs, Spool};
use crate::app::{Dictionaries, Registry, SystemClock};
use crate::config::{DatabaseConfig, ServeConfig};
use crate::http::{HttpSettings, build_app};
use crate::store::{Backend, DatabaseUrl, Db};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::sync::Arc;

/// tumor-registry: a cancer registry service for NAACCR abstracts.
#[derive(Debug, Parser)]
#[command(name = "tumor-registry", version, about, long_about = None)]
pub struct Cli {
    /// Where the data lives, and which dictionaries to load.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP service (creates and migrates the database on start).
    Serve(ServeConfig),
    /// Create the database if needed and run pending migrations, then exit.
    Migrate,
    /// Look up the NAACCR data dictionary.
    #[command(subcommand)]
    Dictionary(DictionaryCommand),
    /// Manage accounts (works on the database directly; audited as the command line).
    #[command(subcommand)]
    Users(security::UsersCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(security::AuditCommand),
    /// Export abstracts as NAACCR XML (gzip when the name ends in .gz).
    Export(export::ExportArgs),
    /// Import NAACCR XML files (gzip or not) into the database.
    Import(import::ImportArgs),
    /// Write realistic synthetic NAACCR XML, reproducible from a seed (no database needed).
    Synth(synth::SynthArgs),
    /// NAACCR XML files: validate (no database needed).
    #[command(subcommand)]
    Xml(xml::XmlCommand),
    /// The edits: run a set over NAACCR XML files, try an expression, list (no database
    /// needed).
    #[command(subcommand)]
    Edits(edits::EditsCommand),
    /// Statistics over NAACCR XML files: survival, log-rank, incidence, trend (CSV, JSON, PNG,
    /// SVG; no database needed).
    #[command(subcommand)]
    Stats(stats::StatsCommand),
    /// Population denominators for incidence reports (stored in the database).
    #[command(subcommand)]
    Population(population::PopulationCommand),
}

/// Dictionary look-ups for support staff.
#[derive(Debug, Subcommand)]
pub enum DictionaryCommand {
    /// Show one item's definition (by naaccrId or naaccrNum) in every loaded version.
    Show {
        /// naaccrId (primarySite) or naaccrNum (400).
        item: String,
        /// Only this NAACCR version (e.g. 250).
        #[arg(long = "naaccr-version")]
        naaccr_version: Option<String>,
    },
    /// List the loaded dictionary versions with their item counts.
    List,
}

/// Runs the parsed command line; the exit status to end with.
pub async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    match cli.command {
        Command::Xml(cmd) => return xml::run_xml(&cli.database, cmd),
        Command::Edits(edits::EditsCommand::Run {
            database: true,
            set,
            ..
        }) => return edits::run_edits_on_database(&cli.database, set).await,
        Command::Edits(cmd) => return edits::run_edits(&cli.database, cmd),
        Command::Import(args) => return import::run_import(&cli.database, args).await,
        _ => {}
    }
    run_other(cli)
        .await
        .map(|()| std::process::ExitCode::SUCCESS)
}

async fn run_other(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(serve) => run_serve(&cli.database, &serve).await,
        Command::Migrate => {
            let url = DatabaseUrl::parse(&cli.database.database_url)?;
            let db = Db::open(&url, 1).context("cannot open the database")?;
            println!("{} database is migrated", db.backend().as_str());
            Ok(())
        }
        Command::Dictionary(cmd) => run_dictionary(&cli.database, cmd),
        Command::Users(cmd) => security::run_users(&cli.database, cmd).await,
        Command::Audit(cmd) => security::run_audit(&cli.database, cmd).await,
        Command::Xml(cmd) => xml::run_xml(&cli.database, cmd).map(|_| ()),
        Command::Edits(cmd) => edits::run_edits(&cli.database, cmd).map(|_| ()),
        Command::Import(args) => import::run_import(&cli.database, args).await.map(|_| ()),
        Command::Synth(args) => synth::run_synth(&cli.database, args),
        Command::Export(args) => export::run_export(&cli.database, args).await,
        Command::Stats(cmd) => stats::run_stats(&cli.database, cmd).await,
        Command::Population(cmd) => population::run_population(&cli.database, cmd).await,
    }
}

/// A registry for a command-line tool: the database, the dictionaries, and an ephemeral
/// signing key (command-line tools issue no tokens).
pub(crate) fn offline_registry(db_config: &DatabaseConfig) -> Result<Registry> {
    let dictionaries = Dictionaries::load(&db_config.user_dictionaries)
        .context("cannot load the NAACCR dictionaries")?;
    let url = DatabaseUrl::parse(&db_config.database_url)?;
    let db = Db::open(&url, 2).context("cannot open the database")?;
    let auth = Auth::new(AuthSettings::new(SigningKeys::generate()?))?;
    Ok(Registry::new(
        db,
        Arc::new(dictionaries),
        Arc::new(SystemClock),
        Arc::new(auth),
    ))
}

async fn run_serve(db_config: &DatabaseConfig, serve: &ServeConfig) -> Result<()> {
    let dictionaries = Dictionaries::load(&db_config.user_dictionaries)
        .context("cannot load the NAACCR dictionaries")?;
    let url = DatabaseUrl::parse(&db_config.database_url)?;
    let keys = security::signing_keys(&url, &db_config.database_url, &serve.security)?;
    let db = Db::open(&url, db_config.pool_size).context("cannot open the database")?;
    let auth = Auth::new(AuthSettings::new(keys))?;
    let on_save = Some(serve.edits_on_save.clone()).filter(|s| s != "none");
    let registry = Registry::new(
        db,
        Arc::new(dictionaries),
        Arc::new(SystemClock),
        Arc::new(auth),
    )
    .with_edits_on_save(on_save, serve.edits_block_save)
    .with_suppression_threshold(serve.suppression_threshold);
    registry
        .check_edits()
        .map_err(|e| anyhow::anyhow!("cannot start: {e}"))?;
    match registry.load_custom_edits().await {
        Ok(n) if n > 0 => eprintln!("{n} custom edit(s) in service"),
        Ok(_) => {}
        Err(e) => eprintln!(
            "warning: the registry's own edits do not compile with this version ({e}); only the built-in edits are in service"
        ),
    }
    if let Some(password) = registry
        .bootstrap_admin(serve.security.admin_password.clone())
        .await
        // Names the rules a REGISTRY_ADMIN_PASSWORD breaks, not just their count.
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create the admin account: {}",
                security::describe(&e)
            )
        })?
    {
        println!("Created the account 'admin' with the password:\n\n    {password}\n");
        println!(
            "It is shown only this once. Log in and create personal accounts; then disable 'admin' or change its password."
        );
    }
    let settings = HttpSettings {
        max_body_bytes: serve.max_body_bytes,
        client_ip_header: serve.security.client_ip_header.clone(),
        max_upload_bytes: serve.max_upload_bytes,
    };
    let spool_dir = serve
        .spool_dir
        .clone()
        .unwrap_or_else(|| match url.backend() {
            Backend::Sqlite => security::beside_database(&db_config.database_url, "spool"),
            Backend::Postgres => std::path::PathBuf::from("registry-spool"),
        });
    let spool = Spool::open(&spool_dir)
        .with_context(|| format!("cannot open the spool directory {}", spool_dir.display()))?;
    let jobs = Jobs::new(
        registry.clone(),
        spool,
        chrono::Duration::hours(i64::from(serve.export_retention_hours)),
    );
    let interrupted = jobs
        .recover()
        .await
        .map_err(|e| anyhow::anyhow!("cannot recover the jobs of the last run: {e}"))?;
    if interrupted > 0 {
        eprintln!(
            "warning: {interrupted} import or export job(s) were interrupted by the last stop and are marked failed; send them again"
        );
    }
    let backend = registry.db().backend();
    let app_registry = registry.clone();
    let mut server = actix_web::HttpServer::new(move || {
        build_app(app_registry.clone(), jobs.clone(), settings.clone())
    });
    if let Some(workers) = serve.workers {
        server = server.workers(workers);
    }
    let scheme = match (&serve.security.tls_cert, &serve.security.tls_key) {
        (Some(cert), Some(key)) => {
            server = server.bind_rustls_0_23(serve.bind, security::tls_config(cert, key)?)?;
            "https"
        }
        _ => {
            server = server.bind(serve.bind)?;
            "http"
        }
    };
    if backend == Backend::Postgres && scheme == "http" && !serve.bind.ip().is_loopback() {
        eprintln!(
            "warning: serving plain HTTP on a non-loopback address; put a TLS-terminating proxy in front or use --tls-cert/--tls-key"
        );
    }
    tracing::info!(bind = %serve.bind, backend = backend.as_str(), "tumor-registry listening");
    println!(
        "tumor-registry listening on {scheme}://{} ({} database)",
        serve.bind,
        backend.as_str()
    );
    server.run().await?;
    Ok(())
}

fn run_dictionary(db_config: &DatabaseConfig, cmd: DictionaryCommand) -> Result<()> {
    let dictionaries = Dictionaries::load(&db_config.user_dictionaries)
        .context("cannot load the NAACCR dictionaries")?;
    match cmd {
        DictionaryCommand::List => {
            for (version, set) in dictionaries.iter() {
                println!(
                    "{version}  {} items  {}",
                    set.item_count(),
                    set.base().map(|b| b.uri()).unwrap_or_default()
                );
                for u in set.user_dictionaries() {
                    println!("       + user dictionary {}", u.uri());
                }
            }
            Ok(())
        }
        DictionaryCommand::Show {
            item,
            naaccr_version,
        } => {
            let mut found = false;
            for (version, set) in dictionaries.iter() {
                if naaccr_version.as_deref().is_some_and(|v| v != version) {
                    continue;
                }
                let hit = match item.parse::<u32>() {
                    Ok(num) => set.item_by_num(num),
                    Err(_) => set.item(&item),
                };
                if let Some(def) = hit {
                    found = true;
                    print_item(version, def);
                }
            }
            if !found {
                bail!("no item '{item}' in the loaded dictionaries");
            }
            Ok(())
        }
    }
}

fn print_item(version: &str, def: &crate::core::naaccr::ItemDef) {
    println!("NAACCR {version}");
    println!("  naaccrId          {}", def.naaccr_id);
    println!("  naaccrNum         {}", def.naaccr_num);
    if let Some(name) = &def.naaccr_name {
        println!("  naaccrName        {name}");
    }
    println!("  parentXmlElement  {}", def.parent.as_str());
    println!("  dataType          {}", def.data_type.as_str());
    println!("  length            {}", def.length);
    println!("  padding           {}", def.padding.as_str());
    println!(
        "  recordTypes       {}",
        def.record_types
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("  allowUnlimitedText {}", def.allow_unlimited_text);
    if let Some(r) = def.regex_pattern() {
        println!("  regexValidation   {r}");
    }
}
