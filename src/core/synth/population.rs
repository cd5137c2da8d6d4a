//! Population denominators that go with synthetic data: person-years by year, county, sex and
//! the 19 age groups, sized so that the synthetic tumors give incidence rates of a realistic
//! order (about 450 per 100,000 a year overall, as in US registries), spread over counties as
//! the generator spreads its patients, with the age structure given (the US 2000 standard).

use super::{SynthOptions, SynthTables};
use std::collections::BTreeMap;

/// One row: `year,county,sex,age_group,population`.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRow {
    /// Year.
    pub year: i32,
    /// County FIPS code, as written in County at DX.
    pub county: String,
    /// 1 male, 2 female.
    pub sex: u8,
    /// Index of the age group (0 = `00`, ..., 18 = `85+`).
    pub age_group: usize,
    /// Persons.
    pub population: u64,
}

/// Crude incidence the denominators aim at: tumors per person-year.
const TARGET_RATE: f64 = 450e-5;
/// Tumors per synthetic patient record (several primaries for some).
const TUMORS_PER_PATIENT: f64 = 1.07;

/// Denominators for data generated with `options`; `age_shares` are the 19 age groups' shares
/// of the population.
pub fn population(
    tables: &SynthTables,
    options: &SynthOptions,
    age_shares: &[f64; 19],
) -> Vec<PopulationRow> {
    let (y0, y1) = if options.first_dx_year <= options.last_dx_year {
        (options.first_dx_year, options.last_dx_year)
    } else {
        (options.last_dx_year, options.first_dx_year)
    };
    let years = f64::from(y1 - y0 + 1);
    let per_year = options.patients as f64 * TUMORS_PER_PATIENT / years;
    let total = per_year / TARGET_RATE;
    let mut county_share: BTreeMap<String, f64> = BTreeMap::new();
    for (place, share) in tables.places.shares() {
        *county_share.entry(place.county_fips.clone()).or_insert(0.0) += share;
    }
    let mut rows = Vec::new();
    for year in y0..=y1 {
        // A slowly growing population (0.8% a year), centred on the middle year.
        let growth = 1.008f64.powf(f64::from(year) - f64::from(y0 + y1) / 2.0);
        for (county, share) in &county_share {
            for (sex, sex_share) in [(1u8, 0.49), (2u8, 0.51)] {
                for (age_group, age_share) in age_shares.iter().enumerate() {
                    rows.push(PopulationRow {
                        year,
                        county: county.clone(),
                        sex,
                        age_group,
                        population: (total * growth * share * sex_share * age_share).round() as u64,
                    });
                }
            }
        }
    }
    rows
}
