//! Building listing filters and person searches from what a user typed, checking each value
//! against the dictionary so that a typo is an error, not an empty result.

use super::{AppError, Registry};
use crate::core::abstracts::{DiagnosisRange, name_key};
use crate::core::naaccr::{NaaccrDate, validate_value};
use crate::core::problem::Problem;
use crate::store::abstracts::{PersonQuery, TumorFilter};

/// Filters as typed: every field optional, sites comma-separated.
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    /// ICD-O-3 topography codes, comma-separated (`C500,C509`).
    pub primary_site: Option<String>,
    /// First diagnosis date, CCYYMMDD (or CCYY, CCYYMM).
    pub diagnosis_from: Option<String>,
    /// Last diagnosis date, CCYYMMDD (or CCYY, CCYYMM).
    pub diagnosis_to: Option<String>,
    /// Reporting facility code.
    pub facility: Option<String>,
}

/// A person search as typed.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    /// Last name or its beginning.
    pub name_last: Option<String>,
    /// First name or its beginning.
    pub name_first: Option<String>,
    /// Date of birth, CCYYMMDD.
    pub date_of_birth: Option<String>,
    /// Patient ID Number.
    pub patient_id_number: Option<String>,
}

impl Registry {
    /// Checks typed filters against the default dictionary and builds the store's filter.
    pub fn tumor_filter(&self, input: FilterInput) -> Result<TumorFilter, AppError> {
        let mut problems = Vec::new();
        let mut filter = TumorFilter::default();
        if let Some(sites) = input.primary_site {
            for site in sites.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if self.check_item("primarySite", site, "primarySite", &mut problems) {
                    filter.primary_sites.push(site.to_owned());
                }
            }
        }
        if let Some(f) = input.facility
            && self.check_item("reportingFacility", &f, "facility", &mut problems)
        {
            filter.facility = Some(f);
        }
        let from = parse_date(
            input.diagnosis_from.as_deref(),
            "diagnosisFrom",
            &mut problems,
        );
        let to = parse_date(input.diagnosis_to.as_deref(), "diagnosisTo", &mut problems);
        filter.diagnosis = Some(DiagnosisRange::new(from, to));
        if problems.is_empty() {
            Ok(filter)
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// Checks a typed person search and builds the store's query. At least one criterion.
    pub fn person_query(&self, input: PersonInput) -> Result<PersonQuery, AppError> {
        let mut problems = Vec::new();
        let mut query = PersonQuery::default();
        for (value, field, slot) in [
            (input.name_last, "nameLast", &mut query.name_last_key),
            (input.name_first, "nameFirst", &mut query.name_first_key),
        ] {
            if let Some(v) = value {
                let key = name_key(&v);
                if key.is_empty() {
                    problems.push(
                        Problem::new(
                            "invalid_search",
                            "a name needs at least one letter or digit",
                        )
                        .for_item(field),
                    );
                } else {
                    *slot = Some(key);
                }
            }
        }
        if let Some(d) = input.date_of_birth {
            if NaaccrDate::parse(&d).is_ok() {
                query.date_of_birth = Some(d);
            } else {
                problems.push(
                    Problem::new("invalid_date", "dateOfBirth must be a date CCYYMMDD")
                        .for_item("dateOfBirth"),
                );
            }
        }
        if let Some(p) = input.patient_id_number
            && self.check_item("patientIdNumber", &p, "patientIdNumber", &mut problems)
        {
            query.patient_id_number = Some(p);
        }
        let empty = query.name_last_key.is_none()
            && query.name_first_key.is_none()
            && query.date_of_birth.is_none()
            && query.patient_id_number.is_none();
        if empty && problems.is_empty() {
            problems.push(Problem::new(
                "invalid_search",
                "give at least one of nameLast, nameFirst, dateOfBirth, patientIdNumber",
            ));
        }
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// Whether `value` is valid for the item `naaccr_id` of the default dictionary; problems are
    /// reported under the request field `field`.
    fn check_item(
        &self,
        naaccr_id: &str,
        value: &str,
        field: &str,
        problems: &mut Vec<Problem>,
    ) -> bool {
        let dict = self.dictionaries.get(self.dictionaries.default_version());
        let Some(def) = dict.and_then(|d| d.item(naaccr_id)) else {
            return true;
        };
        let found = validate_value(def, value);
        let ok = found.is_empty();
        problems.extend(
            found
                .into_iter()
                .map(|p| Problem::new(p.code(), format!("{field}: {p}")).for_item(field)),
        );
        ok
    }
}

fn parse_date(value: Option<&str>, field: &str, problems: &mut Vec<Problem>) -> Option<NaaccrDate> {
    let value = value?.trim();
    if value.is_empty() {
        return None;
    }
    match NaaccrDate::parse(value) {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(
                Problem::new(
                    "invalid_date",
                    format!("{field} must be a date CCYYMMDD (or CCYY, CCYYMM)"),
                )
                .for_item(field),
            );
            None
        }
    }
}
