//! One synthetic person with tumors, drawn as typed values before being written as NAACCR items.
//!
//! Order of draws: sex -> first tumor type (by sex) -> age (by the tumor's site group) ->
//! diagnosis date -> date of birth -> later primaries -> survival -> vital status. Choosing the
//! site before the age is what makes ages plausible per site (childhood vs adult cancers).

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::Rng;

use super::tables::{AgeDistribution, Place, Sex, SiteGroup, SynthTables, TumorType};
use super::weighted::{pick_code, pick_uniform};

/// Share of patients given more than one primary. SEER: about 1 in 12 to 1 in 6 survivors
/// develops a second primary over follow-up (Travis, Nat Rev Cancer 2006); over a
/// 10-15 year window of a registry about 5-8% of patients carry several.
pub(super) const MULTI_TUMOR_SHARE: f64 = 0.065;
/// Among patients with several primaries, the share with three.
const THREE_TUMOR_SHARE: f64 = 0.15;
/// Share of single-primary patients known from a death certificate only (TRS 7). US
/// registries report about 1-2% DCO cases (NAACCR certification criterion: < 3%).
const DCO_SHARE: f64 = 0.01;
/// Share of males among incident cancer patients (US, SEER: about half).
const MALE_SHARE: f64 = 0.5;
/// Gompertz background mortality h(x) = A e^{B x}: B = 0.085 per year (hazard doubling every
/// ~8 years, the usual adult value) and A such that h(65) ~ 1.2% per year, close to US
/// period life tables. Used for deaths from other causes.
const GOMPERTZ_A: f64 = 4.8e-5;
const GOMPERTZ_B: f64 = 0.085;
const DAYS_PER_YEAR: f64 = 365.25;

/// A person's name, identity and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Person {
    pub sex: Sex,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub dob: NaiveDate,
    pub ssn: String,
    pub race1: u8,
    pub hispanic: u8,
    pub birthplace_state: String,
    pub phone: String,
    pub street: String,
    pub place: Place,
    pub vital: Vital,
    pub tumors: Vec<Tumor>,
}

/// Vital status at the end of follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Vital {
    /// Alive at the date of last contact.
    Alive { last_contact: NaiveDate },
    /// Dead on this date of this ICD-10 cause.
    Dead { date: NaiveDate, cause: String },
}

impl Vital {
    pub fn last_contact(&self) -> NaiveDate {
        match self {
            Vital::Alive { last_contact } => *last_contact,
            Vital::Dead { date, .. } => *date,
        }
    }
}

/// One primary tumor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tumor {
    pub kind: TumorType,
    pub dx: NaiveDate,
    pub grade: Grade,
    pub laterality: u8,
    pub confirmation: u8,
    pub reporting_source: u8,
    pub marital: u8,
    pub facility: String,
    /// Schema ID and discriminators, diagnoses from 2018.
    pub schema: Option<super::schema::SchemaChoice>,
}

/// Grade as coded for the diagnosis year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grade {
    /// Grade [440], diagnoses before 2018.
    Legacy(u8),
    /// Grade Clinical [3843] and Grade Pathological [3844], 2018 and later (blank when `None`:
    /// these items apply to solid tumors only).
    Since2018(Option<(char, char)>),
}

/// The generation window, already normalised.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub dx_start: NaiveDate,
    pub dx_end: NaiveDate,
    pub cutoff: NaiveDate,
}

/// A standard normal deviate (Box-Muller; `rand_distr` is not a dependency).
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Age in completed years, drawn from the group's distribution truncated to its range.
pub(super) fn draw_age<R: Rng + ?Sized>(group: &SiteGroup, rng: &mut R) -> u32 {
    let (lo, hi) = (f64::from(group.age_min), f64::from(group.age_max) + 1.0);
    for _ in 0..64 {
        let x = match group.age {
            AgeDistribution::Normal { mean, sd } => mean + sd * normal(rng),
            AgeDistribution::LogNormal { median, sigma } => {
                (median.ln() + sigma * normal(rng)).exp()
            }
        };
        if x >= lo && x < hi {
            return x.floor() as u32;
        }
    }
    // Rejection failed (parameters far outside the range): uniform over the range.
    rng.random_range(group.age_min..=group.age_max)
}

/// Completed years between `birth` and `date` (0 when `date` is before `birth`).
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A date of birth giving exactly `age` completed years on `dx`, uniform over the possible days.
pub(super) fn draw_birth<R: Rng + ?Sized>(dx: NaiveDate, age: u32, rng: &mut R) -> NaiveDate {
    let latest = dx.checked_sub_months(Months::new(12 * age)).unwrap_or(dx);
    let earliest = dx
        .checked_sub_months(Months::new(12 * (age + 1)))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(latest);
    let span = (latest - earliest).num_days().max(0);
    let offset = u64::try_from(rng.random_range(0..=span)).unwrap_or(0);
    let dob = earliest
        .checked_add_days(Days::new(offset))
        .unwrap_or(latest);
    if age_on(dob, dx) == age { dob } else { latest }
}

fn add_days(d: NaiveDate, days: f64) -> Option<NaiveDate> {
    if !days.is_finite() || days < 0.0 {
        return None;
    }
    // Survival beyond ~2700 years is "never" for our purposes; avoid overflow.
    let n = days.min(1.0e6) as u64;
    d.checked_add_days(Days::new(n))
}

/// Uniform date in `start..=end`.
pub(super) fn draw_date<R: Rng + ?Sized>(
    start: NaiveDate,
    end: NaiveDate,
    rng: &mut R,
) -> NaiveDate {
    let span = (end - start).num_days().max(0);
    let off = u64::try_from(rng.random_range(0..=span)).unwrap_or(0);
    start.checked_add_days(Days::new(off)).unwrap_or(start)
}

/// Time to cancer death in days: Weibull with the group's median and shape
/// (S(t) = exp(-(t/λ)^k), λ = median / ln(2)^(1/k)).
fn cancer_death_days<R: Rng + ?Sized>(group: &SiteGroup, rng: &mut R) -> f64 {
    let k = group.weibull_shape;
    let lambda = group.median_survival_years / std::f64::consts::LN_2.powf(1.0 / k);
    let u: f64 = 1.0 - rng.random::<f64>();
    lambda * (-u.ln()).powf(1.0 / k) * DAYS_PER_YEAR
}

/// Time to death from other causes in days, Gompertz from the given age (inverse transform of
/// S(t) = exp(-A/B e^{B x} (e^{B t} - 1))).
fn other_death_days<R: Rng + ?Sized>(age: u32, rng: &mut R) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let h0 = GOMPERTZ_A * (GOMPERTZ_B * f64::from(age)).exp();
    (1.0 - GOMPERTZ_B * u.ln() / h0).ln() / GOMPERTZ_B * DAYS_PER_YEAR
}

/// Race 1 [160] codes with rough US shares of cancer patients (SEER 22, 2015-2019:
/// about 78% White, 11% Black, 1% AIAN, 5% Asian/Pacific Islander, rest other/unknown).
const RACE: &[(u8, u32)] = &[
    (1, 780),
    (2, 110),
    (3, 10),
    (4, 12),
    (5, 6),
    (6, 10),
    (7, 3),
    (8, 5),
    (10, 5),
    (16, 6),
    (96, 13),
    (98, 10),
    (99, 10),
];
/// Spanish/Hispanic Origin [190]: about 10% Hispanic among cancer patients.
const HISPANIC: &[(u8, u32)] = &[
    (0, 880),
    (1, 50),
    (2, 10),
    (3, 5),
    (4, 10),
    (6, 15),
    (7, 10),
    (9, 20),
];
/// Marital Status at DX [150] by age band (approximate, US adults).
const MARITAL_YOUNG: &[(u8, u32)] = &[(1, 60), (2, 30), (4, 3), (6, 4), (9, 3)];
const MARITAL_ADULT: &[(u8, u32)] = &[(1, 12), (2, 55), (3, 2), (4, 13), (5, 10), (6, 2), (9, 6)];
const MARITAL_OLD: &[(u8, u32)] = &[(1, 6), (2, 42), (3, 1), (4, 10), (5, 35), (6, 1), (9, 5)];
/// Diagnostic Confirmation [490] of solid malignant tumors: ~90% microscopic (histology)
/// in US registries (SEER data quality profiles).
const DC_SOLID: &[(u8, u32)] = &[
    (1, 880),
    (2, 40),
    (4, 10),
    (5, 10),
    (6, 10),
    (7, 40),
    (8, 10),
];
/// In situ tumors are microscopically confirmed by definition (SEER IF31: DC 1, 2 or 4).
const DC_IN_SITU: &[(u8, u32)] = &[(1, 970), (2, 20), (4, 10)];
/// Hematopoietic and lymphoid neoplasms: histology, cytology (blood smear, marrow aspirate)
/// or histology plus immunophenotyping/genetics (code 3, 2010+); never 6 or 8 (SEER IF48).
const DC_HEME: &[(u8, u32)] = &[(1, 600), (2, 120), (3, 250), (4, 20), (5, 10)];
/// Benign and borderline tumors (mostly CNS): often diagnosed by imaging alone.
const DC_BENIGN: &[(u8, u32)] = &[(1, 600), (7, 380), (8, 20)];
/// Grade [440] of solid malignant tumors before 2018.
const GRADE_SOLID: &[(u8, u32)] = &[(1, 150), (2, 350), (3, 250), (4, 30), (9, 220)];
/// Grade Clinical/Pathological of solid tumors, 2018+ (generic codes 1-3 and 9).
const GRADE_2018: &[(u8, u32)] = &[(1, 180), (2, 380), (3, 260), (9, 180)];

/// Histologies that are hematopoietic or lymphoid (ICD-O-3 9590-9993).
pub fn is_heme(histology: u16) -> bool {
    (9590..=9993).contains(&histology)
}

/// Histologies for which a non-microscopic diagnosis is usual (IARC check "basis of
/// diagnosis/histology": 8000, carcinoma/liver/kidney/thyroid NOS groups, etc.).
fn nonspecific_histology(h: u16) -> bool {
    matches!(h, 8000..=8005 | 8150..=8154 | 8170 | 8270..=8281 | 8800 | 8960 | 9050 | 9100 | 9140 | 9350 | 9380 | 9384 | 9500 | 9510 | 9530..=9539 | 9590 | 9732 | 9761 | 9800)
}

/// Implied grade of some histologies (IARC/IACR Check, grade/histology: e.g. 8020 undifferentiated
/// carcinoma is grade 4, 8331 well-differentiated follicular carcinoma grade 1).
fn implied_grade(h: u16) -> Option<u8> {
    match h {
        8331 | 9187 | 9511 => Some(1),
        8249 | 8332 | 9083 | 9243 | 9372 => Some(2),
        8631 | 8634 => Some(3),
        8020 | 8021 | 8805 | 9062 | 9082 | 9392 | 9401 | 9451 | 9505 | 9512 => Some(4),
        _ => None,
    }
}

/// Cell lineage coded in Grade [440] for lymphomas and leukemias before 2018 (5 T-cell,
/// 6 B-cell, 8 NK, 9 unknown), following the Hematopoietic DB lineages.
fn heme_grade(h: u16) -> u8 {
    match h {
        9948 => 8,
        9700..=9719 | 9827 | 9831 | 9834 | 9837 => 5,
        9590..=9597 | 9670..=9699 | 9731..=9734 | 9811..=9818 | 9823 | 9826 | 9833 | 9836 => 6,
        _ => 9,
    }
}

fn draw_grade<R: Rng + ?Sized>(kind: &TumorType, dx_year: i32, rng: &mut R) -> Grade {
    if dx_year >= 2018 {
        // Grade Clinical/Pathological apply to solid tumors; leave blank for heme and
        // non-malignant tumors (approximation: the 2018 Grade Manual gives site tables).
        if is_heme(kind.histology) || kind.behavior < 2 {
            return Grade::Since2018(None);
        }
        let c = pick_code(GRADE_2018, rng);
        let p = if rng.random_bool(0.6) { c } else { 9 };
        let digit = |g: u8| char::from(b'0' + g.min(9));
        return Grade::Since2018(Some((digit(c), digit(p))));
    }
    let g = if is_heme(kind.histology) {
        heme_grade(kind.histology)
    } else if kind.behavior != 3 {
        9
    } else if let Some(g) = implied_grade(kind.histology) {
        g
    } else {
        pick_code(GRADE_SOLID, rng)
    };
    Grade::Legacy(g)
}

fn draw_confirmation<R: Rng + ?Sized>(kind: &TumorType, single: bool, rng: &mut R) -> u8 {
    let table = if is_heme(kind.histology) {
        DC_HEME
    } else if kind.behavior == 2 {
        DC_IN_SITU
    } else if kind.behavior < 2 {
        DC_BENIGN
    } else {
        DC_SOLID
    };
    let dc = pick_code(table, rng);
    // A non-microscopic diagnosis (5-8) with a specific histology is queried (IARC
    // basis/histology check) and later primaries need microscopic confirmation (SEER IF23):
    // such draws fall back to positive histology.
    let plausible = nonspecific_histology(kind.histology) || kind.behavior < 2;
    if (5..=8).contains(&dc) && (!single || !plausible) {
        1
    } else {
        dc
    }
}

fn draw_laterality<R: Rng + ?Sized>(
    tables: &SynthTables,
    kind: &TumorType,
    year: i32,
    rng: &mut R,
) -> u8 {
    if !tables.is_paired(&kind.primary_site, year) {
        return 0;
    }
    let site = kind.primary_site.as_str();
    let cns = matches!(
        site,
        "C700" | "C710" | "C711" | "C712" | "C713" | "C714" | "C722" | "C723" | "C724" | "C725"
    );
    if cns && year >= 2010 && rng.random_bool(0.1) {
        return 5; // midline, allowed for CNS since 2010 (SEER IF24)
    }
    // In situ tumors at paired sites: 1, 2 or 3 only (SEER IF42).
    let table: &[(u8, u32)] = if kind.behavior == 2 {
        &[(1, 48), (2, 48), (3, 4)]
    } else {
        &[(1, 46), (2, 46), (3, 1), (4, 2), (9, 5)]
    };
    pick_code(table, rng)
}

fn marital<R: Rng + ?Sized>(age: u32, rng: &mut R) -> u8 {
    match age {
        0..=17 => 1,
        18..=29 => pick_code(MARITAL_YOUNG, rng),
        30..=74 => pick_code(MARITAL_ADULT, rng),
        _ => pick_code(MARITAL_OLD, rng),
    }
}

/// A 10-digit reporting facility: state FIPS, county FIPS and a 5-digit facility number (1-3
/// facilities per county).
pub(super) fn facility(place: &Place, number: u8) -> String {
    format!("{}{}{:05}", place.state_fips, place.county_fips, number)
}

/// A Social Security number shaped like a real one (area 001-899 except 666, group 01-99,
/// serial 0001-9999), random and not checked against anything.
fn draw_ssn<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut area = rng.random_range(1..=899u32);
    if area == 666 {
        area = 665;
    }
    format!(
        "{:03}{:02}{:04}",
        area,
        rng.random_range(1..=99u32),
        rng.random_range(1..=9999u32)
    )
}

pub(super) fn draw_street<R: Rng + ?Sized>(tables: &SynthTables, rng: &mut R) -> Option<String> {
    let name = pick_uniform(&tables.streets, rng)?;
    let suffix = pick_uniform(&tables.suffixes, rng)?;
    Some(format!(
        "{} {} {}",
        rng.random_range(1..=9999u32),
        name,
        suffix
    ))
}

fn make_tumor<R: Rng + ?Sized>(
    tables: &SynthTables,
    kind: TumorType,
    dx: NaiveDate,
    age: u32,
    place: &Place,
    single: bool,
    rng: &mut R,
) -> Tumor {
    let year = dx.year();
    Tumor {
        grade: draw_grade(&kind, year, rng),
        laterality: draw_laterality(tables, &kind, year, rng),
        confirmation: draw_confirmation(&kind, single, rng),
        reporting_source: 1,
        marital: marital(age, rng),
        facility: facility(place, rng.random_range(1..=3)),
        schema: if year >= 2018 {
            tables
                .schemas
                .as_ref()
                .and_then(|s| s.choose(&kind.primary_site, kind.histology, year))
        } else {
            None
        },
        kind,
        dx,
    }
}

/// Whether a tumor type is one SEER IF22 asks to review as one of several primaries: an
/// ill-defined or unknown site with a solid histology, lymph nodes or blood and marrow without
/// a haematopoietic histology, or a mast-cell or histiocytic neoplasm
/// (shared/edits-tables/standard-edits-logic.md D12). Registries rarely record such a tumor
/// beside others, so synthetic people with several primaries do not get one.
fn ill_defined_for_multiple_primaries(t: &TumorType) -> bool {
    let site = t.primary_site.as_str();
    let h = t.histology;
    ((("C760"..="C768").contains(&site) || site == "C809") && h < 9590)
        || (("C770"..="C779").contains(&site) && !(9590..=9729).contains(&h))
        || (("C420"..="C424").contains(&site) && !(9590..=9989).contains(&h))
        || (9740..=9758).contains(&h)
}

/// Whether a tumor type is one IARC's age checks call rare at `age` (IARC Technical Report 42
/// as restated in shared/edits-tables/standard-edits-logic.md E6-E8, also SEER's age/site/
/// morphology edit here): a registry records such a case only after review, with an over-ride,
/// so synthetic people do not get one.
fn rare_at_age(t: &TumorType, age: u32) -> bool {
    let site3 = t.primary_site.get(..3).unwrap_or("");
    let h = t.histology;
    let topography = (age < 5 && matches!(site3, "C53" | "C61"))
        || (age < 20
            && (matches!(
                site3,
                "C15" | "C19" | "C20" | "C21" | "C23" | "C24" | "C50" | "C53" | "C54" | "C55"
            ) || t.primary_site == "C384"));
    let morphology = (age <= 25 && matches!(h, 9730 | 9823 | 9890))
        || (age >= 15
            && matches!(
                h,
                8910 | 8960..=8962 | 8970 | 8981 | 8991 | 9072 | 9470 | 9490 | 9500 | 9687
            ))
        || (age < 15 && matches!(h, 9724 | 9732 | 9823));
    let both = (age < 40 && site3 == "C61" && h / 10 == 814)
        || (age < 20 && site3 == "C17" && h < 9590)
        || (age < 20 && matches!(site3, "C18" | "C33" | "C34") && h / 10 != 824)
        || (age > 5 && site3 == "C69" && matches!(h, 9510 | 9512))
        || (!(15..=45).contains(&age) && site3 == "C58" && h == 9100);
    topography || morphology || both
}

/// Draws a first tumor type of the given sex and an age at its diagnosis from its site group,
/// not a combination IARC calls rare for the age.
fn draw_first_type<R: Rng + ?Sized>(
    tables: &SynthTables,
    sex: Sex,
    year: i32,
    rng: &mut R,
) -> Option<(TumorType, u32)> {
    let mut last = None;
    for _ in 0..100 {
        let kind = tables.mix(sex).pick(rng)?;
        let age = draw_age(tables.group(kind.group)?, rng);
        if !rare_at_age(kind, age) && has_schema_when_needed(tables, kind, year) {
            return Some((kind.clone(), age));
        }
        last = Some((kind.clone(), age));
    }
    last
}

/// Whether a tumor diagnosed in `year` can be given its Schema ID (required from 2018): codes
/// retired before then (the heme codes retired in 2010, e.g. 9670) select no schema.
fn has_schema_when_needed(tables: &SynthTables, t: &TumorType, year: i32) -> bool {
    year < 2018
        || tables
            .schemas
            .as_ref()
            .is_none_or(|s| s.choose(&t.primary_site, t.histology, year).is_some())
}

/// Draws a tumor type of the given sex whose site group admits `age`, other than the groups
/// in `avoid` (a second primary of the same group would usually be the same primary under the
/// multiple-primary rules).
fn draw_type_for_age<R: Rng + ?Sized>(
    tables: &SynthTables,
    sex: Sex,
    age: u32,
    year: i32,
    avoid: &[usize],
    rng: &mut R,
) -> Option<TumorType> {
    for _ in 0..50 {
        let t = tables.mix(sex).pick(rng)?;
        let ok = tables
            .group(t.group)
            .is_some_and(|g| g.age_min <= age && age <= g.age_max);
        let heme_again = is_heme(t.histology)
            && avoid.iter().any(|&a| {
                tables
                    .group(a)
                    .is_some_and(|g| g.histologies.iter().any(|r| r.low >= 9590))
            });
        if ok
            && !avoid.contains(&t.group)
            && !heme_again
            && !ill_defined_for_multiple_primaries(t)
            && !rare_at_age(t, age)
            && has_schema_when_needed(tables, t, year)
        {
            return Some(t.clone());
        }
    }
    None
}

/// Draws one original person; `None` only if a table is empty (which parsing prevents).
pub(super) fn draw_person<R: Rng + ?Sized>(
    tables: &SynthTables,
    win: &Window,
    rng: &mut R,
) -> Option<Person> {
    let sex = if rng.random_bool(MALE_SHARE) {
        Sex::Male
    } else {
        Sex::Female
    };
    let dx1 = draw_date(win.dx_start, win.dx_end, rng);
    let (first_kind, age) = draw_first_type(tables, sex, dx1.year(), rng)?;
    let group = tables.group(first_kind.group)?;
    let dob = draw_birth(dx1, age, rng);
    let place = tables.places.pick(rng)?.clone();

    let n_tumors = if rng.random_bool(MULTI_TUMOR_SHARE) {
        if rng.random_bool(THREE_TUMOR_SHARE) {
            3
        } else {
            2
        }
    } else {
        1
    };
    let n_tumors = if ill_defined_for_multiple_primaries(&first_kind) {
        1
    } else {
        n_tumors
    };
    // Only malignant tumors are learnt of from death certificates alone.
    let dco = n_tumors == 1 && first_kind.behavior == 3 && rng.random_bool(DCO_SHARE);

    // Later primaries: gap after the previous one, 15% synchronous (within 2 months),
    // otherwise exponential with a mean of 3 years. A later primary falling after the
    // window is dropped, so the realised share is a little below MULTI_TUMOR_SHARE.
    let mut kinds = vec![(first_kind, dx1)];
    let mut prev = dx1;
    for _ in 1..n_tumors {
        let gap = if rng.random_bool(0.15) {
            rng.random_range(0..=60u64)
        } else {
            let u: f64 = 1.0 - rng.random::<f64>();
            (-u.ln() * 3.0 * DAYS_PER_YEAR) as u64
        };
        let Some(dx) = prev
            .checked_add_days(Days::new(gap))
            .filter(|d| *d <= win.dx_end)
        else {
            break;
        };
        let avoid: Vec<usize> = kinds.iter().map(|(k, _)| k.group).collect();
        let Some(kind) = draw_type_for_age(tables, sex, age_on(dob, dx), dx.year(), &avoid, rng)
        else {
            break;
        };
        kinds.push((kind, dx));
        prev = dx;
    }
    let single = kinds.len() == 1;
    let mut tumors: Vec<Tumor> = kinds
        .into_iter()
        .map(|(kind, dx)| make_tumor(tables, kind, dx, age_on(dob, dx), &place, single, rng))
        .collect();
    let last_dx = tumors.last().map_or(dx1, |t| t.dx);

    // Survival from the last diagnosis: the most lethal malignant tumor competes with
    // other-cause (Gompertz) mortality. Non-malignant tumors do not kill in this model.
    let deadliest = tumors
        .iter()
        .filter(|t| t.kind.behavior == 3)
        .filter_map(|t| tables.group(t.kind.group))
        .min_by(|a, b| a.median_survival_years.total_cmp(&b.median_survival_years));
    let cancer = deadliest.map(|g| (cancer_death_days(g, rng), g.death_icd10.clone()));
    let other_days = other_death_days(age_on(dob, last_dx), rng);
    let (death_days, cause) = match cancer {
        Some((d, code)) if d < other_days => (d, code),
        _ => (other_days, tables.other_causes.pick(rng)?.clone()),
    };
    let vital = if dco {
        // Death certificate only: diagnosis date is the date of death (TRS 7, DC 9).
        if let Some(t) = tumors.first_mut() {
            t.reporting_source = 7;
            t.confirmation = 9;
        }
        Vital::Dead {
            date: dx1,
            cause: group.death_icd10.clone(),
        }
    } else {
        match add_days(last_dx, death_days).filter(|d| *d <= win.cutoff) {
            Some(date) => Vital::Dead { date, cause },
            None => {
                // Alive: last contact in the six months before the cutoff, never before dx.
                let back = rng.random_range(0..=182u64);
                let lc = win
                    .cutoff
                    .checked_sub_days(Days::new(back))
                    .unwrap_or(win.cutoff);
                Vital::Alive {
                    last_contact: lc.max(last_dx),
                }
            }
        }
    };

    let first = pick_uniform(tables.first_names(sex), rng)?.clone();
    let middle = pick_uniform(tables.first_names(sex), rng)?.clone();
    let middle = if rng.random_bool(0.3) {
        middle
            .chars()
            .next()
            .map(|c| format!("{c}."))
            .unwrap_or_default()
    } else if rng.random_bool(0.1) {
        String::new()
    } else {
        middle
    };
    let birthplace_state = if rng.random_bool(0.7) {
        place.state.clone()
    } else {
        tables.places.pick(rng)?.state.clone()
    };
    Some(Person {
        sex,
        first,
        middle,
        last: pick_uniform(&tables.last_names, rng)?.clone(),
        dob,
        ssn: draw_ssn(rng),
        race1: pick_code(RACE, rng),
        hispanic: pick_code(HISPANIC, rng),
        birthplace_state,
        // 555-0100..0199 numbers are reserved for fiction by the North American Numbering Plan.
        phone: format!("{}5550{}", place.area_code, rng.random_range(100..=199u32)),
        street: draw_street(tables, rng)?,
        place,
        vital,
        tumors: std::mem::take(&mut tumors),
    })
}
