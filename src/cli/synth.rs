//! `synth`: realistic synthetic NAACCR XML, reproducible from a seed.

use super::output::Output;
use crate::app::Dictionaries;
use crate::app::synth::{SYNTH_NAACCR_VERSION, builtin_tables, write_synthetic};
use crate::config::DatabaseConfig;
use crate::core::synth::SynthOptions;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

/// `synth` arguments.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of patient records (reports of the same person again included).
    #[arg(long)]
    pub patients: usize,
    /// Seed: the same seed gives the same file, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file; gzip-compressed when its name ends in .gz.
    #[arg(long)]
    pub out: PathBuf,
    /// NAACCR version of the items (only 260 is generated today).
    #[arg(long, default_value = SYNTH_NAACCR_VERSION)]
    pub dictionary_version: String,
    /// Share of records that report an earlier person again, with realistic typos (0-0.5).
    #[arg(long, default_value_t = 0.0)]
    pub duplicates: f64,
    /// First year of diagnosis.
    #[arg(long, default_value_t = 2010)]
    pub first_year: i32,
    /// Last year of diagnosis.
    #[arg(long, default_value_t = 2024)]
    pub last_year: i32,
    /// End of follow-up (YYYY-MM-DD): no contact or death after it.
    #[arg(long, default_value = "2025-12-31")]
    pub cutoff: NaiveDate,
    /// Also write population denominators that go with the data (year,county,sex,age_group,
    /// population: ~450 tumors per 100,000 a year, US 2000 age structure), for
    /// `stats incidence --population` and `population import`.
    #[arg(long)]
    pub population_out: Option<PathBuf>,
}

/// Runs `synth`.
pub fn run_synth(db: &DatabaseConfig, args: SynthArgs) -> Result<()> {
    if args.dictionary_version != SYNTH_NAACCR_VERSION {
        bail!(
            "synthetic data is generated for NAACCR {SYNTH_NAACCR_VERSION} only, not {}",
            args.dictionary_version
        );
    }
    let dictionaries =
        Dictionaries::load(&db.user_dictionaries).context("cannot load the NAACCR dictionaries")?;
    let Some(dictionary) = dictionaries.get(SYNTH_NAACCR_VERSION) else {
        bail!("no NAACCR {SYNTH_NAACCR_VERSION} dictionary");
    };
    let tables = builtin_tables().context("the tables in schemas/synth are invalid")?;
    let options = SynthOptions {
        patients: args.patients,
        first_dx_year: args.first_year,
        last_dx_year: args.last_year,
        study_cutoff: args.cutoff,
        duplicates_rate: args.duplicates,
    };
    let out = Output::create(&args.out)?;
    let bar = ProgressBar::new(args.patients as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} patients {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(args.out.display().to_string());
    let tick = bar.clone();
    let started = Instant::now();
    let progress = move |n: usize| {
        if n.is_multiple_of(256) {
            tick.set_position(n as u64);
        }
    };
    write_synthetic(&tables, dictionary, &options, args.seed, out, progress)?.finish()?;
    bar.finish_and_clear();
    if let Some(path) = &args.population_out {
        write_population(&tables, &options, path)?;
    }
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} patients (seed {}), {:.1} MB in {:.2} s ({:.0} MB/s)",
        args.out.display(),
        args.patients,
        args.seed,
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(())
}

/// Writes the population denominators of the synthetic data.
fn write_population(
    tables: &crate::core::synth::SynthTables,
    options: &SynthOptions,
    path: &std::path::Path,
) -> Result<()> {
    use crate::core::stats::incidence::AGE_GROUPS_19;
    use std::io::Write;
    let standard = crate::app::stats::standard_population("us2000")
        .context("the US 2000 standard population is missing")?;
    let mut shares = [0.0f64; 19];
    for (slot, (_, w)) in shares.iter_mut().zip(&standard.groups) {
        *slot = *w;
    }
    let rows = crate::core::synth::population(tables, options, &shares);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(out, "year,county,sex,age_group,population")?;
    for r in &rows {
        writeln!(
            out,
            "{},{},{},{},{}",
            r.year,
            r.county,
            r.sex,
            AGE_GROUPS_19.get(r.age_group).copied().unwrap_or("85+"),
            r.population
        )?;
    }
    out.flush()?;
    eprintln!("{}: {} population rows", path.display(), rows.len());
    Ok(())
}
