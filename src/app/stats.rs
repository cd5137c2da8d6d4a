//! Statistics over abstracts: cases taken from NAACCR records (SEER survival time per tumor,
//! site group, age group, sex, county, year), then survival, log-rank, incidence and trend
//! reports built with `core::stats`. Used by the command line (`tumor-registry stats`) and the
//! report API; nothing here reads files itself except through the reader it is given.

use crate::core::naaccr::xml::{Item, Patient};
use crate::core::stats::incidence::{
    AGE_GROUPS_19, Rate, RateCi, StandardPopulation, adjusted_rate, age_group_19, crude_rate,
};
use crate::core::stats::km::{KaplanMeier, Quantile};
use crate::core::stats::logrank::{LogRank, log_rank};
use crate::core::stats::ratetable::{RateTable, RateTableKind, Sex, days_since_1970};
use crate::core::stats::relative::{RelCurve, RelMethod, RelObservation, estimate};
use crate::core::stats::site_recode::SiteRecode;
use crate::core::stats::survival_time::{
    DAYS_PER_MONTH, PartialDate, SurvivalRecord, survival_times_to,
};
use crate::core::stats::trend::{Apc, annual_percent_change};
use crate::core::stats::{ConfType, Observation, actuarial};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The SEER site recode shipped in schemas/tables.
pub fn site_recode() -> Result<SiteRecode, String> {
    SiteRecode::from_csv(include_str!("../../schemas/tables/seer_site_recode.csv"))
}

/// The US life table shipped in schemas/stats (R's `survexp.us`, 1940-2014).
pub fn us_rate_table() -> Result<RateTable, String> {
    RateTable::from_csv(
        include_str!("../../schemas/stats/lifetables/survexp_us.csv"),
        RateTableKind::Us,
    )
    .map_err(|e| format!("survexp_us.csv: {e}"))
}

/// A standard population by name: `us2000`, `segi` or `who2000`.
pub fn standard_population(name: &str) -> Option<StandardPopulation> {
    let text = match name {
        "us2000" => include_str!("../../schemas/stats/us2000_std_19ages.csv"),
        "segi" => include_str!("../../schemas/stats/segi1960_world_std_19ages.csv"),
        "who2000" => include_str!("../../schemas/stats/who2000_2025_world_std_18ages.csv"),
        _ => return None,
    };
    StandardPopulation::from_csv(name, text).ok()
}

/// What a survival or incidence case is grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// One group, `all`.
    None,
    /// The SEER site recode group.
    SiteGroup,
    /// A NAACCR item (tumor level, else patient level).
    Item(String),
}

impl GroupBy {
    /// Parses `site-group`, an item's naaccrId, or nothing.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            None | Some("") => Self::None,
            Some("site-group") => Self::SiteGroup,
            Some(item) => Self::Item(item.to_owned()),
        }
    }
}

/// Why a tumor is not in a survival analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Death certificate only (no survival time).
    DeathCertificateOnly,
    /// Autopsy only (no survival time).
    AutopsyOnly,
    /// Diagnosed after the cutoff, or without a usable diagnosis year.
    DiagnosisUnknownOrAfterCutoff,
    /// Survival unknown (last contact unknown, records that disagree, ...).
    UnknownSurvival,
    /// Alive with zero days of follow-up.
    AliveZeroDays,
    /// Not the first primary (when only first primaries are analysed).
    NotFirstPrimary,
    /// No male/female sex or no usable age (relative survival needs both).
    NoSexOrAge,
}

impl Exclusion {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeathCertificateOnly => "death_certificate_only",
            Self::AutopsyOnly => "autopsy_only",
            Self::DiagnosisUnknownOrAfterCutoff => "diagnosis_unknown_or_after_cutoff",
            Self::UnknownSurvival => "unknown_survival",
            Self::AliveZeroDays => "alive_zero_days",
            Self::NotFirstPrimary => "not_first_primary",
            Self::NoSexOrAge => "no_sex_or_age",
        }
    }
}

/// One tumor as the statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Group label.
    pub group: String,
    /// Survival in days (active follow-up, or presumed alive when chosen), if usable.
    pub days: Option<i64>,
    /// SEER survival months.
    pub months: Option<i64>,
    /// Died by the cutoff.
    pub event: bool,
    /// Why it is left out of survival, if it is.
    pub excluded: Option<Exclusion>,
    /// Sex (male/female) for relative survival and rates.
    pub sex: Option<Sex>,
    /// Age at diagnosis in days (from the dates, else from Age at Diagnosis).
    pub age_days: Option<f64>,
    /// Age at Diagnosis in years.
    pub age_years: Option<u32>,
    /// Diagnosis date used, days since 1970.
    pub dx_days: Option<f64>,
    /// Year of diagnosis.
    pub dx_year: Option<i32>,
    /// County at diagnosis.
    pub county: String,
    /// SEER site group name.
    pub site_group: Option<String>,
    /// Behavior code.
    pub behavior: String,
    /// Summary stage (SEER Summary Stage 2018, else Derived Summary Stage 2018, else SEER
    /// Summary Stage 2000).
    pub stage: String,
}

impl Case {
    /// The case for observed survival in `unit`, if it has a survival time.
    pub fn observation(&self, unit: TimeUnit) -> Option<Observation> {
        self.days.map(|d| Observation {
            time: in_unit(d, self.months, unit),
            event: self.event,
        })
    }

    /// The case for relative survival (days, age, sex, diagnosis date), if it has them all.
    pub fn rel_observation(&self) -> Option<RelObservation> {
        Some(RelObservation {
            time: self.days? as f64,
            event: self.event,
            age_days: self.age_days?,
            sex: self.sex?,
            dx_days: self.dx_days?,
        })
    }
}

/// How cases are taken from abstracts.
#[derive(Debug, Clone)]
pub struct CaseOptions {
    /// Study cutoff.
    pub cutoff: NaiveDate,
    /// Today (a last contact after it is unknown).
    pub today: NaiveDate,
    /// Presumed alive: survival of people alive runs to the cutoff.
    pub presumed_alive: bool,
    /// Only first primaries (Sequence Number--Central 00 or 01).
    pub first_primary_only: bool,
    /// Grouping.
    pub group_by: GroupBy,
}

fn find<'a>(items: &'a [Item], id: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|i| &*i.naaccr_id == id)
        .map(|i| i.value.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The cases of one patient: every tumor, with its survival time and what groups it.
pub fn cases_of(patient: &Patient, recode: &SiteRecode, options: &CaseOptions) -> Vec<Case> {
    let p = |id: &str| find(&patient.items, id);
    let alive = match p("vitalStatus") {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    };
    let birth = PartialDate::from_naaccr(p("dateOfBirth").unwrap_or(""));
    let last_contact = PartialDate::from_naaccr(p("dateOfLastContact").unwrap_or(""));
    let sex = match p("sexAssignedAtBirth").or_else(|| p("sex")) {
        Some("1") => Some(Sex::Male),
        Some("2") => Some(Sex::Female),
        _ => None,
    };
    let records: Vec<SurvivalRecord> = patient
        .tumors
        .iter()
        .map(|t| SurvivalRecord {
            dx: PartialDate::from_naaccr(find(&t.items, "dateOfDiagnosis").unwrap_or("")),
            last_contact,
            birth,
            alive,
            sequence: find(&t.items, "sequenceNumberCentral")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(99),
            reporting_source: find(&t.items, "typeOfReportingSource")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
        })
        .collect();
    let times = survival_times_to(&records, options.cutoff, options.today);
    let birth_date = NaiveDate::from_ymd_opt(
        birth.year.unwrap_or(0),
        birth.month.unwrap_or(0),
        birth.day.unwrap_or(0),
    );
    patient
        .tumors
        .iter()
        .zip(&times)
        .zip(&records)
        .map(|((t, st), rec)| {
            let item = |id: &str| find(&t.items, id).or_else(|| p(id));
            let site = item("primarySite").unwrap_or("");
            let hist = item("histologicTypeIcdO3").unwrap_or("");
            let site_group = recode.classify(site, hist).map(|g| g.name.clone());
            let group = match &options.group_by {
                GroupBy::None => "all".to_owned(),
                GroupBy::SiteGroup => site_group.clone().unwrap_or_else(|| "Unknown".into()),
                GroupBy::Item(id) => item(id).unwrap_or("").trim().to_owned(),
            };
            let surv = if options.presumed_alive {
                st.presumed_alive
            } else {
                st.active
            };
            let event = st.dead_by_cutoff == Some(true);
            let excluded = if surv.flag == 8 {
                Some(if rec.reporting_source == 6 {
                    Exclusion::AutopsyOnly
                } else {
                    Exclusion::DeathCertificateOnly
                })
            } else if st.dx_recode.is_none() {
                Some(Exclusion::DiagnosisUnknownOrAfterCutoff)
            } else if surv.days.is_none() {
                Some(Exclusion::UnknownSurvival)
            } else if !event && surv.days == Some(0) {
                Some(Exclusion::AliveZeroDays)
            } else if options.first_primary_only && !matches!(rec.sequence, 0 | 1) {
                Some(Exclusion::NotFirstPrimary)
            } else {
                None
            };
            let age_years = item("ageAtDiagnosis")
                .and_then(|a| a.trim().parse::<u32>().ok())
                .filter(|a| *a < 999);
            let age_days = match (st.dx_recode, birth_date) {
                (Some(dx), Some(b)) if dx >= b => Some((dx - b).num_days() as f64),
                _ => age_years.map(|a| f64::from(a) * 365.25 + 182.0),
            };
            Case {
                group,
                days: surv.days,
                months: surv.months,
                event,
                excluded,
                sex,
                age_days,
                age_years,
                dx_days: st.dx_recode.map(days_since_1970),
                dx_year: rec.dx.year.or(st.dx_recode.map(|d| d.year())),
                county: item("countyAtDx").unwrap_or("").trim().to_owned(),
                site_group,
                behavior: item("behaviorCodeIcdO3").unwrap_or("").trim().to_owned(),
                stage: item("summaryStage2018")
                    .or_else(|| item("derivedSummaryStage2018"))
                    .or_else(|| item("seerSummaryStage2000"))
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
            }
        })
        .collect()
}

/// Replaces coded group values by their labels (`1` -> `Male`) when grouping by an item with a
/// code table; other values are kept as they are.
pub fn label_groups(cases: &mut [Case], group_by: &GroupBy) {
    let GroupBy::Item(id) = group_by else { return };
    let Some(labels) = super::edits::code_labels(id) else {
        return;
    };
    for c in cases {
        if let Some(l) = labels.get(&c.group) {
            c.group = l.clone();
        }
    }
}

/// Survival methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurvivalMethod {
    /// Kaplan-Meier observed survival.
    KaplanMeier,
    /// Actuarial (life-table) observed survival.
    Actuarial,
    /// Ederer II relative survival.
    EdererII,
    /// Pohar-Perme net survival.
    PoharPerme,
}

impl SurvivalMethod {
    /// Parses `km`, `actuarial`, `ederer2`, `pohar-perme`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "km" | "kaplan-meier" => Some(Self::KaplanMeier),
            "actuarial" | "life-table" => Some(Self::Actuarial),
            "ederer2" => Some(Self::EdererII),
            "pohar-perme" => Some(Self::PoharPerme),
            _ => None,
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KaplanMeier => "km",
            Self::Actuarial => "actuarial",
            Self::EdererII => "ederer2",
            Self::PoharPerme => "pohar-perme",
        }
    }

    /// What the estimate is, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::KaplanMeier => "Kaplan-Meier observed survival, Greenwood standard errors",
            Self::Actuarial => {
                "actuarial (life-table) observed survival, withdrawals counted as half at risk (SEER*Stat)"
            }
            Self::EdererII => "Ederer II relative survival (R relsurv rs.surv scheme)",
            Self::PoharPerme => "Pohar-Perme net survival (R relsurv rs.surv scheme)",
        }
    }
}

/// Time unit of survival reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Days.
    Days,
    /// SEER survival months.
    Months,
}

impl TimeUnit {
    /// Parses `days` or `months`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "days" => Some(Self::Days),
            "months" => Some(Self::Months),
            _ => None,
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Days => "days",
            Self::Months => "months",
        }
    }
}

/// What a survival report asks for.
#[derive(Debug, Clone)]
pub struct SurvivalRequest {
    /// Estimator.
    pub method: SurvivalMethod,
    /// Unit of times.
    pub time_unit: TimeUnit,
    /// Report at these times (in the unit) instead of every event time.
    pub times: Vec<f64>,
    /// Actuarial interval width (in the unit).
    pub interval: f64,
    /// Interval type.
    pub conf_type: ConfType,
    /// Confidence level.
    pub level: f64,
}

/// One row of a survival table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurvivalRow {
    /// Time (in the report's unit).
    pub time: f64,
    /// At risk.
    pub n_risk: u64,
    /// Deaths up to this time.
    pub n_event: u64,
    /// Survival.
    pub surv: f64,
    /// Its standard error.
    pub se_surv: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Hidden for release (small counts): the figures are not given.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// A median with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MedianOut {
    /// Estimate (none: not reached).
    pub estimate: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

impl From<Quantile> for MedianOut {
    fn from(q: Quantile) -> Self {
        let f = |x: f64| (!x.is_nan()).then_some(x);
        Self {
            estimate: f(q.estimate),
            lower: f(q.lower),
            upper: f(q.upper),
        }
    }
}

/// One group's curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalGroup {
    /// Label.
    pub group: String,
    /// Hidden for release: a group too small to show, or hidden so that one cannot be
    /// worked out (no figures are given).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// Cases.
    pub n: u64,
    /// Deaths.
    pub events: u64,
    /// Median survival (observed methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<MedianOut>,
    /// Rows.
    pub rows: Vec<SurvivalRow>,
    /// The whole step curve (time, survival, lower, upper) for charts.
    #[serde(skip)]
    pub curve: Vec<(f64, f64, f64, f64)>,
    /// (time, at risk) at every distinct time, for the number-at-risk table of charts.
    #[serde(skip)]
    pub at_risk: Vec<(f64, u64)>,
}

impl SurvivalGroup {
    /// At risk at `t`: the count at the first distinct time at or after it (0 past the end).
    pub fn n_risk_at(&self, t: f64) -> u64 {
        let k = self.at_risk.partition_point(|(u, _)| *u < t);
        self.at_risk.get(k).map_or(0, |a| a.1)
    }
}

/// A survival report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalReport {
    /// Method name.
    pub method: &'static str,
    /// What it estimates.
    pub method_description: &'static str,
    /// Interval type.
    pub conf_type: &'static str,
    /// Confidence level.
    pub conf_level: f64,
    /// Time unit.
    pub time_unit: &'static str,
    /// Groups.
    pub groups: Vec<SurvivalGroup>,
    /// Tumors left out, by reason.
    pub excluded: BTreeMap<String, u64>,
    /// Tumors analysed.
    pub cases: u64,
}

fn in_unit(days: i64, months: Option<i64>, unit: TimeUnit) -> f64 {
    match unit {
        TimeUnit::Days => days as f64,
        TimeUnit::Months => months.unwrap_or((days as f64 / DAYS_PER_MONTH).floor() as i64) as f64,
    }
}

/// Builds a survival report from cases (those excluded are counted by reason).
pub fn survival_report(
    cases: &[Case],
    request: &SurvivalRequest,
    rate_table: Option<&RateTable>,
) -> SurvivalReport {
    let z = crate::core::stats::dist::z_two_sided(request.level);
    let relative = matches!(
        request.method,
        SurvivalMethod::EdererII | SurvivalMethod::PoharPerme
    );
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_group: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        let why = c.excluded.or_else(|| {
            (relative && (c.sex.is_none() || c.age_days.is_none() || c.dx_days.is_none()))
                .then_some(Exclusion::NoSexOrAge)
        });
        match why {
            Some(w) => *excluded.entry(w.as_str().to_owned()).or_default() += 1,
            None => by_group.entry(c.group.clone()).or_default().push(c),
        }
    }
    let mut groups = Vec::new();
    let mut total = 0;
    for (label, members) in by_group {
        total += members.len() as u64;
        let obs: Vec<Observation> = members
            .iter()
            .filter_map(|c| c.observation(request.time_unit))
            .collect();
        let events = obs.iter().filter(|o| o.event).count() as u64;
        let group = match request.method {
            SurvivalMethod::KaplanMeier => {
                let km = KaplanMeier::fit(&obs);
                km_group(&label, &km, request, z)
            }
            SurvivalMethod::Actuarial => {
                let width = if request.interval > 0.0 {
                    request.interval
                } else {
                    match request.time_unit {
                        TimeUnit::Months => 12.0,
                        TimeUnit::Days => 365.0,
                    }
                };
                let max_t = obs.iter().map(|o| o.time).fold(0.0, f64::max);
                let intervals = ((max_t / width).floor() as usize + 1).min(1000);
                let table = actuarial::life_table(&obs, width, intervals);
                let mut cum = 0;
                let rows: Vec<SurvivalRow> = table
                    .iter()
                    .map(|r| {
                        cum += r.died;
                        let (lower, upper) = r.interval(request.conf_type, z);
                        SurvivalRow {
                            time: r.end,
                            n_risk: r.alive,
                            n_event: cum,
                            surv: r.cum_surv,
                            se_surv: r.se(),
                            lower,
                            upper,
                            suppressed: false,
                        }
                    })
                    .collect();
                let mut curve = vec![(0.0, 1.0, 1.0, 1.0)];
                curve.extend(rows.iter().map(|r| (r.time, r.surv, r.lower, r.upper)));
                SurvivalGroup {
                    group: label.clone(),
                    suppressed: false,
                    n: obs.len() as u64,
                    events,
                    median: None,
                    at_risk: table.iter().map(|r| (r.start, r.alive)).collect(),
                    rows,
                    curve,
                }
            }
            SurvivalMethod::EdererII | SurvivalMethod::PoharPerme => {
                let rel: Vec<RelObservation> =
                    members.iter().filter_map(|c| c.rel_observation()).collect();
                let method = if request.method == SurvivalMethod::EdererII {
                    RelMethod::EdererII
                } else {
                    RelMethod::PoharPerme
                };
                let curve = rate_table
                    .map(|t| estimate(&rel, t, method))
                    .unwrap_or_default();
                rel_group(&label, &curve, request, z)
            }
        };
        groups.push(group);
    }
    SurvivalReport {
        method: request.method.as_str(),
        method_description: request.method.describe(),
        conf_type: request.conf_type.as_str(),
        conf_level: request.level,
        time_unit: request.time_unit.as_str(),
        groups,
        excluded,
        cases: total,
    }
}

fn km_group(label: &str, km: &KaplanMeier, request: &SurvivalRequest, z: f64) -> SurvivalGroup {
    let row = |time: f64, n_risk: u64, n_event: u64, surv: f64, var_log: f64| {
        let (lower, upper) = request.conf_type.interval(surv, var_log.sqrt(), z);
        SurvivalRow {
            time,
            n_risk,
            n_event,
            surv,
            se_surv: if surv == 0.0 {
                f64::NAN
            } else {
                surv * var_log.sqrt()
            },
            lower,
            upper,
            suppressed: false,
        }
    };
    let rows: Vec<SurvivalRow> = if request.times.is_empty() {
        let mut cum = 0;
        km.event_rows()
            .map(|r| {
                cum += r.n_event;
                row(r.time, r.n_risk, cum, r.surv, r.var_log)
            })
            .collect()
    } else {
        request
            .times
            .iter()
            .map(|&t| {
                let a = km.at(t);
                row(t, a.n_risk, a.cum_events, a.surv, a.var_log)
            })
            .collect()
    };
    let mut curve = vec![(0.0, 1.0, 1.0, 1.0)];
    for r in &km.rows {
        let (l, u) = request.conf_type.interval(r.surv, r.var_log.sqrt(), z);
        curve.push((r.time, r.surv, l, u));
    }
    SurvivalGroup {
        group: label.to_owned(),
        suppressed: false,
        n: km.n,
        events: km.events,
        median: Some(km.quantile(0.5, request.conf_type, z).into()),
        at_risk: km.rows.iter().map(|r| (r.time, r.n_risk)).collect(),
        rows,
        curve,
    }
}

fn rel_group(label: &str, curve: &RelCurve, request: &SurvivalRequest, z: f64) -> SurvivalGroup {
    let to_unit = |days: f64| match request.time_unit {
        TimeUnit::Days => days,
        TimeUnit::Months => days / DAYS_PER_MONTH,
    };
    let to_days = |t: f64| match request.time_unit {
        TimeUnit::Days => t,
        TimeUnit::Months => t * DAYS_PER_MONTH,
    };
    // Relative survival may exceed 1 and its interval is not clipped (relsurv).
    let interval = |s: f64, var: f64| -> (f64, f64) {
        let sd = var.sqrt();
        match request.conf_type {
            ConfType::Plain => (s * (1.0 - z * sd), s * (1.0 + z * sd)),
            ConfType::Log => (s * (-z * sd).exp(), s * (z * sd).exp()),
            ConfType::LogLog => request.conf_type.interval(s, sd, z),
        }
    };
    let mut cum_at = Vec::with_capacity(curve.rows.len());
    let mut cum = 0;
    for r in &curve.rows {
        cum += r.n_event;
        cum_at.push((r.time, cum));
    }
    let events_to = |days: f64| -> u64 {
        let k = cum_at.partition_point(|(t, _)| *t <= days);
        k.checked_sub(1)
            .and_then(|i| cum_at.get(i))
            .map_or(0, |c| c.1)
    };
    let rows: Vec<SurvivalRow> = if request.times.is_empty() {
        curve
            .rows
            .iter()
            .filter(|r| r.n_event > 0)
            .map(|r| {
                let (lower, upper) = interval(r.surv, r.var_log);
                SurvivalRow {
                    time: to_unit(r.time),
                    n_risk: r.n_risk,
                    n_event: events_to(r.time),
                    surv: r.surv,
                    se_surv: r.surv * r.var_log.sqrt(),
                    lower,
                    upper,
                    suppressed: false,
                }
            })
            .collect()
    } else {
        request
            .times
            .iter()
            .map(|&t| {
                let d = to_days(t);
                let (surv, var) = curve.at(d);
                let (lower, upper) = interval(surv, var);
                SurvivalRow {
                    time: t,
                    n_risk: curve.n_risk_at(d),
                    n_event: events_to(d),
                    surv,
                    se_surv: surv * var.sqrt(),
                    lower,
                    upper,
                    suppressed: false,
                }
            })
            .collect()
    };
    let mut points = vec![(0.0, 1.0, 1.0, 1.0)];
    for r in &curve.rows {
        let (l, u) = interval(r.surv, r.var_log);
        points.push((to_unit(r.time), r.surv, l, u));
    }
    SurvivalGroup {
        group: label.to_owned(),
        suppressed: false,
        n: curve.n,
        events: curve.rows.iter().map(|r| r.n_event).sum(),
        median: None,
        at_risk: curve
            .rows
            .iter()
            .map(|r| (to_unit(r.time), r.n_risk))
            .collect(),
        rows,
        curve: points,
    }
}

/// The log-rank test between the groups of the cases.
pub fn logrank_report(
    cases: &[Case],
    unit: TimeUnit,
) -> (Vec<String>, LogRank, BTreeMap<String, u64>) {
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_group: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    for c in cases {
        match (c.excluded, c.days) {
            (None, Some(d)) => by_group
                .entry(c.group.clone())
                .or_default()
                .push(Observation {
                    time: in_unit(d, c.months, unit),
                    event: c.event,
                }),
            (Some(w), _) => *excluded.entry(w.as_str().to_owned()).or_default() += 1,
            (None, None) => *excluded.entry("unknown_survival".into()).or_default() += 1,
        }
    }
    let labels: Vec<String> = by_group.keys().cloned().collect();
    let groups: Vec<Vec<Observation>> = by_group.into_values().collect();
    (labels, log_rank(&groups), excluded)
}

/// Population denominators: person-years by (year, county, sex, 19-group age index).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    cells: HashMap<(i32, String, u8, usize), f64>,
    /// The (year, county) pairs the cells cover.
    places: std::collections::HashSet<(i32, String)>,
}

/// One row of a population file, for storing.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRow {
    /// Year.
    pub year: i32,
    /// County (FIPS, as in County at DX).
    pub county: String,
    /// 1 male, 2 female.
    pub sex: u8,
    /// Age group label (`00`, `01-04`, ..., `85+`).
    pub age_group: String,
    /// Persons.
    pub population: f64,
}

impl Population {
    /// Reads `year,county,sex,age_group,population` (sex 1 or 2; the 19 SEER age groups).
    /// Errors name the line.
    pub fn parse_csv(text: &str) -> Result<Vec<PopulationRow>, String> {
        let mut lines = text.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, l)| l.trim().trim_start_matches('\u{feff}'));
        if header != Some("year,county,sex,age_group,population") {
            return Err("line 1: the header must be year,county,sex,age_group,population".into());
        }
        let mut rows = Vec::new();
        for (i, line) in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let n = i + 1;
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            let [year, county, sex, age, pop] = c.as_slice() else {
                return Err(format!("line {n}: expected 5 cells, found {}", c.len()));
            };
            let year: i32 = year
                .parse()
                .ok()
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| format!("line {n}: year `{year}` is not a year"))?;
            let sex: u8 = match *sex {
                "1" => 1,
                "2" => 2,
                other => {
                    return Err(format!(
                        "line {n}: sex `{other}`: use 1 (male) or 2 (female)"
                    ));
                }
            };
            if !AGE_GROUPS_19.contains(age) {
                return Err(format!(
                    "line {n}: age group `{age}` is not one of {}",
                    AGE_GROUPS_19.join(", ")
                ));
            }
            let population: f64 = pop
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| format!("line {n}: population `{pop}` is not a count >= 0"))?;
            rows.push(PopulationRow {
                year,
                county: (*county).to_owned(),
                sex,
                age_group: (*age).to_owned(),
                population,
            });
        }
        if rows.is_empty() {
            return Err("the file has no rows".into());
        }
        Ok(rows)
    }

    /// From rows (duplicates add up).
    pub fn from_rows(rows: &[PopulationRow]) -> Self {
        let mut cells = HashMap::new();
        for r in rows {
            let age = AGE_GROUPS_19
                .iter()
                .position(|g| *g == r.age_group)
                .unwrap_or(0);
            *cells
                .entry((r.year, r.county.clone(), r.sex, age))
                .or_insert(0.0) += r.population;
        }
        let places = cells.keys().map(|(y, c, _, _)| (*y, c.clone())).collect();
        Self { cells, places }
    }

    fn has(&self, year: i32, county: &str) -> bool {
        self.places.contains(&(year, county.to_owned()))
    }
}

/// A dimension of an incidence table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Year of diagnosis.
    Year,
    /// Sex.
    Sex,
    /// SEER site group.
    SiteGroup,
    /// County at diagnosis.
    County,
    /// The 19 age groups: the rows are age-specific rates (crude within the group).
    AgeGroup,
}

impl Dim {
    /// Parses `year`, `sex`, `site-group`, `county`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "year" => Some(Self::Year),
            "sex" => Some(Self::Sex),
            "site-group" => Some(Self::SiteGroup),
            "county" => Some(Self::County),
            "age-group" => Some(Self::AgeGroup),
            _ => None,
        }
    }

    /// The column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Year => "year",
            Self::Sex => "sex",
            Self::SiteGroup => "site_group",
            Self::County => "county",
            Self::AgeGroup => "age_group",
        }
    }
}

/// One row of an incidence table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidenceRow {
    /// The `by` values, in the order asked.
    pub keys: Vec<String>,
    /// Cases.
    pub count: u64,
    /// Person-years.
    pub population: f64,
    /// Crude rate per 100,000.
    pub crude_rate: f64,
    /// Age-adjusted rate per 100,000.
    pub rate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Variance of the rate per person (trend weights).
    #[serde(skip)]
    pub variance: f64,
    /// Hidden for release: the count and every rate from it are not given.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// Age-specific counts and person-years (19 groups), for charts.
    #[serde(skip)]
    pub by_age: Vec<(f64, f64)>,
}

/// An incidence report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidenceReport {
    /// Standard population.
    pub standard: String,
    /// Interval method.
    pub ci: &'static str,
    /// Columns of `keys`.
    pub by: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<IncidenceRow>,
    /// Tumors counted.
    pub cases: u64,
    /// Tumors left out, by reason.
    pub excluded: BTreeMap<String, u64>,
}

/// What an incidence report asks for.
#[derive(Debug, Clone)]
pub struct IncidenceRequest {
    /// Dimensions.
    pub by: Vec<Dim>,
    /// Years (inclusive), none: every year the population covers.
    pub years: Option<(i32, i32)>,
    /// Standard population.
    pub standard: StandardPopulation,
    /// Interval method.
    pub ci: RateCi,
}

fn sex_label(s: u8) -> &'static str {
    if s == 1 { "Male" } else { "Female" }
}

/// Counts malignant tumors (behavior 3) by the requested dimensions and age group, and rates
/// them against the population.
pub fn incidence_report(
    cases: &[Case],
    population: &Population,
    request: &IncidenceRequest,
) -> IncidenceReport {
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut counts: HashMap<(Vec<String>, usize), f64> = HashMap::new();
    let mut counted = 0u64;
    let in_years = |y: i32| request.years.is_none_or(|(a, b)| (a..=b).contains(&y));
    let key_of = |year: i32, sex: u8, site: &str, county: &str, age: usize| -> Vec<String> {
        request
            .by
            .iter()
            .map(|d| match d {
                Dim::Year => year.to_string(),
                Dim::Sex => sex_label(sex).to_owned(),
                Dim::SiteGroup => site.to_owned(),
                Dim::County => county.to_owned(),
                Dim::AgeGroup => AGE_GROUPS_19.get(age).copied().unwrap_or("").to_owned(),
            })
            .collect()
    };
    let mut note = |why: &str| *excluded.entry(why.to_owned()).or_default() += 1;
    for c in cases {
        if c.behavior != "3" {
            note("not_malignant");
            continue;
        }
        let Some(year) = c.dx_year.filter(|y| in_years(*y)) else {
            note("outside_years");
            continue;
        };
        let sex = match c.sex {
            Some(Sex::Male) => 1,
            Some(Sex::Female) => 2,
            None => {
                note("sex_not_male_or_female");
                continue;
            }
        };
        let Some(age) = c.age_years else {
            note("age_unknown");
            continue;
        };
        if !population.has(year, &c.county) {
            note("county_year_not_in_population");
            continue;
        }
        let site = c.site_group.clone().unwrap_or_else(|| "Unknown".into());
        *counts
            .entry((
                key_of(year, sex, &site, &c.county, age_group_19(age)),
                age_group_19(age),
            ))
            .or_insert(0.0) += 1.0;
        counted += 1;
    }
    // Person-years for every key: sites share the population of their other keys.
    let mut pops: HashMap<(Vec<String>, usize), f64> = HashMap::new();
    let sites: Vec<String> = {
        let mut s: Vec<String> = counts
            .keys()
            .filter_map(|(k, _)| {
                request
                    .by
                    .iter()
                    .position(|d| *d == Dim::SiteGroup)
                    .and_then(|i| k.get(i).cloned())
            })
            .collect();
        s.sort();
        s.dedup();
        if s.is_empty() { vec![String::new()] } else { s }
    };
    for ((year, county, sex, age), n) in &population.cells {
        if !in_years(*year) {
            continue;
        }
        for site in &sites {
            *pops
                .entry((key_of(*year, *sex, site, county, *age), *age))
                .or_insert(0.0) += n;
        }
    }
    let mut keys: Vec<Vec<String>> = pops.keys().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    let weights_len = request.standard.groups.len();
    let rows = keys
        .into_iter()
        .map(|k| {
            let by_age: Vec<(f64, f64)> = (0..19)
                .map(|a| {
                    (
                        counts.get(&(k.clone(), a)).copied().unwrap_or(0.0),
                        pops.get(&(k.clone(), a)).copied().unwrap_or(0.0),
                    )
                })
                .collect();
            let count: f64 = by_age.iter().map(|c| c.0).sum();
            let population: f64 = by_age.iter().map(|c| c.1).sum();
            let crude = crude_rate(count, population, 1e5, 0.95);
            let age_specific = request.by.contains(&Dim::AgeGroup);
            let adjusted: Rate = if age_specific {
                // One age group: the rate is the group's own, with the exact interval.
                crude
            } else if weights_len == 19 || weights_len == 18 {
                request.standard.adjust_19(&by_age, request.ci, 1e5, 0.95)
            } else {
                let w: Vec<f64> = request.standard.groups.iter().map(|g| g.1).collect();
                adjusted_rate(&by_age, &w, request.ci, 1e5, 0.95)
            };
            IncidenceRow {
                keys: k,
                count: count as u64,
                population,
                crude_rate: crude.rate,
                rate: adjusted.rate,
                se: adjusted.se,
                lower: adjusted.lower,
                upper: adjusted.upper,
                variance: adjusted.variance_per_person * 1e10,
                suppressed: false,
                by_age,
            }
        })
        .collect();
    IncidenceReport {
        standard: request.standard.name.clone(),
        ci: request.ci.as_str(),
        by: request.by.iter().map(|d| d.as_str()).collect(),
        rows,
        cases: counted,
        excluded,
    }
}

/// One group's trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// The group (the non-year `by` values joined by ` / `, or `all`).
    pub group: String,
    /// The fit, or why there is none.
    #[serde(skip)]
    pub fit: Result<Apc, String>,
    /// (year, rate) points.
    #[serde(skip)]
    pub points: Vec<(i32, f64)>,
}

/// Annual percent change of the age-adjusted rates per group (the report must have `year`
/// among its dimensions).
pub fn trend_report(report: &IncidenceReport, weighted: bool) -> Vec<TrendRow> {
    let year_col = report.by.iter().position(|d| *d == "year");
    let mut groups: BTreeMap<String, Vec<(i32, f64, f64)>> = BTreeMap::new();
    for r in &report.rows {
        let Some(yc) = year_col else { break };
        let Some(year) = r.keys.get(yc).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let label: Vec<&str> = r
            .keys
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != yc)
            .map(|(_, k)| k.as_str())
            .collect();
        let label = if label.is_empty() {
            "all".to_owned()
        } else {
            label.join(" / ")
        };
        groups
            .entry(label)
            .or_default()
            .push((year, r.rate, r.variance));
    }
    groups
        .into_iter()
        .map(|(group, mut pts)| {
            pts.sort_by_key(|p| p.0);
            TrendRow {
                fit: annual_percent_change(&pts, weighted, 0.95).map_err(|e| e.to_string()),
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                group,
            }
        })
        .collect()
}

/// A number for CSV: shortest exact form, `NA` when undefined.
fn csv_num(x: f64) -> String {
    if x.is_nan() {
        "NA".into()
    } else {
        format!("{x}")
    }
}

/// Quotes a CSV field when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes a survival report as CSV: `group,time,n_risk,n_event,surv,se_surv,lower,upper`
/// (hidden values empty).
pub fn write_survival_csv(
    report: &SurvivalReport,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    writeln!(w, "group,time,n_risk,n_event,surv,se_surv,lower,upper")?;
    for g in &report.groups {
        if g.suppressed {
            writeln!(w, "{},,,,,,,", csv_field(&g.group))?;
            continue;
        }
        for r in &g.rows {
            if r.suppressed {
                writeln!(w, "{},{},,,,,,", csv_field(&g.group), csv_num(r.time))?;
                continue;
            }
            writeln!(
                w,
                "{},{},{},{},{},{},{},{}",
                csv_field(&g.group),
                csv_num(r.time),
                r.n_risk,
                r.n_event,
                csv_num(r.surv),
                csv_num(r.se_surv),
                csv_num(r.lower),
                csv_num(r.upper)
            )?;
        }
    }
    Ok(())
}

/// Writes an incidence report as CSV: the `by` columns then
/// `count,population,crude_rate,rate,se,lower,upper` (hidden values empty).
pub fn write_incidence_csv(
    report: &IncidenceReport,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut header: Vec<&str> = report.by.clone();
    header.extend([
        "count",
        "population",
        "crude_rate",
        "rate",
        "se",
        "lower",
        "upper",
    ]);
    writeln!(w, "{}", header.join(","))?;
    for r in &report.rows {
        let mut cells: Vec<String> = r.keys.iter().map(|k| csv_field(k)).collect();
        if r.suppressed {
            cells.extend([String::new(), csv_num(r.population)]);
            cells.extend(std::iter::repeat_n(String::new(), 5));
        } else {
            cells.extend([
                r.count.to_string(),
                csv_num(r.population),
                csv_num(r.crude_rate),
                csv_num(r.rate),
                csv_num(r.se),
                csv_num(r.lower),
                csv_num(r.upper),
            ]);
        }
        writeln!(w, "{}", cells.join(","))?;
    }
    Ok(())
}
