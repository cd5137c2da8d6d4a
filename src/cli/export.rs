//! `export`: abstracts from the database as NAACCR XML, with a progress bar and a summary.

use super::offline_registry;
use super::output::Output;
use crate::app::auth::RequestContext;
use crate::app::exports::ExportRequest;
use crate::app::search::FilterInput;
use crate::config::DatabaseConfig;
use crate::core::naaccr::dictionary::RecordType;
use anyhow::{Result, anyhow};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output file; gzip-compressed when its name ends in .gz.
    #[arg(long)]
    pub out: PathBuf,
    /// Record type: A (full abstract), M (modified), C (confidential), I (incidence: no
    /// confidential items).
    #[arg(long, default_value = "A")]
    pub record_type: String,
    /// NAACCR version of the file; records validated against another version are left out.
    #[arg(long, default_value = "260")]
    pub dictionary_version: String,
    /// Tumors diagnosed on or after (CCYYMMDD, CCYYMM or CCYY).
    #[arg(long)]
    pub diagnosis_from: Option<String>,
    /// Tumors diagnosed on or before (CCYYMMDD, CCYYMM or CCYY).
    #[arg(long)]
    pub diagnosis_to: Option<String>,
    /// Tumors of this reporting facility.
    #[arg(long)]
    pub facility: Option<String>,
    /// Tumors of these primary sites (comma-separated ICD-O-3 codes).
    #[arg(long)]
    pub primary_site: Option<String>,
}

/// Runs `export`.
pub async fn run_export(db: &DatabaseConfig, args: ExportArgs) -> Result<()> {
    let record_type = RecordType::parse(&args.record_type)
        .ok_or_else(|| anyhow!("--record-type must be A, M, C or I"))?;
    let registry = offline_registry(db)?;
    let out = Output::create(&args.out)?;
    let request = ExportRequest {
        filter: FilterInput {
            primary_site: args.primary_site.clone(),
            diagnosis_from: args.diagnosis_from.clone(),
            diagnosis_to: args.diagnosis_to.clone(),
            facility: args.facility.clone(),
        },
        record_type,
        dictionary_version: args.dictionary_version.clone(),
    };
    let bar = super::output::patient_spinner(&args.out.display().to_string());
    let tick = bar.clone();
    let progress = move |n: u64| tick.set_position(n);
    let started = Instant::now();
    let ctx = RequestContext::system("export");
    let (summary, out) = registry
        .export(&ctx, request, out, progress)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    out.finish()?;
    bar.finish_and_clear();
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} patients, {} tumors (record type {}, NAACCR {}), {:.1} MB in {:.2} s ({:.0} MB/s)",
        args.out.display(),
        summary.patients,
        summary.tumors,
        record_type.as_str(),
        args.dictionary_version,
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    if summary.skipped_other_version > 0 {
        eprintln!(
            "  {} patients left out: validated against another NAACCR version (export them with --dictionary-version)",
            summary.skipped_other_version
        );
    }
    Ok(())
}
