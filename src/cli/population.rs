//! `population import`: population denominators into the database.

use crate::app::stats::Population;
use crate::config::DatabaseConfig;
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use std::path::PathBuf;

/// Population denominators.
#[derive(Debug, Subcommand)]
pub enum PopulationCommand {
    /// Import a CSV `year,county,sex,age_group,population` (sex 1 male, 2 female; the 19 age
    /// groups 00, 01-04, 05-09, ..., 80-84, 85+). The rows of every year and county in the file
    /// replace those stored; a file with a bad line is refused whole.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Runs `population`.
pub async fn run_population(db: &DatabaseConfig, cmd: PopulationCommand) -> Result<()> {
    match cmd {
        PopulationCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rows =
                Population::parse_csv(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let registry = super::offline_registry(db)?;
            let (replaced, written) = registry
                .import_population(rows)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            eprintln!(
                "{}: {written} population rows stored ({replaced} replaced)",
                file.display()
            );
            Ok(())
        }
    }
}
