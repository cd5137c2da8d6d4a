//! Population life tables for expected survival (METHODS.md section 5; shared/stats/lifetables):
//! a daily hazard by completed age, sex and calendar year, looked up the way R's `survival` and
//! `relsurv` do, so that expected survival agrees with theirs.

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// Sex in a rate table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

/// How a table's coordinates advance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateTableKind {
    /// A US-type table (R's `survexp.us`, dimension type 4): ages are cut every 365.25 days and
    /// the calendar year advances on the person's birthday.
    Us,
    /// An ordinary table (R's `slopop`, type 3): ages cut every `year_days` days (365.241 for
    /// slopop), the calendar year advances on 1 January.
    Calendar {
        /// Days in a year of age.
        year_days: f64,
    },
}

impl RateTableKind {
    fn year_days(self) -> f64 {
        match self {
            Self::Us => 365.25,
            Self::Calendar { year_days } => year_days,
        }
    }
}

/// A problem in a rate table file.
#[derive(Debug, Error, PartialEq)]
pub enum RateTableError {
    /// Header not `age,sex,year,daily_hazard[,annual_q]`.
    #[error("line 1: the header must start with age,sex,year,daily_hazard")]
    Header,
    /// A malformed row.
    #[error("line {line}: {reason}")]
    Row {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Some (age, sex, year) cell has no row.
    #[error("the table is not complete: {missing} of its age x sex x year cells have no row")]
    Incomplete {
        /// Cells missing.
        missing: usize,
    },
}

/// A life table: hazard per day by age cell, sex and year.
#[derive(Debug, Clone)]
pub struct RateTable {
    kind: RateTableKind,
    ages: usize,
    years: Vec<i32>,
    /// 1 January of each year, in days since 1970-01-01.
    year_starts: Vec<f64>,
    /// `[sex][year][age]`, flattened.
    hazard: Vec<f64>,
}

/// Days since 1970-01-01.
pub fn days_since_1970(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as f64
}

impl RateTable {
    /// Reads a table in the layout of shared/stats/lifetables (`age,sex,year,daily_hazard,...`;
    /// sex `male`/`female` or 1/2), complete over its ages, both sexes and its years.
    pub fn from_csv(text: &str, kind: RateTableKind) -> Result<Self, RateTableError> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, l)| l.trim()).unwrap_or("");
        if !header.starts_with("age,sex,year,daily_hazard") {
            return Err(RateTableError::Header);
        }
        let mut cells: Vec<(usize, usize, i32, f64)> = Vec::new();
        for (i, line) in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let row = |reason: String| RateTableError::Row {
                line: i + 1,
                reason,
            };
            let c: Vec<&str> = line.split(',').collect();
            let [age, sex, year, hazard, ..] = c.as_slice() else {
                return Err(row("expected age,sex,year,daily_hazard".into()));
            };
            let age: usize = age
                .parse()
                .map_err(|_| row(format!("age `{age}` is not a whole number")))?;
            let sex = match *sex {
                "male" | "1" | "M" | "m" => 0,
                "female" | "2" | "F" | "f" => 1,
                other => return Err(row(format!("sex `{other}`: use male or female"))),
            };
            let year: i32 = year
                .parse()
                .map_err(|_| row(format!("year `{year}` is not a year")))?;
            let hazard: f64 = hazard
                .parse()
                .ok()
                .filter(|h: &f64| h.is_finite() && *h >= 0.0)
                .ok_or_else(|| row(format!("daily hazard `{hazard}` is not a rate >= 0")))?;
            if age > 200 || !(1800..=2200).contains(&year) {
                return Err(row(format!("age {age} or year {year} out of range")));
            }
            cells.push((sex, age, year, hazard));
        }
        let ages = cells.iter().map(|c| c.1).max().map_or(0, |a| a + 1);
        let mut years: Vec<i32> = cells.iter().map(|c| c.2).collect();
        years.sort_unstable();
        years.dedup();
        let mut hazard = vec![f64::NAN; 2 * years.len() * ages];
        for (sex, age, year, h) in &cells {
            let y = years.binary_search(year).unwrap_or(0);
            if let Some(slot) = hazard.get_mut((sex * years.len() + y) * ages + age) {
                *slot = *h;
            }
        }
        let missing = hazard.iter().filter(|h| h.is_nan()).count();
        if missing > 0 || ages == 0 {
            return Err(RateTableError::Incomplete { missing });
        }
        let year_starts = years
            .iter()
            .map(|y| NaiveDate::from_ymd_opt(*y, 1, 1).map_or(f64::NAN, days_since_1970))
            .collect();
        Ok(Self {
            kind,
            ages,
            years,
            year_starts,
            hazard,
        })
    }

    /// The table's kind.
    pub fn kind(&self) -> RateTableKind {
        self.kind
    }

    /// First and last year of the table.
    pub fn year_range(&self) -> (i32, i32) {
        (
            self.years.first().copied().unwrap_or(0),
            self.years.last().copied().unwrap_or(0),
        )
    }

    /// Age cell of an age in days: the last cut point k * year_days <= age, clamped.
    pub fn age_cell(&self, age_days: f64) -> usize {
        let yd = self.kind.year_days();
        let mut k = (age_days / yd).floor();
        if (k + 1.0) * yd <= age_days {
            k += 1.0;
        }
        if k * yd > age_days {
            k -= 1.0;
        }
        (k.max(0.0) as usize).min(self.ages - 1)
    }

    /// Year cell of a date in days since 1970: the last 1 January <= it, clamped.
    pub fn year_cell(&self, date: f64) -> usize {
        self.year_starts
            .partition_point(|s| *s <= date)
            .saturating_sub(1)
    }

    /// The daily hazard of a cell.
    pub fn cell_hazard(&self, sex: Sex, age_cell: usize, year_cell: usize) -> f64 {
        let s = match sex {
            Sex::Male => 0,
            Sex::Female => 1,
        };
        self.hazard
            .get((s * self.years.len() + year_cell) * self.ages + age_cell)
            .copied()
            .unwrap_or(0.0)
    }

    /// The flat index of a cell (for [`RateTable::hazard_by_index`]).
    pub fn cell_index(&self, sex: Sex, age_cell: usize, year_cell: usize) -> usize {
        let s = match sex {
            Sex::Male => 0,
            Sex::Female => 1,
        };
        (s * self.years.len() + year_cell) * self.ages + age_cell
    }

    /// The hazard of a cell by its flat index.
    pub fn hazard_by_index(&self, index: usize) -> f64 {
        self.hazard.get(index).copied().unwrap_or(0.0)
    }

    /// How many cells (both sexes).
    pub fn cell_count(&self) -> usize {
        self.hazard.len()
    }

    /// The next age cut point (in days of age) after `age_days`, if the cell can change.
    pub fn next_age_cut(&self, age_days: f64) -> Option<f64> {
        let k = self.age_cell(age_days);
        (k + 1 < self.ages).then(|| (k + 1) as f64 * self.kind.year_days())
    }

    /// The next 1 January (days since 1970) after `date` at which the year cell changes.
    pub fn next_year_start(&self, date: f64) -> Option<f64> {
        self.year_starts.get(self.year_cell(date) + 1).copied()
    }

    /// Where a patient starts in the table's calendar coordinate: the diagnosis date, or for a
    /// US-type table the date shifted so that the year changes on the birthday (relsurv: birth
    /// = 1960-01-01 + (diagnosis - age) days; shift = its day of the year, from 0).
    pub fn calendar_origin(&self, dx_days: f64, age_days: f64) -> f64 {
        match self.kind {
            RateTableKind::Calendar { .. } => dx_days,
            RateTableKind::Us => {
                let base = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default();
                let birth = base
                    .checked_add_signed(chrono::Duration::days((dx_days - age_days).floor() as i64))
                    .unwrap_or(base);
                dx_days - f64::from(birth.ordinal0())
            }
        }
    }
}
