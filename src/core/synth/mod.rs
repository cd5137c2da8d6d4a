//! Realistic synthetic NAACCR abstracts, reproducible from a seed: test data for the XML
//! reader and writer, the edits, linkage (with planted near-duplicate persons), follow-up and
//! survival statistics, and demos that must never touch real patient data.
//!
//! Pure: the code tables arrive as text ([`SynthTables::parse`]), randomness as a seed
//! (ChaCha8, portable across platforms), and the output is plain data
//! ([`SyntheticPatient`]: NAACCR v26 `naaccrId`s and values). Nothing here reads files, the
//! clock or the environment; writing XML is the caller's job.
//!
//! What is realistic and how (details on each function):
//! - tumor types by sex from the imsweb data-generator frequencies, restricted to the SEER
//!   ICD-O-3 site/type list (edit IF25), so site, histology and behavior agree;
//! - age at diagnosis per site group (childhood tumors by histology, adult cancers by site),
//!   sex-specific sites only for that sex;
//! - grade, laterality and diagnostic confirmation consistent with histology, site and
//!   behavior; sequence numbers and several primaries for ~5-8% of patients;
//! - survival: Weibull per site group competing with Gompertz background mortality; deaths
//!   before the study cutoff give vital status 0 with last contact = date of death.
//!
//! It must not pretend to be real: names, addresses and numbers are fake (phone numbers are in
//! the 555-01xx fiction range) and nothing marks a duplicate in the data itself.

mod duplicate;
mod error;
mod model;
mod population;
mod render;
mod schema;
mod tables;
mod weighted;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use error::SynthError;
pub use model::{age_on, is_heme};
pub use population::{PopulationRow, population};
pub use tables::{
    AgeDistribution, CodeRange, PairedSites, Place, Sex, SexRestriction, SiteGroup, SynthSources,
    SynthTables, TumorType, in_ranges, topography_number,
};

use model::{Person, Window};

/// How many patients to generate and over which period.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Number of patient records, duplicates included.
    pub patients: usize,
    /// First year of diagnosis (January 1).
    pub first_dx_year: i32,
    /// Last year of diagnosis (December 31, or the cutoff if earlier).
    pub last_dx_year: i32,
    /// End of follow-up: no date of last contact or death after it.
    pub study_cutoff: NaiveDate,
    /// Share of records that are another report of an earlier person (0 to 0.5; clamped).
    pub duplicates_rate: f64,
}

impl Default for SynthOptions {
    /// The command line's defaults: 1,000 patients diagnosed 2010-2024, followed to the end of
    /// 2025, no duplicates.
    fn default() -> Self {
        Self {
            patients: 1000,
            first_dx_year: 2010,
            last_dx_year: 2024,
            study_cutoff: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default(),
            duplicates_rate: 0.0,
        }
    }
}

/// One generated patient record: patient-level items and one item list per tumor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyntheticPatient {
    /// Patient-level items as (NAACCR v26 naaccrId, value).
    pub items: Vec<(String, String)>,
    /// Tumor-level items of each tumor, in diagnosis order.
    pub tumors: Vec<Vec<(String, String)>>,
    /// For tests of linkage only (never written to data): the 0-based position in the
    /// generated sequence of the record this one duplicates.
    pub duplicate_of: Option<usize>,
}

impl SyntheticPatient {
    /// The value of a patient-level item.
    pub fn item(&self, naaccr_id: &str) -> Option<&str> {
        find(&self.items, naaccr_id)
    }
}

/// The value of an item in a list of (naaccrId, value) pairs.
pub fn find<'a>(items: &'a [(String, String)], naaccr_id: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|(id, _)| id == naaccr_id)
        .map(|(_, v)| v.as_str())
}

/// How many recent originals a duplicate may copy: duplicates stay near their original in the
/// stream (as resubmissions do) and memory stays bounded for any `patients`.
const DUPLICATE_WINDOW: usize = 2048;

/// Generates `options.patients` records, reproducibly from `seed`.
///
/// Invalid options are normalised rather than refused: years are put in order, the last
/// diagnosis date is capped at the cutoff, and `duplicates_rate` is clamped to 0..=0.5.
pub fn generate<'a>(
    tables: &'a SynthTables,
    options: &SynthOptions,
    seed: u64,
) -> impl Iterator<Item = SyntheticPatient> + 'a {
    Generator {
        tables,
        window: window(options),
        rate: if options.duplicates_rate.is_finite() {
            options.duplicates_rate.clamp(0.0, 0.5)
        } else {
            0.0
        },
        remaining: options.patients,
        produced: 0,
        rng: ChaCha8Rng::seed_from_u64(seed),
        recent: VecDeque::with_capacity(DUPLICATE_WINDOW),
    }
}

fn window(o: &SynthOptions) -> Window {
    let (y0, y1) = if o.first_dx_year <= o.last_dx_year {
        (o.first_dx_year, o.last_dx_year)
    } else {
        (o.last_dx_year, o.first_dx_year)
    };
    let start = NaiveDate::from_ymd_opt(y0, 1, 1).unwrap_or(o.study_cutoff);
    let end = NaiveDate::from_ymd_opt(y1, 12, 31).unwrap_or(o.study_cutoff);
    let dx_end = end.min(o.study_cutoff);
    Window {
        dx_start: start.min(dx_end),
        dx_end,
        cutoff: o.study_cutoff,
    }
}

struct Generator<'a> {
    tables: &'a SynthTables,
    window: Window,
    rate: f64,
    remaining: usize,
    produced: usize,
    rng: ChaCha8Rng,
    recent: VecDeque<(usize, Person)>,
}

impl Iterator for Generator<'_> {
    type Item = SyntheticPatient;

    fn next(&mut self) -> Option<SyntheticPatient> {
        if self.remaining == 0 {
            return None;
        }
        let index = self.produced;
        let duplicate = if !self.recent.is_empty() && self.rng.random_bool(self.rate) {
            let pick = self.rng.random_range(0..self.recent.len());
            self.recent.get(pick).map(|(orig_index, orig)| {
                (
                    *orig_index,
                    duplicate::make_duplicate(self.tables, &self.window, orig, &mut self.rng),
                )
            })
        } else {
            None
        };
        let record = match duplicate {
            Some((orig_index, person)) => render::render(&person, index + 1, Some(orig_index)),
            None => {
                let person = model::draw_person(self.tables, &self.window, &mut self.rng)?;
                let record = render::render(&person, index + 1, None);
                if self.rate > 0.0 {
                    if self.recent.len() == DUPLICATE_WINDOW {
                        self.recent.pop_front();
                    }
                    self.recent.push_back((index, person));
                }
                record
            }
        };
        self.remaining -= 1;
        self.produced += 1;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

/// Year of a `CCYYMMDD` value, for callers grouping generated records.
pub fn year_of(ccyymmdd: &str) -> Option<i32> {
    NaiveDate::parse_from_str(ccyymmdd, "%Y%m%d")
        .ok()
        .map(|d| d.year())
}
