//! The command line: one binary whose subcommands are the server and the batch tools.

use crate::app::{Dictionaries, Registry, SystemClock};
use crate::config::{DatabaseConfig, ServeConfig};
use crate::http::{HttpSettings, build_app};
use crate::store::{DatabaseUrl, Db};
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

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(serve) => run_serve(&cli.database, &serve).await,
        Command::Migrate => {
            let url = DatabaseUrl::parse(&cli.database.database_url)?;
            let db = Db::open(&url, 1).context("cannot open the database")?;
            println!("{} database is migrated", db.backend().as_str());
            Ok(())
        }
        Command::Dictionary(cmd) => run_dictionary(&cli.database, cmd),
    }
}

async fn run_serve(db_config: &DatabaseConfig, serve: &ServeConfig) -> Result<()> {
    let dictionaries = Dictionaries::load(&db_config.user_dictionaries)
        .context("cannot load the NAACCR dictionaries")?;
    let url = DatabaseUrl::parse(&db_config.database_url)?;
    let db = Db::open(&url, db_config.pool_size).context("cannot open the database")?;
    let registry = Registry::new(db, Arc::new(dictionaries), Arc::new(SystemClock));
    let settings = HttpSettings {
        max_body_bytes: serve.max_body_bytes,
    };
    tracing::info!(
        bind = %serve.bind,
        backend = registry.db().backend().as_str(),
        "tumor-registry listening"
    );
    println!(
        "tumor-registry listening on http://{} ({} database)",
        serve.bind,
        registry.db().backend().as_str()
    );
    let mut server =
        actix_web::HttpServer::new(move || build_app(registry.clone(), settings.clone()))
            .bind(serve.bind)?;
    if let Some(workers) = serve.workers {
        server = server.workers(workers);
    }
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
