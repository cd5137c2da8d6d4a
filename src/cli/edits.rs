//! `edits`: run the edits over NAACCR XML files, try an expression, list the edits.

use crate::app::edits::EditEngines;
use crate::app::{Clock, Dictionaries, SystemClock};
use crate::config::DatabaseConfig;
use crate::core::edits::definition::Severity;
use crate::core::edits::engine::{Failure, RunCounts};
use crate::core::edits::lang::{CompileEnv, EditLevel, EvalEnv, Mode, SlotRecord, compile};
use crate::core::naaccr::dictionary::ParentElement;
use crate::core::naaccr::xml::{MaybeGzip, NaaccrReader, Patient, ReaderOptions};
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// The edits.
#[derive(Debug, Subcommand)]
pub enum EditsCommand {
    /// Run an edit set over NAACCR XML files (gzip or not), or over the database with
    /// `--database` (the run and its failures are stored, and listed by the API). Exit status:
    /// 0 when no error-level edit failed, 1 when one did, 2 when a file could not be read.
    Run {
        /// The files.
        #[arg(required_unless_present = "database")]
        files: Vec<PathBuf>,
        /// Run over every stored abstract instead of files, and store the run.
        #[arg(long, conflicts_with = "files")]
        database: bool,
        /// The edit set: abstracting, hospital-submission, central-submission, iarc.
        #[arg(long, default_value = "abstracting")]
        set: String,
        /// Print one JSON object per failure on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Print the value of an expression of the edit language, for edit authors trying one out:
    /// `tumor-registry edits eval 'daydiff(dateOfDiagnosis, dateConclusiveDx, "max")' --item
    /// dateOfDiagnosis=20100115 --item dateConclusiveDx=201004`.
    Eval {
        /// The expression.
        expression: String,
        /// An item's value, as naaccrId=value (repeat).
        #[arg(long = "item", value_name = "NAACCR_ID=VALUE")]
        items: Vec<String>,
        /// NAACCR version whose items the expression reads (default: the newest).
        #[arg(long)]
        dictionary_version: Option<String>,
    },
    /// List the edits (of one set).
    List {
        /// Only the edits of this set.
        #[arg(long)]
        set: Option<String>,
        /// NAACCR version (default: the newest).
        #[arg(long)]
        dictionary_version: Option<String>,
    },
}

/// One failure, as printed with `--json`.
#[derive(Debug, Serialize)]
struct FailureLine<'a> {
    file: &'a str,
    /// 1-based position of the patient in the file.
    patient: u64,
    /// 1-based position of the tumor in its patient (none for a patient-level edit).
    tumor: Option<usize>,
    edit: &'a str,
    name: &'a str,
    severity: &'static str,
    message: &'a str,
    items: &'a [String],
}

/// Runs `edits run --database`: the set over every stored abstract, stored as a run.
pub async fn run_edits_on_database(db: &DatabaseConfig, set: String) -> Result<ExitCode> {
    let registry = super::offline_registry(db)?;
    registry
        .load_custom_edits()
        .await
        .map_err(|e| anyhow!("the registry's own edits: {e}"))?;
    let ctx = crate::app::auth::RequestContext::system("edits run");
    let run = registry
        .start_edit_run(&ctx, set)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} edits: {pos} patients ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let tick = bar.clone();
    let started = Instant::now();
    let done = registry
        .execute_edit_run(&ctx, &run, move |n| tick.set_position(n))
        .await
        .map_err(|e| anyhow!("{e}"))?;
    bar.finish_and_clear();
    let found = registry
        .find_edit_run(&ctx, done.id)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let r = &found.row;
    eprintln!(
        "edit run {} ({}): {} patients, {} tumors, {} checks, {} failures ({} errors) in {:.2} s",
        r.id,
        r.set_name,
        r.patients,
        r.tumors,
        r.checks,
        r.failures,
        r.errors,
        started.elapsed().as_secs_f64()
    );
    for (edit, severity, n) in &found.by_edit {
        eprintln!("  {n:>9}  {severity:<7}  {edit}");
    }
    Ok(if r.status != "done" {
        ExitCode::from(2)
    } else if r.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs `edits`.
pub fn run_edits(db: &DatabaseConfig, cmd: EditsCommand) -> Result<ExitCode> {
    let dictionaries =
        Dictionaries::load(&db.user_dictionaries).context("cannot load the NAACCR dictionaries")?;
    let engines = EditEngines::builtin(&dictionaries).map_err(|e| anyhow!("{e}"))?;
    let today = SystemClock.now().date();
    match cmd {
        EditsCommand::Run {
            files, set, json, ..
        } => run_files(&dictionaries, &engines, &files, &set, json, today),
        EditsCommand::Eval {
            expression,
            items,
            dictionary_version,
        } => eval(
            &engines,
            &expression,
            &items,
            dictionary_version.as_deref(),
            &dictionaries,
            today,
        ),
        EditsCommand::List {
            set,
            dictionary_version,
        } => {
            let engine = engines
                .engine(dictionary_version.as_deref())
                .ok_or_else(|| anyhow!("no such NAACCR version"))?;
            for e in engine.edits() {
                if set.as_ref().is_some_and(|s| !e.sets.contains(s)) {
                    continue;
                }
                println!(
                    "{:<22} {:<7} {:<7} {}  [{}]",
                    e.id,
                    e.severity.as_str(),
                    match e.level {
                        EditLevel::Tumor => "tumor",
                        EditLevel::Patient => "patient",
                    },
                    e.name,
                    e.sets.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_files(
    dictionaries: &Dictionaries,
    engines: &EditEngines,
    files: &[PathBuf],
    set: &str,
    json: bool,
    today: chrono::NaiveDate,
) -> Result<ExitCode> {
    let env = EvalEnv::new(today);
    let provider = |v: &str| dictionaries.get(v).cloned();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let started = Instant::now();
    let mut counts = RunCounts::default();
    let mut by_edit: BTreeMap<(Arc<str>, Arc<str>, &'static str), u64> = BTreeMap::new();
    let (mut patients, mut tumors, mut errors) = (0u64, 0u64, 0u64);
    let mut unreadable = false;
    for path in files {
        let name = path.display().to_string();
        let file = match std::fs::File::open(path)
            .and_then(|f| MaybeGzip::detect(BufReader::with_capacity(256 * 1024, f)))
        {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{name}: cannot be read: {e}");
                unreadable = true;
                continue;
            }
        };
        let mut reader = match NaaccrReader::new(file, &provider, ReaderOptions::default()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}", super::output::fatal_at(&name, &e));
                unreadable = true;
                continue;
            }
        };
        let version = reader.root().naaccr_version.clone();
        let engine = engines
            .engine(Some(&version))
            .ok_or_else(|| anyhow!("{name}: no edits for NAACCR version {version}"))?;
        let selection = engine
            .select_set(set)
            .ok_or_else(|| anyhow!("no edit set named {set}; see `tumor-registry edits list`"))?;
        let bar = super::output::patient_spinner(&name);
        let mut frame = engine.frame();
        let mut patient = Patient::default();
        let mut failures: Vec<Failure> = Vec::new();
        let mut index = 0u64;
        loop {
            match reader.read_patient_into(&mut patient) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    eprintln!("{}", super::output::fatal_at(&name, &e));
                    unreadable = true;
                    break;
                }
            }
            index += 1;
            if index.is_multiple_of(1024) {
                bar.set_position(index);
            }
            tumors += patient.tumors.len() as u64;
            engine.load(
                &mut frame,
                patient
                    .items
                    .iter()
                    .map(|i| (&*i.naaccr_id, i.value.as_str())),
                patient
                    .tumors
                    .iter()
                    .map(|t| t.items.iter().map(|i| (&*i.naaccr_id, i.value.as_str()))),
            );
            failures.clear();
            engine.run(&frame, &selection, &env, &mut failures, &mut counts, None);
            for f in &failures {
                if f.severity == Severity::Error {
                    errors += 1;
                }
                *by_edit
                    .entry((f.edit.clone(), f.name.clone(), f.severity.as_str()))
                    .or_default() += 1;
                if json {
                    let line = FailureLine {
                        file: &name,
                        patient: index,
                        tumor: f.tumor.map(|t| t + 1),
                        edit: &f.edit,
                        name: &f.name,
                        severity: f.severity.as_str(),
                        message: &f.message,
                        items: &f.items,
                    };
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        bar.finish_and_clear();
        patients += index;
    }
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} file(s), set {set}: {patients} patients, {tumors} tumors, {} checks, {} failures ({errors} errors), {} skipped, {} overridden, {} not run, in {:.2} s ({:.1} M checks/s)",
        files.len(),
        counts.checks,
        counts.failures,
        counts.skipped,
        counts.overridden,
        counts.not_run,
        secs,
        counts.checks as f64 / 1e6 / secs.max(1e-9)
    );
    let mut rows: Vec<_> = by_edit.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for ((id, edit_name, severity), n) in rows {
        eprintln!("  {n:>9}  {severity:<7}  {id}: {edit_name}");
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn eval(
    engines: &EditEngines,
    expression: &str,
    items: &[String],
    version: Option<&str>,
    dictionaries: &Dictionaries,
    today: chrono::NaiveDate,
) -> Result<ExitCode> {
    let engine = engines
        .engine(version)
        .ok_or_else(|| anyhow!("no such NAACCR version"))?;
    let set = dictionaries
        .get(engine.version())
        .ok_or_else(|| anyhow!("no dictionary {}", engine.version()))?;
    let resolver = |id: &str| engine.item(id);
    let env = CompileEnv::new(&resolver, engines.tables());
    let compiled = match compile(expression, Mode::Expression, &env) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprintln!(
                    "line {}, column {}: {} [{}]",
                    e.line,
                    e.column,
                    e.kind,
                    e.kind.code()
                );
            }
            return Ok(ExitCode::from(2));
        }
    };
    let mut record = SlotRecord::default();
    for pair in items {
        let (id, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--item {pair}: write naaccrId=value"))?;
        let info = engine.item(id).ok_or_else(|| {
            anyhow!(
                "--item {pair}: {id} is not an item of NAACCR {}",
                engine.version()
            )
        })?;
        record.set(info.slot, value);
        // The item is also the first tumor's (or the patient's, seen through every tumor).
        let tumor_item = set
            .item(id)
            .is_some_and(|d| d.parent == ParentElement::Tumor);
        if tumor_item || record.tumors.is_empty() {
            record.set_tumor(0, info.slot, value);
        }
    }
    println!("{}", compiled.eval(&record, &EvalEnv::new(today)));
    Ok(ExitCode::SUCCESS)
}
