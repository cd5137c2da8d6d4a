//! Errors raised while parsing the generator's code tables.

/// Why a `schemas/synth/` table could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    /// The file has no data rows.
    #[error("{file}: no data rows")]
    Empty {
        /// File name under `schemas/synth/`.
        file: &'static str,
    },
    /// The header row is not the expected one.
    #[error("{file}: header `{found}`, expected `{expected}`")]
    BadHeader {
        /// File name under `schemas/synth/`.
        file: &'static str,
        /// The expected header.
        expected: String,
        /// The header found.
        found: String,
    },
    /// A data row is malformed.
    #[error("{file} line {line}: {reason}")]
    BadRow {
        /// File name under `schemas/synth/`.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A `tumor_mix.csv` row belongs to no site group of `site_groups.csv`.
    #[error("tumor_mix.csv line {line}: {primary_site} {histology} belongs to no site group")]
    UnmappedTumor {
        /// 1-based line number.
        line: usize,
        /// The row's primary site.
        primary_site: String,
        /// The row's histology.
        histology: u16,
    },
    /// A `tumor_mix.csv` row gives one sex a site its group reserves to the other.
    #[error(
        "tumor_mix.csv line {line}: {primary_site} is not allowed for this sex by its site group"
    )]
    SexConflict {
        /// 1-based line number.
        line: usize,
        /// The row's primary site.
        primary_site: String,
    },
}
