//! Survival time from abstracts, by SEER's survival-time algorithm (METHODS.md section 1;
//! imsweb/algorithms `SurvivalTimeUtils` 2.2): all tumors of a patient together, missing
//! month or day of the diagnosis dates and of the date of last contact filled in between the
//! neighbouring records, survival to the date of last contact ("active follow-up") or, for
//! people alive, to the study cutoff ("presumed alive"), in days and months with SEER's flags.

use chrono::{Datelike, NaiveDate};

/// Days in a month of survival (365.24 / 12).
pub const DAYS_PER_MONTH: f64 = 365.24 / 12.0;

/// A date whose month or day (or year) may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartialDate {
    /// Year.
    pub year: Option<i32>,
    /// Month 1-12.
    pub month: Option<u32>,
    /// Day of the month.
    pub day: Option<u32>,
}

impl PartialDate {
    /// A NAACCR date (`CCYYMMDD`, `CCYYMM`, `CCYY`, blanks or 99 for unknown parts).
    pub fn from_naaccr(s: &str) -> Self {
        let part = |a: usize, b: usize| s.get(a..b).and_then(|x| x.trim().parse::<u32>().ok());
        Self {
            year: part(0, 4)
                .and_then(|y| i32::try_from(y).ok())
                .filter(|y| *y != 9999),
            month: part(4, 6).filter(|m| *m != 99),
            day: part(6, 8).filter(|d| *d != 99),
        }
    }

    /// From numbers with SEER's unknowns (9999 year, 99 month or day).
    pub fn from_parts(year: i32, month: u32, day: u32) -> Self {
        Self {
            year: (year != 9999).then_some(year),
            month: (month != 99).then_some(month),
            day: (day != 99).then_some(day),
        }
    }

    /// Invalid parts made unknown: a month outside 1-12 loses month and day, a day that is
    /// not in the month is lost, and a month without a year or a day without a month go too.
    fn cleaned(self) -> Self {
        let mut d = self;
        if d.year.is_none() {
            d.month = None;
        }
        if !d.month.is_some_and(|m| (1..=12).contains(&m)) {
            d.month = None;
            d.day = None;
        }
        if let (Some(y), Some(m), Some(day)) = (d.year, d.month, d.day)
            && NaiveDate::from_ymd_opt(y, m, day).is_none()
        {
            d.day = None;
        }
        d
    }

    fn complete(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month?, self.day?)
    }
}

/// One tumor record of a patient (the patient items repeat on every record, as in a NAACCR
/// flat file; they must agree).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalRecord {
    /// Date of Diagnosis [390].
    pub dx: PartialDate,
    /// Date of Last Contact [1750].
    pub last_contact: PartialDate,
    /// Date of Birth [240].
    pub birth: PartialDate,
    /// Vital Status [1760]: true alive, false dead, none unknown.
    pub alive: Option<bool>,
    /// Sequence Number--Central [380] (orders tumors with unknown date parts).
    pub sequence: i32,
    /// Type of Reporting Source [500] (6 autopsy only, 7 death certificate only).
    pub reporting_source: u8,
}

/// Survival by one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Survival {
    /// Days (none: unknown).
    pub days: Option<i64>,
    /// Completed months (none: unknown); SEER writes 9999.
    pub months: Option<i64>,
    /// SEER's flag: 0 zero days, 1 more than zero days, 2 could be zero days (incomplete
    /// dates), 3 more than zero days (incomplete dates), 8 DCO or autopsy only, 9 unknown.
    pub flag: u8,
    /// The end date used.
    pub end: Option<NaiveDate>,
}

impl Survival {
    const UNKNOWN: Survival = Survival {
        days: None,
        months: None,
        flag: 9,
        end: None,
    };
}

/// What the algorithm gives for one tumor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurvivalTime {
    /// The diagnosis date used (SEER's Surv-Date DX Recode [1788]).
    pub dx_recode: Option<NaiveDate>,
    /// To the date of last contact (capped at the cutoff) [1782-1784].
    pub active: Survival,
    /// Alive people followed to the cutoff [1785-1787].
    pub presumed_alive: Survival,
    /// Whether the patient died by the cutoff (none: unknown).
    pub dead_by_cutoff: Option<bool>,
}

/// Sorting rank of a sequence number: 60-97 (non-malignant series) after 00-59, 98, 99.
fn seq_rank(s: i32) -> i32 {
    if (60..=97).contains(&s) { s + 100 } else { s }
}

/// Whether record a (date, sequence) goes before b: by year, then by month and day where both
/// are known, otherwise by sequence number.
fn before(a: (PartialDate, i32), b: (PartialDate, i32)) -> bool {
    let (da, db) = (a.0, b.0);
    if da.year != db.year {
        return da.year < db.year;
    }
    match (da.month, db.month) {
        (Some(ma), Some(mb)) if ma != mb => return ma < mb,
        (Some(_), Some(_)) => {
            if let (Some(x), Some(y)) = (da.day, db.day)
                && x != y
            {
                return x < y;
            }
        }
        _ => {}
    }
    seq_rank(a.1) < seq_rank(b.1)
}

fn last_day(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|d| NaiveDate::from_ymd_opt(year, month, *d).is_some())
        .unwrap_or(28)
}

/// Fills unknown days, then unknown months, in sorted order, each from its neighbours.
fn impute(dates: &mut [PartialDate], birth: PartialDate) {
    let n = dates.len();
    // Unknown day, known month.
    for i in 0..n {
        let Some(cur) = dates.get(i).copied() else {
            continue;
        };
        let (Some(y), Some(m), None) = (cur.year, cur.month, cur.day) else {
            continue;
        };
        let same = |d: &PartialDate| d.year == Some(y) && d.month == Some(m);
        let earliest = if i == 0 {
            if same(&birth) {
                birth.day.unwrap_or(1)
            } else {
                1
            }
        } else {
            dates
                .iter()
                .take(i)
                .rev()
                .find(|d| d.day.is_some() && d.month.is_some())
                .filter(|d| same(d))
                .and_then(|d| d.day)
                .unwrap_or(1)
        };
        let latest = dates
            .iter()
            .skip(i + 1)
            .find(|d| d.day.is_some() && d.month.is_some())
            .filter(|d| same(d))
            .and_then(|d| d.day)
            .unwrap_or_else(|| last_day(y, m));
        if let Some(d) = dates.get_mut(i) {
            d.day = Some((earliest + latest) / 2);
        }
    }
    // Unknown month (and day), known year.
    for i in 0..n {
        let Some(cur) = dates.get(i).copied() else {
            continue;
        };
        let (Some(y), None) = (cur.year, cur.month) else {
            continue;
        };
        let jan1 = NaiveDate::from_ymd_opt(y, 1, 1);
        let dec31 = NaiveDate::from_ymd_opt(y, 12, 31);
        let earliest = if i == 0 {
            birth.complete().filter(|b| b.year() == y).or(jan1)
        } else {
            dates
                .iter()
                .take(i)
                .rev()
                .find(|d| d.month.is_some())
                .filter(|d| d.year == Some(y))
                .and_then(|d| d.complete())
                .or(jan1)
        };
        let latest = dates
            .iter()
            .skip(i + 1)
            .find(|d| d.month.is_some())
            .filter(|d| d.year == Some(y))
            .and_then(|d| d.complete())
            .or(dec31);
        if let (Some(e), Some(l)) = (earliest, latest) {
            let mid = e + chrono::Duration::days((l - e).num_days().max(0) / 2);
            if let Some(d) = dates.get_mut(i) {
                *d = PartialDate {
                    year: Some(mid.year()),
                    month: Some(mid.month()),
                    day: Some(mid.day()),
                };
            }
        }
    }
}

fn flag_for(dx: PartialDate, end: PartialDate, days: i64) -> u8 {
    let incomplete =
        dx.month.is_none() || dx.day.is_none() || end.month.is_none() || end.day.is_none();
    if incomplete {
        let same_year = dx.year == end.year;
        let months_match = dx.month.is_none() || end.month.is_none() || dx.month == end.month;
        if same_year && months_match { 2 } else { 3 }
    } else if days > 0 {
        1
    } else {
        0
    }
}

/// SEER survival times of all tumors of one patient, as of `today` (a last contact after it
/// is unknown), with the study cutoff at 31 December of `cutoff_year`.
pub fn survival_times(
    records: &[SurvivalRecord],
    cutoff_year: i32,
    today: NaiveDate,
) -> Vec<SurvivalTime> {
    match NaiveDate::from_ymd_opt(cutoff_year, 12, 31) {
        Some(cutoff) => survival_times_to(records, cutoff, today),
        None => Vec::new(),
    }
}

/// As [`survival_times`] with the study cutoff on any date: diagnoses after it are left out,
/// follow-up ends at it, and a death after it counts as alive at it.
pub fn survival_times_to(
    records: &[SurvivalRecord],
    cutoff: NaiveDate,
    today: NaiveDate,
) -> Vec<SurvivalTime> {
    let cutoff_year = cutoff.year();
    let unknown = SurvivalTime {
        dx_recode: None,
        active: Survival::UNKNOWN,
        presumed_alive: Survival::UNKNOWN,
        dead_by_cutoff: None,
    };
    let Some(first) = records.first() else {
        return Vec::new();
    };
    if records
        .iter()
        .any(|r| r.last_contact != first.last_contact || r.alive != first.alive)
    {
        return vec![unknown; records.len()];
    }
    let mut dolc = first.last_contact.cleaned();
    let in_future = match (dolc.year, dolc.month, dolc.day) {
        (Some(y), _, _) if y < 1900 || y > today.year() => true,
        (Some(y), Some(m), _) if y == today.year() && m > today.month() => true,
        _ => dolc.complete().is_some_and(|d| d > today),
    };
    if in_future {
        dolc = PartialDate::default();
    }
    let birth = first.birth.cleaned();

    // Valid tumors, sorted; the last contact follows them as a pseudo-record.
    let valid: Vec<usize> = (0..records.len())
        .filter(|&i| {
            records
                .get(i)
                .and_then(|r| r.dx.cleaned().year)
                .is_some_and(|y| (1900..=cutoff_year).contains(&y))
                && records
                    .get(i)
                    .and_then(|r| r.dx.cleaned().complete())
                    .is_none_or(|d| d <= cutoff)
        })
        .collect();
    let mut order: Vec<usize> = Vec::with_capacity(valid.len());
    for i in valid {
        let Some(r) = records.get(i) else { continue };
        let key = (r.dx.cleaned(), r.sequence);
        let pos = order
            .iter()
            .position(|&j| {
                records
                    .get(j)
                    .is_some_and(|o| before(key, (o.dx.cleaned(), o.sequence)))
            })
            .unwrap_or(order.len());
        order.insert(pos, i);
    }
    let mut dates: Vec<PartialDate> = order
        .iter()
        .filter_map(|&i| records.get(i).map(|r| r.dx.cleaned()))
        .collect();
    dates.push(dolc);
    impute(&mut dates, birth);
    let dolc_date = dates.last().and_then(|d| d.complete());
    // The patient is alive for this analysis if alive, or dead after the cutoff.
    let alive = first.alive.map(|a| {
        a || dolc.year.is_some_and(|y| y > cutoff_year) || dolc_date.is_some_and(|d| d > cutoff)
    });

    let end_active = dolc_date.map(|d| d.min(cutoff));
    let end_presumed = match alive {
        Some(true) => Some(cutoff),
        Some(false) => end_active,
        None => None,
    };
    let dead_by_cutoff = alive.map(|a| !a);
    // End-date parts as known before filling: the cutoff is complete.
    let end_parts = |end: Option<NaiveDate>| -> PartialDate {
        match end {
            Some(e) if e == cutoff && dolc_date != Some(e) => PartialDate {
                year: Some(e.year()),
                month: Some(12),
                day: Some(31),
            },
            Some(e) if Some(e) == dolc_date => PartialDate {
                year: Some(e.year()),
                ..dolc
            },
            Some(e) => PartialDate {
                year: Some(e.year()),
                month: Some(e.month()),
                day: Some(e.day()),
            },
            None => PartialDate::default(),
        }
    };
    let mut out = vec![unknown; records.len()];
    let mut flags_active: Vec<(usize, u8)> = Vec::new();
    let mut flags_presumed: Vec<(usize, u8)> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let (Some(r), Some(dx)) = (records.get(i), dates.get(k).and_then(|d| d.complete())) else {
            continue;
        };
        let raw = r.dx.cleaned();
        let survival = |end: Option<NaiveDate>| -> Survival {
            let Some(e) = end else {
                return Survival::UNKNOWN;
            };
            let days = (e - dx).num_days();
            if days < 0 {
                return Survival::UNKNOWN;
            }
            Survival {
                days: Some(days),
                months: Some((days as f64 / DAYS_PER_MONTH).floor() as i64),
                flag: flag_for(raw, end_parts(end), days),
                end: Some(e),
            }
        };
        let (mut active, mut presumed) = (survival(end_active), survival(end_presumed));
        if matches!(r.reporting_source, 6 | 7) {
            for s in [&mut active, &mut presumed] {
                *s = Survival {
                    days: None,
                    months: None,
                    flag: 8,
                    end: s.end,
                };
            }
        }
        flags_active.push((i, active.flag));
        flags_presumed.push((i, presumed.flag));
        if let Some(o) = out.get_mut(i) {
            *o = SurvivalTime {
                dx_recode: Some(dx),
                active,
                presumed_alive: presumed,
                dead_by_cutoff,
            };
        }
    }
    // An earlier tumor cannot have zero survival when a later one has some.
    for (flags, pick) in [(&flags_active, 0usize), (&flags_presumed, 1usize)] {
        let mut later_positive = false;
        for &(i, f) in flags.iter().rev() {
            if f == 2
                && later_positive
                && let Some(o) = out.get_mut(i)
            {
                if pick == 0 {
                    o.active.flag = 3;
                } else {
                    o.presumed_alive.flag = 3;
                }
            }
            if matches!(f, 1 | 3) {
                later_positive = true;
            }
        }
    }
    // Records left out of the sort (unknown or out-of-range year) still show the end dates.
    for (i, o) in out.iter_mut().enumerate() {
        if !order.contains(&i) {
            o.active.end = end_active;
            o.presumed_alive.end = end_presumed;
            o.dead_by_cutoff = dead_by_cutoff;
        }
    }
    out
}
