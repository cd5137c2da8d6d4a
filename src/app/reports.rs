//! Aggregate reports over the stored abstracts: survival and incidence with filters and
//! grouping, for central staff, registrars (their facilities) and researchers. Researchers
//! (anyone without the right to read patient data) get suppressed results only: no count from
//! 1 to the release threshold, nor anything computed from one, with complementary suppression
//! so that hidden counts cannot be worked out from the rest or from the margins.

use super::abstracts::{Access, PatientWithTumors, with_tumors};
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::stats::{
    Case, CaseOptions, GroupBy, IncidenceReport, IncidenceRequest, Population, PopulationRow,
    SurvivalReport, SurvivalRequest, cases_of, incidence_report, label_groups, site_recode,
    survival_report, us_rate_table,
};
use super::{AppError, Registry};
use crate::core::abstracts::PatientId;
use crate::core::auth::Permission;
use crate::core::naaccr::xml::{Patient, Tumor};
use crate::core::problem::Problem;
use crate::core::stats::suppression::{Hidden, Relations};
use crate::store::abstracts as q;
use crate::store::population as pq;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// The default release threshold: counts from 1 to 15 are not shown to researchers.
pub const DEFAULT_SUPPRESSION_THRESHOLD: u64 = 15;

/// Which tumors a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// SEER site group names (any when empty).
    pub site_groups: Vec<String>,
    /// Sex codes `1`, `2` (any when empty).
    pub sex: Vec<String>,
    /// Diagnosis years, inclusive.
    pub years: Option<(i32, i32)>,
    /// Counties at diagnosis (any when empty).
    pub areas: Vec<String>,
    /// Summary stage codes (any when empty).
    pub stages: Vec<String>,
}

impl ReportFilter {
    fn keeps(&self, c: &Case) -> bool {
        let sex = match c.sex {
            Some(crate::core::stats::ratetable::Sex::Male) => "1",
            Some(crate::core::stats::ratetable::Sex::Female) => "2",
            None => "",
        };
        (self.site_groups.is_empty()
            || c.site_group
                .as_ref()
                .is_some_and(|g| self.site_groups.contains(g)))
            && (self.sex.is_empty() || self.sex.iter().any(|s| s == sex))
            && self
                .years
                .is_none_or(|(a, b)| c.dx_year.is_some_and(|y| (a..=b).contains(&y)))
            && (self.areas.is_empty() || self.areas.contains(&c.county))
            && (self.stages.is_empty() || self.stages.contains(&c.stage))
    }
}

/// What a report groups by: `site-group`, `sex`, `year`, `area`, `stage`, or an item.
pub fn report_group(c: &mut Case, by: &str) {
    c.group = match by {
        "" => "all".to_owned(),
        "site-group" => c.site_group.clone().unwrap_or_else(|| "Unknown".into()),
        "sex" => match c.sex {
            Some(crate::core::stats::ratetable::Sex::Male) => "Male".into(),
            Some(crate::core::stats::ratetable::Sex::Female) => "Female".into(),
            None => "Unknown".into(),
        },
        "year" => c.dx_year.map_or("Unknown".into(), |y| y.to_string()),
        "area" => c.county.clone(),
        "stage" => {
            if c.stage.is_empty() {
                "Unknown".into()
            } else {
                c.stage.clone()
            }
        }
        _ => std::mem::take(&mut c.group),
    };
}

fn to_patient(p: &PatientWithTumors) -> Patient {
    Patient {
        items: super::exports::items(&p.patient.items),
        tumors: p
            .tumors
            .iter()
            .map(|t| Tumor {
                items: super::exports::items(&t.items),
                ..Tumor::default()
            })
            .collect(),
        ..Patient::default()
    }
}

/// A survival report as answered: the report, and whether (and at which threshold) it was
/// suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<R> {
    /// The report (suppressed figures are NaN, suppressed counts are none).
    pub report: R,
    /// The threshold applied, when suppressed.
    pub suppressed_at: Option<u64>,
    /// Hidden cells: for survival, the groups hidden; for incidence, the rows hidden.
    pub hidden: Vec<bool>,
}

impl Registry {
    /// Cases of every stored tumor the caller may see, grouped by `by` (an item is read from
    /// the abstract), kept by `filter`; read 500 patients at a time.
    async fn report_cases(
        &self,
        access: &Access,
        cutoff: NaiveDate,
        by: &str,
        filter: &ReportFilter,
        (presumed_alive, first_primary_only): (bool, bool),
    ) -> Result<Vec<Case>, AppError> {
        let recode = site_recode().map_err(AppError::Internal)?;
        let group_by = match by {
            "" | "site-group" | "sex" | "year" | "area" | "stage" => GroupBy::None,
            item => GroupBy::Item(item.to_owned()),
        };
        let options = CaseOptions {
            cutoff,
            today: self.clock.now().date(),
            presumed_alive,
            first_primary_only,
            group_by: group_by.clone(),
        };
        let query = self.scoped_filter(Default::default(), 500, access)?;
        let mut after: Option<PatientId> = None;
        let mut cases = Vec::new();
        loop {
            let f = query.clone();
            let scope = access.scope().clone();
            let page = self
                .db
                .run(move |conn| {
                    let patients = q::list_patients(conn, &f, after, 500)?;
                    with_tumors(conn, patients, &scope)
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.patient.id);
            for p in &page {
                for mut c in cases_of(&to_patient(p), &recode, &options) {
                    if filter.keeps(&c) {
                        report_group(&mut c, by);
                        cases.push(c);
                    }
                }
            }
        }
        label_groups(&mut cases, &group_by);
        Ok(cases)
    }

    /// A survival report over the stored abstracts. Suppressed unless the caller may read
    /// patient data.
    pub async fn survival_report(
        &self,
        ctx: &RequestContext,
        request: SurvivalRequest,
        cutoff: Option<NaiveDate>,
        group_by: String,
        filter: ReportFilter,
        threshold: u64,
    ) -> Result<Answer<SurvivalReport>, AppError> {
        let access = Access::of(ctx);
        let suppress = !ctx_allows(ctx, Permission::ReadPatientData);
        self.check_aggregates(ctx, "report.survival").await?;
        let cutoff = cutoff.unwrap_or_else(|| self.clock.now().date());
        let cases = self
            .report_cases(&access, cutoff, &group_by, &filter, (false, false))
            .await?;
        let table = match request.method {
            super::stats::SurvivalMethod::EdererII | super::stats::SurvivalMethod::PoharPerme => {
                Some(us_rate_table().map_err(AppError::Internal)?)
            }
            _ => None,
        };
        let mut report = survival_report(&cases, &request, table.as_ref());
        let mut hidden = vec![false; report.groups.len()];
        if suppress {
            hidden = suppress_survival(&mut report, threshold);
        }
        Ok(Answer {
            report,
            suppressed_at: suppress.then_some(threshold),
            hidden,
        })
    }

    /// An incidence report over the stored abstracts and the stored population. Suppressed
    /// unless the caller may read patient data.
    pub async fn incidence_report(
        &self,
        ctx: &RequestContext,
        request: IncidenceRequest,
        filter: ReportFilter,
        threshold: u64,
    ) -> Result<Answer<IncidenceReport>, AppError> {
        let access = Access::of(ctx);
        let suppress = !ctx_allows(ctx, Permission::ReadPatientData);
        self.check_aggregates(ctx, "report.incidence").await?;
        let rows = self.stored_population().await?;
        if rows.is_empty() {
            return Err(AppError::invalid(Problem::new(
                "no_population",
                "no population is stored: import one with `tumor-registry population import FILE`",
            )));
        }
        let population = Population::from_rows(&rows);
        let cutoff = self.clock.now().date();
        let cases = self
            .report_cases(&access, cutoff, "", &filter, (false, false))
            .await?;
        let mut report = incidence_report(&cases, &population, &request);
        let mut hidden = vec![false; report.rows.len()];
        if suppress {
            hidden = suppress_incidence(&mut report, threshold);
        }
        Ok(Answer {
            report,
            suppressed_at: suppress.then_some(threshold),
            hidden,
        })
    }

    /// The cases of every stored tumor the caller may see (for the command line's statistics
    /// over the database): grouped by `by` (`site-group`, `sex`, `year`, `area`, `stage` or an
    /// item), with presumed-alive survival or first primaries only when asked.
    pub async fn stored_cases(
        &self,
        ctx: &RequestContext,
        cutoff: NaiveDate,
        by: &str,
        presumed_alive: bool,
        first_primary_only: bool,
    ) -> Result<Vec<Case>, AppError> {
        self.check_aggregates(ctx, "stats.cases").await?;
        let access = Access::of(ctx);
        self.report_cases(
            &access,
            cutoff,
            by,
            &ReportFilter::default(),
            (presumed_alive, first_primary_only),
        )
        .await
    }

    /// The stored population denominators.
    pub async fn stored_population(&self) -> Result<Vec<PopulationRow>, AppError> {
        let cells = self.db.run(pq::all_population).await?;
        Ok(cells
            .into_iter()
            .map(|(year, county, sex, age_group, population)| PopulationRow {
                year,
                county,
                sex: u8::try_from(sex).unwrap_or(0),
                age_group,
                population,
            })
            .collect())
    }

    /// Stores population denominators (replacing those of the years and counties the rows
    /// cover), in one transaction. Returns (rows replaced, rows written).
    pub async fn import_population(
        &self,
        rows: Vec<PopulationRow>,
    ) -> Result<(usize, usize), AppError> {
        let now = self.clock.now();
        let cells: Vec<pq::PopulationCell> = rows
            .into_iter()
            .map(|r| {
                (
                    r.year,
                    r.county,
                    i16::from(r.sex),
                    r.age_group,
                    r.population,
                )
            })
            .collect();
        self.db
            .run(move |conn| {
                crate::store::write_transaction(conn, |conn| {
                    pq::replace_population(conn, &cells, now).map_err(AppError::from)
                })
            })
            .await
    }

    async fn check_aggregates(
        &self,
        ctx: &RequestContext,
        action: &'static str,
    ) -> Result<(), AppError> {
        self.audited(
            ctx,
            Permission::ReadAggregates,
            action,
            AuditFacts::default(),
            |_, _| Ok(()),
        )
        .await
    }
}

fn ctx_allows(ctx: &RequestContext, p: Permission) -> bool {
    ctx.principal.as_ref().is_some_and(|pr| pr.role.allows(p))
}

/// Suppresses a survival report for release: each group's size is a count (with the total
/// of all groups as their sum), so a group of 1 to `threshold` cases is hidden with enough
/// others that no size can be worked out; a hidden group's curve goes entirely. In the groups
/// shown, a row whose number at risk or deaths so far is from 1 to `threshold` loses its
/// figures, and the exclusion counts are not given.
pub fn suppress_survival(report: &mut SurvivalReport, threshold: u64) -> Vec<bool> {
    let mut t = Relations::default();
    let parts: Vec<usize> = report.groups.iter().map(|g| t.push(g.n)).collect();
    let total = t.push(report.groups.iter().map(|g| g.n).sum());
    t.relate(total, parts);
    let hidden = t.suppress(threshold);
    let small = |n: u64| n >= 1 && n <= threshold;
    let mut out = Vec::with_capacity(report.groups.len());
    for (g, h) in report.groups.iter_mut().zip(&hidden) {
        let hide = *h != Hidden::No;
        out.push(hide);
        g.suppressed = hide;
        if hide {
            g.n = 0;
            g.events = 0;
            g.median = None;
            g.rows.clear();
            g.curve.clear();
            g.at_risk.clear();
            continue;
        }
        if small(g.events) {
            g.events = 0;
        }
        for r in &mut g.rows {
            if small(r.n_risk) || small(r.n_event) {
                r.suppressed = true;
                r.surv = f64::NAN;
                r.se_surv = f64::NAN;
                r.lower = f64::NAN;
                r.upper = f64::NAN;
                r.n_risk = 0;
                r.n_event = 0;
            }
        }
        // The chart's curve and at-risk table end where the rows stop being shown.
        let cut = g.at_risk.iter().find(|(_, n)| small(*n)).map(|(t, _)| *t);
        if let Some(cut) = cut {
            g.curve.retain(|p| p.0 < cut);
            g.at_risk.retain(|(t, _)| *t < cut);
        }
    }
    if hidden.last().is_some_and(|h| *h != Hidden::No) {
        report.cases = 0;
    }
    report.excluded.clear();
    out
}

/// Suppresses an incidence report for release over the table of its rows with every margin
/// (the totals over any of its dimensions, which coarser reports publish): counts from 1 to
/// `threshold` and their complements are hidden, with every rate computed from them.
pub fn suppress_incidence(report: &mut IncidenceReport, threshold: u64) -> Vec<bool> {
    let dims = report.by.len();
    let mut t = Relations::default();
    // Cells: each row; margins: each key with some dimensions replaced by "*".
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut counts: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for r in &report.rows {
        for mask in 0..(1u32 << dims) {
            let key: Vec<String> = r
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    if mask & (1 << i) != 0 {
                        "*".to_owned()
                    } else {
                        k.clone()
                    }
                })
                .collect();
            *counts.entry(key).or_insert(0) += r.count;
        }
    }
    for (key, count) in &counts {
        index.insert(key.clone(), t.push(*count));
    }
    // Each total over one dimension is the sum of its parts along it.
    for (key, &i) in &index {
        for d in 0..dims {
            if key.get(d).map(String::as_str) != Some("*") {
                continue;
            }
            let parts: Vec<usize> = index
                .iter()
                .filter(|(k, _)| {
                    k.iter()
                        .zip(key)
                        .enumerate()
                        .all(|(j, (a, b))| if j == d { a != "*" } else { a == b })
                })
                .map(|(_, &p)| p)
                .collect();
            if !parts.is_empty() {
                t.relate(i, parts);
            }
        }
    }
    let hidden = t.suppress(threshold);
    let mut out = Vec::with_capacity(report.rows.len());
    for r in &mut report.rows {
        let hide = index
            .get(&r.keys)
            .and_then(|&i| hidden.get(i))
            .is_some_and(|h| *h != Hidden::No);
        out.push(hide);
        r.suppressed = hide;
        if hide {
            r.count = 0;
            r.crude_rate = f64::NAN;
            r.rate = f64::NAN;
            r.se = f64::NAN;
            r.lower = f64::NAN;
            r.upper = f64::NAN;
            r.by_age.clear();
        } else {
            // Age-specific counts are cells too: the chart of a released row shows none.
            r.by_age.clear();
        }
    }
    report.excluded.clear();
    out
}
