//! `xml validate`: check NAACCR XML files without a database, with a progress bar on a terminal
//! and a summary at the end.

use crate::app::Dictionaries;
use crate::config::DatabaseConfig;
use crate::core::naaccr::xml::{
    FatalError, ItemProblem, MaybeGzip, NaaccrReader, Patient, ReaderOptions,
};
use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// NAACCR XML tools.
#[derive(Debug, Subcommand)]
pub enum XmlCommand {
    /// Check NAACCR XML files (gzip or not) against their dictionaries. Exit status: 0 when
    /// every file is valid, 1 when a problem was found, 2 when a file could not be read.
    Validate {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per problem on standard output.
        #[arg(long)]
        json: bool,
    },
}

/// One problem, as printed with `--json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProblemLine<'a> {
    file: &'a str,
    code: &'static str,
    severity: &'static str,
    message: String,
    line: u64,
    column: u64,
    /// 1-based position of the patient in the file.
    patient: Option<usize>,
    /// 1-based position of the tumor in its patient.
    tumor: Option<usize>,
    naaccr_id: Option<String>,
}

/// Counts of one file, or of all.
#[derive(Debug, Default)]
struct Tally {
    patients: u64,
    tumors: u64,
    items: u64,
    bytes: u64,
    by_code: BTreeMap<&'static str, u64>,
}

/// Counts bytes read from the file, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Counts the bytes of XML the reader consumes (after gzip), for the MB/s of the summary.
struct CountingXml<R> {
    inner: R,
    consumed: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for CountingXml<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for CountingXml<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed.set(self.consumed.get() + amt as u64);
        self.inner.consume(amt);
    }
}

/// Runs an `xml` subcommand.
pub fn run_xml(db: &DatabaseConfig, cmd: XmlCommand) -> Result<ExitCode> {
    let XmlCommand::Validate { files, json } = cmd;
    let dictionaries =
        Dictionaries::load(&db.user_dictionaries).context("cannot load the NAACCR dictionaries")?;
    let started = Instant::now();
    let mut total = Tally::default();
    let mut unreadable = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &files {
        match validate_file(path, &dictionaries, json, &mut out, &mut total) {
            Ok(()) => {}
            Err(e) => {
                unreadable = true;
                eprintln!("{}: cannot be read: {e:#}", path.display());
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let problems: u64 = total.by_code.values().sum();
    eprintln!(
        "{} file(s): {} patients, {} tumors, {} items, {} problem(s) in {:.2} s ({:.0} MB/s of XML)",
        files.len(),
        total.patients,
        total.tumors,
        total.items,
        problems,
        secs,
        total.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    for (code, n) in &total.by_code {
        eprintln!("  {n:>8}  {code}");
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn validate_file(
    path: &Path,
    dictionaries: &Dictionaries,
    json: bool,
    out: &mut impl Write,
    total: &mut Tally,
) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(path.display().to_string());
    let consumed = std::rc::Rc::new(std::cell::Cell::new(0));
    let input = CountingXml {
        inner: MaybeGzip::detect(BufReader::with_capacity(
            256 * 1024,
            Counting {
                inner: file,
                bar: bar.clone(),
            },
        ))?,
        consumed: consumed.clone(),
    };
    let provider = |v: &str| dictionaries.get(v).cloned();
    let name = path.display().to_string();
    let mut reader = match NaaccrReader::new(input, &provider, ReaderOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            bar.abandon();
            return emit(out, json, total, ProblemLine::fatal(&name, &e));
        }
    };
    for p in &reader.root().problems {
        emit(out, json, total, ProblemLine::item(&name, p))?;
    }
    total.items += reader.root().items.len() as u64;
    let mut patient = Patient::default();
    loop {
        match reader.read_patient_into(&mut patient) {
            Ok(true) => {
                total.patients += 1;
                total.tumors += patient.tumors.len() as u64;
                total.items += (patient.items.len()
                    + patient.tumors.iter().map(|t| t.items.len()).sum::<usize>())
                    as u64;
                for p in &patient.problems {
                    emit(out, json, total, ProblemLine::item(&name, p))?;
                }
            }
            Ok(false) => break,
            Err(e) => {
                bar.abandon();
                emit(out, json, total, ProblemLine::fatal(&name, &e))?;
                break;
            }
        }
    }
    bar.finish_and_clear();
    total.bytes += consumed.get();
    Ok(())
}

impl<'a> ProblemLine<'a> {
    fn item(file: &'a str, p: &ItemProblem) -> Self {
        Self {
            file,
            code: p.code(),
            severity: "error",
            message: p.kind.to_string(),
            line: p.line,
            column: p.column,
            patient: p.patient.map(|i| i + 1),
            tumor: p.tumor.map(|i| i + 1),
            naaccr_id: p.naaccr_id.clone(),
        }
    }

    fn fatal(file: &'a str, e: &FatalError) -> Self {
        Self {
            file,
            code: e.code(),
            severity: "fatal",
            message: e.kind.to_string(),
            line: e.line,
            column: e.column,
            patient: None,
            tumor: None,
            naaccr_id: None,
        }
    }
}

/// Counts a problem; prints it as JSON (`--json`) or, when fatal, as a line for a person.
fn emit(out: &mut impl Write, json: bool, total: &mut Tally, p: ProblemLine<'_>) -> Result<()> {
    *total.by_code.entry(p.code).or_default() += 1;
    if json {
        serde_json::to_writer(&mut *out, &p)?;
        writeln!(out)?;
    } else if p.severity == "fatal" {
        eprintln!(
            "{}: line {}, column {}: {} [{}]",
            p.file, p.line, p.column, p.message, p.code
        );
    }
    Ok(())
}
