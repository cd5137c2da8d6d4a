//! NAACCR partial dates as the GenEDITS date functions see them: validity, comparison and
//! differences with the MIN / MAX / EXACT fill rules, and the sentinel results.
//!
//! Sources (facts read, no code copied):
//! - the sentinel values and the order "blank first, then invalid, then unknown parts" are those
//!   of GenEDITS as reproduced by imsweb/validation `MetafileContextFunctions` (constants
//!   `DT_EMPTY`, `DT_ERROR`, `DT_UNKNOWN`, ..., functions `GEN_DATECMP_IOP`, `GEN_DAYDIFF_IOP`,
//!   `GEN_MONTHDIFF_IOP`, `GEN_YEARDIFF_IOP`, `GEN_VALID_DATE_IOP`), whose unit tests
//!   (`MetafileContextFunctionsTest`) were checked against GenEDITS and are the vectors of our
//!   tests below;
//! - the fill rules are stated here in terms of periods: a partial date `CCYY` stands for every
//!   day of that year, `CCYYMM` for every day of that month. Every vector of the imsweb tests
//!   agrees with these statements:
//!   * `daydiff(a, b, MAX)` = last possible day of `b` - first possible day of `a` (the largest
//!     value `b - a` can take);
//!   * `daydiff(a, b, MIN)` = the value of `b - a` closest to zero (0 when the periods overlap);
//!   * `datecmp(a, b, MIN)` = 0 when the periods overlap, else which one comes first;
//!   * `datecmp(a, b, MAX)` compares the first possible day of `a` with the last possible day of
//!     `b`;
//!   * EXACT gives `DT_UNKNOWN` as soon as a month or day is missing.
//! - `monthdiff` = days / 30 truncated toward zero, `yeardiff` = days / 365 rounded down
//!   (imsweb `GEN_MONTHDIFF_IOP`, `GEN_YEARDIFF_IOP`).
//! - validity (`GEN_VALID_DATE_IOP`, and the A1 facts of `standard-edits-logic.md`): `CCYYMMDD`,
//!   `CCYYMM` or `CCYY` (trailing blanks of a fixed-width field are ignored), year 1850 or later,
//!   a real calendar day, and not after today (optionally some years into the future).

use crate::core::naaccr::NaaccrDate;
use crate::core::naaccr::date::days_in_month;

/// GenEDITS flag: fill missing parts to give the smallest difference.
pub const DT_MIN: i64 = 1;
/// GenEDITS flag: fill missing parts to give the largest difference.
pub const DT_MAX: i64 = 2;
/// GenEDITS flag: no filling; a missing month or day gives `DT_UNKNOWN`.
pub const DT_EXACT: i64 = 3;
/// Result of `month()` when the month is missing (0x1FFFFFFF).
pub const DT_MONTH_EMPTY: i64 = 536_870_911;
/// Result of `day()` when the day is missing (0x2FFFFFFF).
pub const DT_DAY_EMPTY: i64 = 805_306_367;
/// Result when a date is blank (0x3FFFFFFF).
pub const DT_EMPTY: i64 = 1_073_741_823;
/// GenEDITS constant "valid" (0x4FFFFFFF); exposed for completeness, no function returns it.
pub const DT_VALID: i64 = 1_342_177_279;
/// GenEDITS constant "missing" (0x5FFFFFFF); exposed for completeness, no function returns it.
pub const DT_MISSING: i64 = 1_610_612_735;
/// Result when a date is not a valid date (0x6FFFFFFF).
pub const DT_ERROR: i64 = 1_879_048_191;
/// Result of an EXACT comparison when a month or day is missing (0x7FFFFFFF).
pub const DT_UNKNOWN: i64 = 2_147_483_647;

/// Every sentinel is at least this large; no real difference between two dates comes close.
const SENTINEL_THRESHOLD: i64 = DT_MONTH_EMPTY;

/// The earliest valid year (GenEDITS `GEN_VALID_DATE_IOP`: "invalid as to year" below 1850).
pub const EARLIEST_YEAR: u16 = 1850;

/// The named constants of the language, in the order the reference lists them.
pub const CONSTANTS: [(&str, i64); 10] = [
    ("DT_MIN", DT_MIN),
    ("DT_MAX", DT_MAX),
    ("DT_EXACT", DT_EXACT),
    ("DT_EMPTY", DT_EMPTY),
    ("DT_ERROR", DT_ERROR),
    ("DT_UNKNOWN", DT_UNKNOWN),
    ("DT_MONTH_EMPTY", DT_MONTH_EMPTY),
    ("DT_DAY_EMPTY", DT_DAY_EMPTY),
    ("DT_VALID", DT_VALID),
    ("DT_MISSING", DT_MISSING),
];

/// How the missing month and day of a partial date are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateMode {
    /// The fill giving the smallest difference (`"min"`, `DT_MIN`).
    Min,
    /// The fill giving the largest difference (`"max"`, `DT_MAX`).
    Max,
    /// No fill: a missing part gives `DT_UNKNOWN` (`"exact"`, `DT_EXACT`).
    Exact,
}

impl DateMode {
    /// `"min"`, `"max"` or `"exact"`, in any case.
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("min") {
            Some(Self::Min)
        } else if name.eq_ignore_ascii_case("max") {
            Some(Self::Max)
        } else if name.eq_ignore_ascii_case("exact") {
            Some(Self::Exact)
        } else {
            None
        }
    }

    /// The GenEDITS flag values `DT_MIN` (1), `DT_MAX` (2), `DT_EXACT` (3).
    pub fn from_flag(flag: f64) -> Option<Self> {
        if flag == DT_MIN as f64 {
            Some(Self::Min)
        } else if flag == DT_MAX as f64 {
            Some(Self::Max)
        } else if flag == DT_EXACT as f64 {
            Some(Self::Exact)
        } else {
            None
        }
    }
}

/// The evaluation date: "today" comes in as a parameter, never from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    year: i64,
    month: u8,
    day: u8,
    /// Day number of today, precomputed for the common "not in the future" check.
    number: i64,
}

impl Today {
    /// Today as year, month (1-12) and day (1-31); out-of-range parts are clamped.
    pub fn new(year: i32, month: u32, day: u32) -> Self {
        let month = u8::try_from(month.clamp(1, 12)).unwrap_or(1);
        let year = i64::from(year);
        let day = u8::try_from(day.clamp(1, 31))
            .unwrap_or(1)
            .min(month_length(year, month));
        Self {
            year,
            month,
            day,
            number: day_number(year, month, day),
        }
    }

    /// The last day a date may fall on when `years` years into the future are allowed
    /// (29 February becomes 28 February in a common year, as Java's `plusYears` does).
    fn limit(&self, years: u8) -> i64 {
        if years == 0 {
            return self.number;
        }
        let year = self.year + i64::from(years);
        let day = self.day.min(month_length(year, self.month));
        day_number(year, self.month, day)
    }
}

/// Days in a month of a year, for years outside `u16` too (never reached by valid dates).
fn month_length(year: i64, month: u8) -> u8 {
    u16::try_from(year).map_or(31, |y| days_in_month(y, month))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn day_number(year: i64, month: u8, day: u8) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What a date field holds, for the date functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Empty or only blanks.
    Blank,
    /// Not a valid date (shape, year, month, day, or in the future).
    Invalid,
    /// A valid full or partial date.
    Valid(NaaccrDate),
}

/// Reads a date field: trailing blanks (fixed-width padding) are ignored, then `CCYY`,
/// `CCYYMM` or `CCYYMMDD`, year 1850 or later, not after today plus `future_years` years.
pub(crate) fn parse(text: &str, today: &Today, future_years: u8) -> Parsed {
    let trimmed = text.trim_end_matches(' ');
    if trimmed.is_empty() {
        return Parsed::Blank;
    }
    let Ok(date) = NaaccrDate::parse(trimmed) else {
        return Parsed::Invalid;
    };
    if date.year() < EARLIEST_YEAR || first_day(&date) > today.limit(future_years) {
        return Parsed::Invalid;
    }
    Parsed::Valid(date)
}

/// True when the field holds a valid date (blank is not valid).
pub(crate) fn is_valid(text: &str, today: &Today, future_years: u8) -> bool {
    matches!(parse(text, today, future_years), Parsed::Valid(_))
}

/// First day of the period a partial date stands for: (year, month, day).
fn first_ymd(date: &NaaccrDate) -> (i64, u8, u8) {
    (
        i64::from(date.year()),
        date.month().unwrap_or(1),
        date.day().unwrap_or(1),
    )
}

/// Last day of the period a partial date stands for: (year, month, day).
fn last_ymd(date: &NaaccrDate) -> (i64, u8, u8) {
    let month = date.month().unwrap_or(12);
    let day = date
        .day()
        .unwrap_or_else(|| days_in_month(date.year(), month));
    (i64::from(date.year()), month, day)
}

fn first_day(date: &NaaccrDate) -> i64 {
    let (y, m, d) = first_ymd(date);
    day_number(y, m, d)
}

fn last_day(date: &NaaccrDate) -> i64 {
    let (y, m, d) = last_ymd(date);
    day_number(y, m, d)
}

/// Both dates valid, or the sentinel GenEDITS returns: blank wins over invalid.
fn both(a: &str, b: &str, today: &Today) -> Result<(NaaccrDate, NaaccrDate), i64> {
    match (parse(a, today, 0), parse(b, today, 0)) {
        (Parsed::Blank, _) | (_, Parsed::Blank) => Err(DT_EMPTY),
        (Parsed::Invalid, _) | (_, Parsed::Invalid) => Err(DT_ERROR),
        (Parsed::Valid(a), Parsed::Valid(b)) => Ok((a, b)),
    }
}

/// `datecmp(a, b, mode)`: -1, 0 or 1 as `a` is before, the same as, or after `b`; or a sentinel.
pub(crate) fn datecmp(a: &str, b: &str, mode: DateMode, today: &Today) -> i64 {
    let (a, b) = match both(a, b, today) {
        Ok(pair) => pair,
        Err(sentinel) => return sentinel,
    };
    let ordering = match mode {
        DateMode::Exact => {
            if !a.is_complete() || !b.is_complete() {
                return DT_UNKNOWN;
            }
            first_day(&a).cmp(&first_day(&b))
        }
        DateMode::Min => {
            if last_day(&a) < first_day(&b) {
                std::cmp::Ordering::Less
            } else if first_day(&a) > last_day(&b) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }
        DateMode::Max => first_day(&a).cmp(&last_day(&b)),
    };
    ordering as i64
}

/// `daydiff(a, b, mode)`: days from `a` to `b` (positive when `b` is later); or a sentinel.
pub(crate) fn daydiff(a: &str, b: &str, mode: DateMode, today: &Today) -> i64 {
    let (a, b) = match both(a, b, today) {
        Ok(pair) => pair,
        Err(sentinel) => return sentinel,
    };
    match mode {
        DateMode::Exact => {
            if !a.is_complete() || !b.is_complete() {
                return DT_UNKNOWN;
            }
            first_day(&b) - first_day(&a)
        }
        DateMode::Max => last_day(&b) - first_day(&a),
        DateMode::Min => {
            if last_day(&a) < first_day(&b) {
                first_day(&b) - last_day(&a)
            } else if first_day(&a) > last_day(&b) {
                last_day(&b) - first_day(&a)
            } else {
                0
            }
        }
    }
}

/// `monthdiff(a, b, mode)`: `daydiff / 30`, truncated toward zero; sentinels pass through.
pub(crate) fn monthdiff(a: &str, b: &str, mode: DateMode, today: &Today) -> i64 {
    let days = daydiff(a, b, mode, today);
    if days >= SENTINEL_THRESHOLD {
        days
    } else {
        days / 30
    }
}

/// `yeardiff(a, b, mode)`: `daydiff / 365`, rounded down; sentinels pass through.
pub(crate) fn yeardiff(a: &str, b: &str, mode: DateMode, today: &Today) -> i64 {
    let days = daydiff(a, b, mode, today);
    if days >= SENTINEL_THRESHOLD {
        days
    } else {
        days.div_euclid(365)
    }
}

/// Completed years from a birth day to an event day (a birthday counts on the day itself).
fn completed_years(birth: (i64, u8, u8), event: (i64, u8, u8)) -> i64 {
    let (by, bm, bd) = birth;
    let (ey, em, ed) = event;
    ey - by - i64::from((em, ed) < (bm, bd))
}

/// `age(birth, event, mode)`: completed years at the event. MIN is the smallest age the partial
/// dates allow (latest birth, earliest event), MAX the largest, EXACT the age when both agree
/// and `DT_UNKNOWN` otherwise. Blank gives `DT_EMPTY`, invalid `DT_ERROR`.
pub(crate) fn age(birth: &str, event: &str, mode: DateMode, today: &Today) -> i64 {
    let (birth, event) = match both(birth, event, today) {
        Ok(pair) => pair,
        Err(sentinel) => return sentinel,
    };
    let youngest = completed_years(last_ymd(&birth), first_ymd(&event));
    let oldest = completed_years(first_ymd(&birth), last_ymd(&event));
    match mode {
        DateMode::Min => youngest,
        DateMode::Max => oldest,
        DateMode::Exact if youngest == oldest => youngest,
        DateMode::Exact => DT_UNKNOWN,
    }
}

/// Which part of a date `year()`, `month()` and `day()` return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Year,
    Month,
    Day,
}

/// `year(x)`, `month(x)`, `day(x)`: the part, or `DT_EMPTY` (blank), `DT_ERROR` (invalid),
/// `DT_MONTH_EMPTY` / `DT_DAY_EMPTY` (that part is missing).
pub(crate) fn part(text: &str, part: Part, today: &Today) -> i64 {
    match parse(text, today, 0) {
        Parsed::Blank => DT_EMPTY,
        Parsed::Invalid => DT_ERROR,
        Parsed::Valid(date) => match part {
            Part::Year => i64::from(date.year()),
            Part::Month => date.month().map_or(DT_MONTH_EMPTY, i64::from),
            Part::Day => date.day().map_or(DT_DAY_EMPTY, i64::from),
        },
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use DateMode::{Exact, Max, Min};

    fn today() -> Today {
        Today::new(2026, 6, 15)
    }

    fn dd(a: &str, b: &str, mode: DateMode) -> i64 {
        daydiff(a, b, mode, &today())
    }

    fn dc(a: &str, b: &str, mode: DateMode) -> i64 {
        datecmp(a, b, mode, &today())
    }

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2000, 3, 1) - day_number(2000, 2, 28), 2);
        assert_eq!(day_number(2010, 1, 1) - day_number(2000, 1, 1), 3653);
        // 120 years of 365 days and 29 leap days (1852-1968 but not 1900).
        assert_eq!(day_number(1850, 1, 1), -43_829);
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_VALID_DATE_IOP, and the
    // A1 pass/fail lists of shared/edits-tables/standard-edits-logic.md.
    #[test]
    fn validity_follows_the_genedits_rules() {
        let t = today();
        for ok in [
            "20120229", "201310", "1850", "201310  ", "1850    ", "20110201", "18500101",
            "185001  ", "20260615",
        ] {
            assert!(is_valid(ok, &t, 0), "{ok:?} should be valid");
        }
        for bad in [
            "20100229", "2013  01", "00000000", "18490201", "201010AA", "201010-1", "yyyyMMdd",
            "20100230", "21110201", "        ", "", "20260616", "202607", "2027",
        ] {
            assert!(!is_valid(bad, &t, 0), "{bad:?} should be invalid");
        }
        // One year into the future allowed (GEN_ALLOW_FUTURE_DATE_IOP(1)).
        assert!(is_valid("20270615", &t, 1));
        assert!(!is_valid("20270616", &t, 1));
        assert!(is_valid("2027", &t, 1));
    }

    #[test]
    fn future_limit_of_a_29_february_becomes_28_february() {
        let leap = Today::new(2024, 2, 29);
        assert!(is_valid("20250228", &leap, 1));
        assert!(!is_valid("20250301", &leap, 1));
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_DATECMP_IOP.
    #[test]
    fn datecmp_matches_the_genedits_vectors() {
        assert_eq!(dc("20000615", "20000615", Exact), 0);
        assert_eq!(dc("20010615", "20000615", Exact), 1);
        assert_eq!(dc("20000614", "20000615", Exact), -1);
        assert_eq!(dc("abc", "20000615", Exact), DT_ERROR);
        assert_eq!(dc("00000000", "20000615", Exact), DT_ERROR);
        assert_eq!(dc("20000615", "99999999", Exact), DT_ERROR);
        assert_eq!(dc("2000  15", "20000615", Exact), DT_ERROR);
        for mode in [Exact, Min, Max] {
            assert_eq!(dc("        ", "20000615", mode), DT_EMPTY);
            assert_eq!(dc("20000615", "        ", mode), DT_EMPTY);
        }
        assert_eq!(dc("200006  ", "20000615", Exact), DT_UNKNOWN);
        assert_eq!(dc("200006  ", "20000615", Min), 0);
        assert_eq!(dc("200006  ", "20000615", Max), -1);
        assert_eq!(dc("20000615", "200006  ", Min), 0);
        assert_eq!(dc("20000515", "200006  ", Min), -1);
        assert_eq!(dc("20000715", "200006  ", Min), 1);
        assert_eq!(dc("20000615", "200006  ", Max), -1);
        assert_eq!(dc("2000    ", "20000615", Exact), DT_UNKNOWN);
        assert_eq!(dc("2000    ", "20000615", Min), 0);
        assert_eq!(dc("2000    ", "20000615", Max), -1);
        assert_eq!(dc("19990615", "2000    ", Min), -1);
        assert_eq!(dc("20010615", "2000    ", Min), 1);
        assert_eq!(dc("2010    ", "201006  ", Min), 0);
        assert_eq!(dc("2010    ", "201006  ", Max), -1);
        assert_eq!(dc("201006  ", "2010    ", Max), -1);
        assert_eq!(dc("2009    ", "2010    ", Min), -1);
        assert_eq!(dc("201006  ", "2009    ", Min), 1);
        assert_eq!(dc("201007  ", "201006  ", Min), 1);
        assert_eq!(dc("201007  ", "201006  ", Max), 1);
    }

    // B1 of standard-edits-logic.md: last contact 201905 vs diagnosis 20190601 fails
    // (datecmp MIN < 0); diagnosis 2019 vs last contact 20190105 passes.
    #[test]
    fn datecmp_min_decides_the_last_contact_examples() {
        assert!(dc("201905", "20190601", Min) < 0);
        assert_eq!(dc("20190105", "2019", Min), 0);
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_DAYDIFF_IOP.
    #[test]
    fn daydiff_matches_the_genedits_vectors() {
        let cases: &[(&str, &str, DateMode, i64)] = &[
            ("20090101", "20090401", Min, 90),
            ("20000101", "        ", Exact, DT_EMPTY),
            ("20000101", "20100101", Exact, 3653),
            ("20000101", "201001  ", Max, 3683),
            ("20000101", "2010    ", Exact, DT_UNKNOWN),
            ("20000101", "2010    ", Max, 4017),
            ("20080606", "2010    ", Min, 574),
            ("2008    ", "20080606", Min, 0),
            ("200806  ", "20090701", Max, 395),
            ("20080606", "200906  ", Max, 389),
            ("2008    ", "2009    ", Max, 730),
            ("20090630", "20080606", Min, -389),
            ("20080201", "20080131", Max, -1),
            ("20080131", "2008    ", Max, 335),
            ("2008    ", "2008    ", Max, 365),
            ("2008    ", "2008    ", Exact, DT_UNKNOWN),
            ("200806  ", "20090701", Min, 366),
            ("200806  ", "2009    ", Min, 185),
            ("2008    ", "20090401", Min, 91),
            ("2008    ", "200906  ", Min, 152),
            ("2008    ", "2009    ", Min, 1),
            ("200806  ", "200907  ", Max, 425),
            ("200806  ", "2009    ", Max, 578),
            ("2008    ", "20090401", Max, 456),
            ("2008    ", "200906  ", Max, 546),
            ("200806  ", "20080131", Min, -122),
            ("200806  ", "20080131", Max, -122),
            ("20080606", "200806  ", Max, 24),
            ("200806  ", "2008    ", Max, 213),
            ("2008    ", "20080131", Max, 30),
            ("20090701", "200806  ", Min, -366),
            ("20090701", "2008    ", Min, -182),
            ("201002  ", "20080606", Min, -605),
            ("201007  ", "200806  ", Min, -731),
            ("201010  ", "2008    ", Min, -639),
            ("2010    ", "200806  ", Min, -550),
            ("2009    ", "2008    ", Min, -1),
            ("2010    ", "20080606", Max, -574),
            ("2009    ", "2008    ", Max, -1),
        ];
        for &(a, b, mode, expected) in cases {
            assert_eq!(dd(a, b, mode), expected, "daydiff({a:?}, {b:?}, {mode:?})");
        }
    }

    // A3 of standard-edits-logic.md: conclusive diagnosis more than 60 days after diagnosis.
    #[test]
    fn daydiff_max_decides_the_conclusive_diagnosis_examples() {
        assert!(dd("20100115", "20100401", Max) > 60);
        assert!(dd("20100115", "20100201", Max) <= 60);
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_MONTHDIFF_IOP and
    // testGEN_YEARDIFF_IOP.
    #[test]
    fn monthdiff_and_yeardiff_match_the_genedits_vectors() {
        let t = today();
        let m = |a, b, mode| monthdiff(a, b, mode, &t);
        let y = |a, b, mode| yeardiff(a, b, mode, &t);
        assert_eq!(m("20000101", "20100101", Exact), 121);
        assert_eq!(m("20000101", "201001  ", Max), 122);
        assert_eq!(m("20000101", "2010    ", Max), 133);
        assert_eq!(m("2008    ", "20080131", Max), 1);
        assert_eq!(m("2009    ", "2008    ", Max), 0);
        assert_eq!(m("20090201", "20090302", Max), 0);
        assert_eq!(m("20090201", "20090303", Max), 1);
        assert_eq!(m("2010    ", "20080606", Min), -19);
        assert_eq!(m("20090701", "2008    ", Min), -6);
        assert_eq!(m("200806  ", "20080131", Max), -4);
        assert_eq!(m("2008    ", "2009    ", Exact), DT_UNKNOWN);
        assert_eq!(m("        ", "20100101", Exact), DT_EMPTY);
        assert_eq!(y("20000101", "20100101", Exact), 10);
        assert_eq!(y("20000101", "201001  ", Min), 10);
        assert_eq!(y("20000101", "2010    ", Max), 11);
        assert_eq!(y("20000101", "2010    ", Exact), DT_UNKNOWN);
        assert_eq!(y("20000101", "        ", Exact), DT_EMPTY);
        assert_eq!(
            y("20000101", "19991231", Exact),
            -1,
            "rounded down, not toward zero"
        );
    }

    // B3 of standard-edits-logic.md: DOB 19500615, dx 20190614 -> 68.
    #[test]
    fn age_counts_completed_years_and_brackets_partial_dates() {
        let t = today();
        assert_eq!(age("19500615", "20190614", Exact, &t), 68);
        assert_eq!(age("19500615", "20190615", Exact, &t), 69);
        assert_eq!(age("1950", "20190614", Exact, &t), DT_UNKNOWN);
        assert_eq!(age("1950", "20190614", Min, &t), 68);
        assert_eq!(age("1950", "20190614", Max, &t), 69);
        assert_eq!(age("195006", "20190101", Exact, &t), 68);
        assert_eq!(age("", "20190101", Exact, &t), DT_EMPTY);
        assert_eq!(age("19501301", "20190101", Exact, &t), DT_ERROR);
        assert_eq!(age("20000229", "20010228", Exact, &t), 0);
    }

    #[test]
    fn parts_and_their_sentinels() {
        let t = today();
        assert_eq!(part("20190614", Part::Year, &t), 2019);
        assert_eq!(part("20190614", Part::Month, &t), 6);
        assert_eq!(part("20190614", Part::Day, &t), 14);
        assert_eq!(part("201906", Part::Day, &t), DT_DAY_EMPTY);
        assert_eq!(part("2019    ", Part::Month, &t), DT_MONTH_EMPTY);
        assert_eq!(part("  ", Part::Year, &t), DT_EMPTY);
        assert_eq!(part("yyyyMMdd", Part::Year, &t), DT_ERROR);
    }

    #[test]
    fn modes_by_name_and_flag() {
        assert_eq!(DateMode::from_name("MIN"), Some(Min));
        assert_eq!(DateMode::from_name("exact"), Some(Exact));
        assert_eq!(DateMode::from_name("mean"), None);
        assert_eq!(DateMode::from_flag(2.0), Some(Max));
        assert_eq!(DateMode::from_flag(4.0), None);
    }
}
