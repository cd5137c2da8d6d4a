//! `import`: NAACCR XML files into the database, with a progress bar and a summary.

use super::offline_registry;
use crate::app::AppError;
use crate::app::auth::RequestContext;
use crate::app::imports::{ImportMode, ImportOutcome, ImportRequest};
use crate::config::DatabaseConfig;
use crate::core::hex::lower_hex;
use crate::core::naaccr::xml::MaybeGzip;
use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// One transaction: nothing is written if any patient has a problem.
    All,
    /// Write the good patients; report the others.
    PerPatient,
}

/// `import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// NAACCR XML files (gzip or not).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// all: one transaction per file; per-patient: accept the good patients.
    #[arg(long, value_enum, default_value = "all")]
    pub mode: ModeArg,
    /// Check and report without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the JSON report of refused patients (default: FILE.rejected.json,
    /// written only when a patient was refused).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn sha256_of(path: &Path) -> Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok((lower_hex(&hasher.finalize()), size))
}

/// Runs `import`. Exit status 0 when every file was imported whole (or already), 1 when a
/// patient or file was refused, 2 when a file could not be opened.
pub async fn run_import(db: &DatabaseConfig, args: ImportArgs) -> Result<ExitCode> {
    let registry = offline_registry(db)?;
    let ctx = RequestContext::system("import");
    let mode = match args.mode {
        ModeArg::All => ImportMode::All,
        ModeArg::PerPatient => ImportMode::PerPatient,
    };
    let mut status = ExitCode::SUCCESS;
    for path in &args.files {
        let (sha256, size) = match sha256_of(path) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{}: cannot be read: {e:#}", path.display());
                status = ExitCode::from(2);
                continue;
            }
        };
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let input = MaybeGzip::detect(BufReader::with_capacity(256 * 1024, file))?;
        let bar = super::output::patient_spinner(&path.display().to_string());
        let tick = bar.clone();
        let started = Instant::now();
        let result = registry
            .import_file(
                &ctx,
                ImportRequest {
                    file_name: path.display().to_string(),
                    sha256,
                    mode,
                    dry_run: args.dry_run,
                    file_size: size,
                },
                input,
                move |n| tick.set_position(n),
            )
            .await;
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        let outcome = match result {
            Ok(o) => o,
            Err(AppError::ImportRefused(o)) => *o,
            Err(e) => return Err(anyhow!("{}: {e}", path.display())),
        };
        summarise(path, &outcome, secs, size);
        if !outcome.rejected.is_empty() || outcome.fatal.is_some() {
            status = ExitCode::from(1);
            let report = args
                .report
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{}.rejected.json", path.display())));
            std::fs::write(&report, serde_json::to_vec_pretty(&outcome)?)
                .with_context(|| format!("cannot write {}", report.display()))?;
            eprintln!("  report of refused patients: {}", report.display());
        }
    }
    Ok(status)
}

fn summarise(path: &Path, o: &ImportOutcome, secs: f64, size: u64) {
    if let Some(batch) = o.already_imported_as {
        eprintln!(
            "{}: already imported as batch {batch} (same SHA-256); nothing done",
            path.display()
        );
        return;
    }
    eprintln!(
        "{}: {} — {} patients read, {} imported, {} tumors, {} refused, in {:.2} s ({:.1} MB/s of file){}",
        path.display(),
        o.status,
        o.patients_read,
        o.patients_imported,
        o.tumors_imported,
        o.rejected.len(),
        secs,
        size as f64 / 1e6 / secs.max(1e-9),
        o.batch.map(|b| format!(", batch {b}")).unwrap_or_default()
    );
    let mut by_code: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &o.rejected {
        for p in &r.problems {
            *by_code.entry(p.code.as_str()).or_default() += 1;
        }
    }
    if let Some(f) = &o.fatal {
        *by_code.entry(f.code.as_str()).or_default() += 1;
        eprintln!(
            "  fatal: line {}, column {}: {} [{}]",
            f.line, f.column, f.message, f.code
        );
    }
    for (code, n) in by_code {
        eprintln!("  {n:>8}  {code}");
    }
}
