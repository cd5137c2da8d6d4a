//! Output files of the command line: gzip-compressed when the name ends in `.gz`.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A file being written, compressed or not.
pub enum Output {
    /// Plain bytes.
    Plain(BufWriter<File>),
    /// gzip.
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl Output {
    /// Creates `path`, gzip-compressed when its name ends in `.gz`.
    pub fn create(path: &Path) -> Result<Self> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let out = BufWriter::with_capacity(1 << 20, file);
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gzip(flate2::write::GzEncoder::new(
                out,
                flate2::Compression::default(),
            ))
        } else {
            Output::Plain(out)
        })
    }

    /// Finishes the compressed stream (if any) and flushes everything to the file.
    pub fn finish(self) -> Result<()> {
        match self {
            Output::Plain(mut w) => w.flush()?,
            Output::Gzip(g) => g.finish()?.flush()?,
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(g) => g.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(g) => g.flush(),
        }
    }
}

/// A spinner counting patients, labelled `name` (a file).
pub fn patient_spinner(name: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg}: {pos} patients ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(name.to_owned());
    bar
}

/// A fatal reading problem of file `name`, for a person: where it is and its code.
pub fn fatal_at(name: &str, e: &crate::core::naaccr::xml::FatalError) -> String {
    format!(
        "{name}: line {}, column {}: {} [{}]",
        e.line,
        e.column,
        e.kind,
        e.code()
    )
}
