//! `stats`: survival, log-rank, incidence and trend over NAACCR XML files (gz or not), as
//! CSV, JSON or charts (PNG, SVG).

use crate::app::stats::{
    Case, CaseOptions, Dim, GroupBy, IncidenceReport, IncidenceRequest, Population, SurvivalMethod,
    SurvivalRequest, TimeUnit, cases_of, incidence_report, logrank_report, site_recode,
    standard_population, survival_report, trend_report, us_rate_table,
};
use crate::app::{Clock, Dictionaries, SystemClock};
use crate::config::DatabaseConfig;
use crate::core::naaccr::xml::{MaybeGzip, NaaccrReader, Patient, ReaderOptions};
use crate::core::stats::ConfType;
use crate::core::stats::incidence::RateCi;
use crate::core::stats::ratetable::{RateTable, RateTableKind};
use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

/// Statistics.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Survival curves (Kaplan-Meier, actuarial, Ederer II relative, Pohar-Perme net) by group.
    Survival(SurvivalArgs),
    /// The log-rank test between groups.
    Logrank(LogrankArgs),
    /// Incidence: counts, crude and age-adjusted rates per 100,000 with their intervals.
    Incidence(IncidenceArgs),
    /// Annual percent change of age-adjusted rates, by group.
    Trend(TrendArgs),
}

/// Where the cases come from and how they are taken.
#[derive(Debug, Args)]
pub struct CaseArgs {
    /// NAACCR XML files (gz or not); repeat the flag for several.
    #[arg(long = "input", required_unless_present = "database")]
    pub inputs: Vec<PathBuf>,
    /// Every stored abstract instead of files (and, for incidence without --population, the
    /// stored population).
    #[arg(long, conflicts_with = "inputs")]
    pub database: bool,
    /// Study cutoff: a date (2024-12-31) or a year (2024 = 31 December).
    #[arg(long, default_value = "")]
    pub cutoff: String,
    /// Only first primaries (Sequence Number--Central 00 or 01).
    #[arg(long)]
    pub first_primary: bool,
    /// Follow people alive to the cutoff (SEER's presumed-alive survival).
    #[arg(long)]
    pub presumed_alive: bool,
    /// Suppress for release as the report API does for researchers: hide counts from 1 to N
    /// and enough others that none can be worked out, with every figure from them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub suppress: Option<u64>,
}

/// `stats survival`.
#[derive(Debug, Args)]
pub struct SurvivalArgs {
    #[command(flatten)]
    cases: CaseArgs,
    /// km, actuarial, ederer2 or pohar-perme.
    #[arg(long, default_value = "km")]
    method: String,
    /// days or months (SEER survival months).
    #[arg(long, default_value = "days")]
    time_unit: String,
    /// Report at these times (in the time unit), comma-separated, instead of every death.
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Actuarial interval width in the time unit (default 12 months or 365 days).
    #[arg(long, default_value_t = 0.0)]
    interval: f64,
    /// log-log, log or plain.
    #[arg(long, default_value = "log-log")]
    conf_type: String,
    /// Group by an item (naaccrId) or `site-group` (SEER site recode).
    #[arg(long)]
    group_by: Option<String>,
    /// Life table for relative and net survival (layout of schemas/stats/lifetables; default:
    /// the US table shipped there).
    #[arg(long)]
    ratetable: Option<PathBuf>,
    /// How the life table's years advance: us (on the birthday, R's survexp.us) or calendar
    /// (on 1 January, e.g. relsurv's slopop).
    #[arg(long, default_value = "us")]
    ratetable_type: String,
    /// Days in a year of age of a calendar-type table (365.241 for slopop).
    #[arg(long, default_value_t = 365.25)]
    ratetable_year_days: f64,
    /// csv, json, png or svg.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Output file (default: standard output; required for png and svg).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `stats logrank`.
#[derive(Debug, Args)]
pub struct LogrankArgs {
    #[command(flatten)]
    cases: CaseArgs,
    /// Group by an item (naaccrId) or `site-group`.
    #[arg(long)]
    group_by: String,
    /// days or months.
    #[arg(long, default_value = "days")]
    time_unit: String,
    /// csv or json.
    #[arg(long, default_value = "csv")]
    format: String,
}

/// `stats incidence`.
#[derive(Debug, Args)]
pub struct IncidenceArgs {
    #[command(flatten)]
    cases: CaseArgs,
    /// Population CSV: year,county,sex,age_group,population (default with --database: the
    /// stored population).
    #[arg(long, required_unless_present = "database")]
    population: Option<PathBuf>,
    /// us2000, segi or who2000.
    #[arg(long, default_value = "us2000")]
    standard: String,
    /// Columns: any of year, sex, site-group, county, age-group (comma-separated; age-group
    /// gives age-specific rates).
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Diagnosis years FROM-TO.
    #[arg(long)]
    years: Option<String>,
    /// tiwari or fay-feuer.
    #[arg(long, default_value = "tiwari")]
    ci: String,
    /// csv, json, png or svg.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Output file (default: standard output; required for png and svg).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `stats trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    #[command(flatten)]
    incidence: IncidenceArgs,
    /// Weight years by 1/Var(ln rate), as SEER*Stat does.
    #[arg(long)]
    weighted: bool,
}

fn parse_cutoff(s: &str, today: NaiveDate) -> Result<NaiveDate> {
    if s.is_empty() {
        return Ok(today);
    }
    if let Ok(year) = s.parse::<i32>() {
        return NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| anyhow!("--cutoff {s}: no such year"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("--cutoff {s}: give a date (2024-12-31) or a year (2024)"))
}

/// The cases of the files, or of the database with `--database`.
async fn read_cases(
    db: &DatabaseConfig,
    dictionaries: &Dictionaries,
    args: &CaseArgs,
    group_by: GroupBy,
) -> Result<Vec<Case>> {
    if args.database {
        let registry = super::offline_registry(db)?;
        let cutoff = parse_cutoff(&args.cutoff, SystemClock.now().date())?;
        let by = match &group_by {
            GroupBy::None => String::new(),
            GroupBy::SiteGroup => "site-group".to_owned(),
            GroupBy::Item(id) => id.clone(),
        };
        let ctx = crate::app::auth::RequestContext::system("stats");
        return registry
            .stored_cases(&ctx, cutoff, &by, args.presumed_alive, args.first_primary)
            .await
            .map_err(|e| anyhow!("{e}"));
    }
    read_file_cases(dictionaries, args, group_by)
}

/// Reads every patient of the files into cases.
fn read_file_cases(
    dictionaries: &Dictionaries,
    args: &CaseArgs,
    group_by: GroupBy,
) -> Result<Vec<Case>> {
    let labels = group_by.clone();
    let today = SystemClock.now().date();
    let options = CaseOptions {
        cutoff: parse_cutoff(&args.cutoff, today)?,
        today,
        presumed_alive: args.presumed_alive,
        first_primary_only: args.first_primary,
        group_by,
    };
    let recode = site_recode().map_err(|e| anyhow!(e))?;
    let provider = |v: &str| dictionaries.get(v).cloned();
    let mut cases = Vec::new();
    for path in &args.inputs {
        let name = path.display().to_string();
        let file = std::fs::File::open(path)
            .and_then(|f| MaybeGzip::detect(BufReader::with_capacity(256 * 1024, f)))
            .with_context(|| format!("{name}: cannot be read"))?;
        let mut reader = NaaccrReader::new(file, &provider, ReaderOptions::default())
            .map_err(|e| anyhow!(super::output::fatal_at(&name, &e)))?;
        let bar = super::output::patient_spinner(&name);
        let mut patient = Patient::default();
        let mut n = 0u64;
        while reader
            .read_patient_into(&mut patient)
            .map_err(|e| anyhow!(super::output::fatal_at(&name, &e)))?
        {
            cases.extend(cases_of(&patient, &recode, &options));
            n += 1;
            if n.is_multiple_of(4096) {
                bar.set_position(n);
            }
        }
        bar.finish_and_clear();
    }
    crate::app::stats::label_groups(&mut cases, &labels);
    Ok(cases)
}

/// A number for CSV: shortest exact form, `NA` when undefined.
fn num(x: f64) -> String {
    if x.is_nan() {
        "NA".into()
    } else {
        format!("{x}")
    }
}

/// Quotes a CSV field when needed.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn sink(out: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// Writes a report in `format`: csv or json to `out` (default standard output), png or svg
/// (a chart) to `out`.
fn emit<R: serde::Serialize>(
    report: &R,
    format: &str,
    out: Option<&Path>,
    csv: fn(&R, &mut dyn Write) -> std::io::Result<()>,
    chart: fn(&R, &str) -> Result<Vec<u8>>,
) -> Result<()> {
    match format {
        "csv" => csv(report, &mut *sink(out)?)?,
        "json" => {
            let mut w = sink(out)?;
            serde_json::to_writer_pretty(&mut w, report)?;
            writeln!(w)?;
        }
        "png" | "svg" => {
            let out = out.ok_or_else(|| anyhow!("--format {format} needs --out FILE"))?;
            std::fs::write(out, chart(report, format)?)
                .with_context(|| format!("cannot write {}", out.display()))?;
        }
        other => bail!("--format {other}: use csv, json, png or svg"),
    }
    Ok(())
}

fn report_exclusions(excluded: &std::collections::BTreeMap<String, u64>, used: u64) {
    let left: u64 = excluded.values().sum();
    eprintln!("{used} tumors analysed, {left} left out");
    for (why, n) in excluded {
        eprintln!("  {n:>9}  {why}");
    }
}

fn load_rate_table(args: &SurvivalArgs) -> Result<RateTable> {
    let Some(path) = &args.ratetable else {
        return us_rate_table().map_err(|e| anyhow!(e));
    };
    let kind = match args.ratetable_type.as_str() {
        "us" => RateTableKind::Us,
        "calendar" => RateTableKind::Calendar {
            year_days: args.ratetable_year_days,
        },
        other => bail!("--ratetable-type {other}: use us or calendar"),
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    RateTable::from_csv(&text, kind).map_err(|e| anyhow!("{}: {e}", path.display()))
}

async fn incidence_of(
    db: &DatabaseConfig,
    dictionaries: &Dictionaries,
    args: &IncidenceArgs,
) -> Result<IncidenceReport> {
    let by: Vec<Dim> = args
        .by
        .iter()
        .map(|b| {
            Dim::parse(b)
                .ok_or_else(|| anyhow!("--by {b}: use year, sex, site-group, county or age-group"))
        })
        .collect::<Result<_>>()?;
    let standard = standard_population(&args.standard)
        .ok_or_else(|| anyhow!("--standard {}: use us2000, segi or who2000", args.standard))?;
    let ci = RateCi::parse(&args.ci)
        .ok_or_else(|| anyhow!("--ci {}: use tiwari or fay-feuer", args.ci))?;
    let years = match &args.years {
        None => None,
        Some(y) => {
            let (a, b) = y
                .split_once('-')
                .ok_or_else(|| anyhow!("--years {y}: give FROM-TO"))?;
            let (a, b): (i32, i32) = (
                a.trim().parse().with_context(|| format!("--years {y}"))?,
                b.trim().parse().with_context(|| format!("--years {y}"))?,
            );
            if a > b {
                bail!("--years {y}: FROM is after TO");
            }
            Some((a, b))
        }
    };
    let rows = match &args.population {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Population::parse_csv(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => {
            let registry = super::offline_registry(db)?;
            let rows = registry
                .stored_population()
                .await
                .map_err(|e| anyhow!("{e}"))?;
            if rows.is_empty() {
                bail!(
                    "no population is stored: import one with `tumor-registry population import FILE`, or give --population FILE"
                );
            }
            rows
        }
    };
    let population = Population::from_rows(&rows);
    let cases = read_cases(db, dictionaries, &args.cases, GroupBy::None).await?;
    let report = incidence_report(
        &cases,
        &population,
        &IncidenceRequest {
            by,
            years,
            standard,
            ci,
        },
    );
    report_exclusions(&report.excluded, report.cases);
    Ok(report)
}

/// Runs a `stats` subcommand.
pub async fn run_stats(db: &DatabaseConfig, cmd: StatsCommand) -> Result<()> {
    let dictionaries = Dictionaries::load(&db.user_dictionaries)?;
    match cmd {
        StatsCommand::Survival(args) => {
            let method = SurvivalMethod::parse(&args.method).ok_or_else(|| {
                anyhow!(
                    "--method {}: use km, actuarial, ederer2 or pohar-perme",
                    args.method
                )
            })?;
            let time_unit = TimeUnit::parse(&args.time_unit)
                .ok_or_else(|| anyhow!("--time-unit {}: use days or months", args.time_unit))?;
            let conf_type = ConfType::parse(&args.conf_type).ok_or_else(|| {
                anyhow!("--conf-type {}: use log-log, log or plain", args.conf_type)
            })?;
            let table = match method {
                SurvivalMethod::EdererII | SurvivalMethod::PoharPerme => {
                    Some(load_rate_table(&args)?)
                }
                _ => None,
            };
            let cases = read_cases(
                db,
                &dictionaries,
                &args.cases,
                GroupBy::parse(args.group_by.as_deref()),
            )
            .await?;
            let report = survival_report(
                &cases,
                &SurvivalRequest {
                    method,
                    time_unit,
                    times: args.times.clone(),
                    interval: args.interval,
                    conf_type,
                    level: 0.95,
                },
                table.as_ref(),
            );
            report_exclusions(&report.excluded, report.cases);
            let mut report = report;
            if let Some(n) = args.cases.suppress {
                crate::app::reports::suppress_survival(&mut report, n);
            }
            emit(
                &report,
                &args.format,
                args.out.as_deref(),
                crate::app::stats::write_survival_csv,
                crate::app::charts::survival_chart_bytes,
            )
        }
        StatsCommand::Logrank(args) => {
            let unit = TimeUnit::parse(&args.time_unit)
                .ok_or_else(|| anyhow!("--time-unit {}: use days or months", args.time_unit))?;
            let cases = read_cases(
                db,
                &dictionaries,
                &args.cases,
                GroupBy::parse(Some(&args.group_by)),
            )
            .await?;
            let (labels, test, excluded) = logrank_report(&cases, unit);
            report_exclusions(&excluded, test.groups.iter().map(|g| g.n).sum());
            let mut out = std::io::stdout().lock();
            if args.format == "json" {
                let groups: Vec<serde_json::Value> = labels
                    .iter()
                    .zip(&test.groups)
                    .map(|(l, g)| serde_json::json!({"group": l, "n": g.n, "observed": g.observed, "expected": g.expected}))
                    .collect();
                let v = serde_json::json!({
                    "test": "log-rank (R survdiff, rho = 0)",
                    "groups": groups,
                    "chi_square": test.chi_square,
                    "df": test.df,
                    "p_value": test.p_value,
                    "excluded": excluded,
                });
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                writeln!(out, "group,n,observed,expected")?;
                for (l, g) in labels.iter().zip(&test.groups) {
                    writeln!(
                        out,
                        "{},{},{},{}",
                        field(l),
                        g.n,
                        num(g.observed),
                        num(g.expected)
                    )?;
                }
                writeln!(out)?;
                writeln!(out, "chi_square,df,p_value")?;
                writeln!(
                    out,
                    "{},{},{}",
                    num(test.chi_square),
                    test.df,
                    num(test.p_value)
                )?;
            }
            Ok(())
        }
        StatsCommand::Incidence(args) => {
            let mut report = incidence_of(db, &dictionaries, &args).await?;
            if let Some(n) = args.cases.suppress {
                crate::app::reports::suppress_incidence(&mut report, n);
            }
            emit(
                &report,
                &args.format,
                args.out.as_deref(),
                crate::app::stats::write_incidence_csv,
                crate::app::charts::incidence_chart_bytes,
            )
        }
        StatsCommand::Trend(args) => {
            let mut inc = args.incidence;
            if !inc.by.iter().any(|b| b == "year") {
                inc.by.insert(0, "year".into());
            }
            let mut report = incidence_of(db, &dictionaries, &inc).await?;
            if let Some(n) = inc.cases.suppress {
                crate::app::reports::suppress_incidence(&mut report, n);
            }
            let trends = trend_report(&report, args.weighted);
            match inc.format.as_str() {
                "csv" | "json" => {
                    let mut w = sink(inc.out.as_deref())?;
                    if inc.format == "json" {
                        let v: Vec<serde_json::Value> = trends
                            .iter()
                            .map(|t| match &t.fit {
                                Ok(f) => serde_json::json!({"group": t.group, "apc": f.apc, "lower": f.lower, "upper": f.upper, "p_value": f.p_value, "df": f.df, "weighted": args.weighted}),
                                Err(e) => serde_json::json!({"group": t.group, "error": e}),
                            })
                            .collect();
                        serde_json::to_writer_pretty(&mut w, &v)?;
                        writeln!(w)?;
                    } else {
                        writeln!(w, "group,apc,lower,upper,p_value")?;
                        for t in &trends {
                            match &t.fit {
                                Ok(f) => writeln!(
                                    w,
                                    "{},{},{},{},{}",
                                    field(&t.group),
                                    num(f.apc),
                                    num(f.lower),
                                    num(f.upper),
                                    num(f.p_value)
                                )?,
                                Err(e) => {
                                    eprintln!("{}: {e}", t.group);
                                    writeln!(w, "{},NA,NA,NA,NA", field(&t.group))?;
                                }
                            }
                        }
                    }
                }
                "png" | "svg" => {
                    let out = inc
                        .out
                        .as_deref()
                        .ok_or_else(|| anyhow!("--format {} needs --out FILE", inc.format))?;
                    crate::app::charts::trend_chart(&trends, out, &inc.format, args.weighted)?;
                }
                other => bail!("--format {other}: use csv, json, png or svg"),
            }
            Ok(())
        }
    }
}
