//! NAACCR dates (`CCYYMMDD` with the partial forms `CCYY` and `CCYYMM`) and the
//! `dateTime` values introduced by NAACCR XML specification 1.8.
//!
//! Both are parsed by hand, byte by byte: item values are checked for every item of every
//! record, so no regular expression and no allocation is used here.

use std::fmt;

use serde::{Serialize, Serializer};

/// Why a string is not a valid NAACCR `date` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The value is not 4, 6 or 8 characters long (`CCYY`, `CCYYMM` or `CCYYMMDD`).
    #[error("a date must be 4, 6 or 8 digits (CCYY, CCYYMM or CCYYMMDD), got {length} characters")]
    WrongLength {
        /// Number of characters found.
        length: usize,
    },
    /// The value contains something other than the digits 0-9.
    #[error("a date must contain only the digits 0-9")]
    NotDigits,
    /// The year is outside 1800-2099 (the century must be 18, 19 or 20).
    #[error("the year is outside 1800-2099")]
    YearOutOfRange {
        /// The year found.
        year: u16,
    },
    /// The month is not 01-12.
    #[error("the month is not 01-12")]
    InvalidMonth {
        /// The month found.
        month: u8,
    },
    /// The day does not exist in that month of that year (e.g. 20230229 or day 00).
    #[error("the day does not exist in that month of that year")]
    InvalidDay {
        /// The year.
        year: u16,
        /// The month.
        month: u8,
        /// The day found.
        day: u8,
    },
}

impl DateError {
    /// A stable snake_case code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "date_wrong_length",
            Self::NotDigits => "date_not_digits",
            Self::YearOutOfRange { .. } => "date_year_out_of_range",
            Self::InvalidMonth { .. } => "date_invalid_month",
            Self::InvalidDay { .. } => "date_invalid_day",
        }
    }
}

/// A NAACCR date: a year with an optional month and, when the month is known, an optional day.
///
/// NAACCR Volume II ("Data Standards and Data Dictionary", date format section) records dates as
/// `YYYYMMDD`, `YYYYMM` when the day is unknown and `YYYY` when month and day are unknown. The
/// NAACCR XML dictionary schema (`naaccr_dictionary_1.8.xsd`, comment on the `date` data type)
/// limits the century to 18, 19 or 20: `^(18|19|20)\d\d((0[1-9]|1[012])(0[1-9]|[12]\d|3[01])?)?$`.
/// On top of that pattern this type refuses days that do not exist in the Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NaaccrDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

/// Value of one ASCII digit byte, or `None`.
fn digit(b: u8) -> Option<u8> {
    if b.is_ascii_digit() {
        Some(b - b'0')
    } else {
        None
    }
}

/// Two ASCII digits as a number.
fn two_digits(hi: u8, lo: u8) -> Option<u8> {
    Some(digit(hi)? * 10 + digit(lo)?)
}

/// Gregorian leap year: divisible by 4, except centuries not divisible by 400.
pub(crate) fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Number of days in a month (1-12) of a given year; 0 for an invalid month.
pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl NaaccrDate {
    /// Parses `CCYY`, `CCYYMM` or `CCYYMMDD` (years 1800-2099, real calendar days only).
    pub fn parse(value: &str) -> Result<Self, DateError> {
        let bytes = value.as_bytes();
        let (year_part, month_part, day_part) = match *bytes {
            [a, b, c, d] => ([a, b, c, d], None, None),
            [a, b, c, d, e, f] => ([a, b, c, d], Some([e, f]), None),
            [a, b, c, d, e, f, g, h] => ([a, b, c, d], Some([e, f]), Some([g, h])),
            _ => {
                return Err(DateError::WrongLength {
                    length: value.chars().count(),
                });
            }
        };
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(DateError::NotDigits);
        }
        let [y0, y1, y2, y3] = year_part;
        let year = u16::from(two_digits(y0, y1).ok_or(DateError::NotDigits)?) * 100
            + u16::from(two_digits(y2, y3).ok_or(DateError::NotDigits)?);
        if !(1800..=2099).contains(&year) {
            return Err(DateError::YearOutOfRange { year });
        }
        let month = match month_part {
            None => None,
            Some([m0, m1]) => {
                let month = two_digits(m0, m1).ok_or(DateError::NotDigits)?;
                if !(1..=12).contains(&month) {
                    return Err(DateError::InvalidMonth { month });
                }
                Some(month)
            }
        };
        let day = match (day_part, month) {
            (Some([d0, d1]), Some(month)) => {
                let day = two_digits(d0, d1).ok_or(DateError::NotDigits)?;
                if day == 0 || day > days_in_month(year, month) {
                    return Err(DateError::InvalidDay { year, month, day });
                }
                Some(day)
            }
            _ => None,
        };
        Ok(Self { year, month, day })
    }

    /// The year (1800-2099).
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12), if known.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day of the month, if known (only ever present together with the month).
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// True when year, month and day are all known.
    pub fn is_complete(&self) -> bool {
        self.day.is_some()
    }

    /// The calendar date when the date is complete, `None` for a partial date.
    pub fn to_naive_date(&self) -> Option<chrono::NaiveDate> {
        let (month, day) = (self.month?, self.day?);
        chrono::NaiveDate::from_ymd_opt(i32::from(self.year), u32::from(month), u32::from(day))
    }
}

impl fmt::Display for NaaccrDate {
    /// Writes the NAACCR form back: `CCYY`, `CCYYMM` or `CCYYMMDD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "{month:02}")?;
            if let Some(day) = self.day {
                write!(f, "{day:02}")?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for NaaccrDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NaaccrDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why a string is not a valid NAACCR `dateTime` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The value does not follow `YYYY[-MM[-DD[Thh:mm:ss]]][Z|(+|-)hh:mm]`.
    #[error(
        "a dateTime must look like YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss followed by Z or an offset such as -05:00"
    )]
    Malformed,
    /// The year is 0000.
    #[error("year 0000 does not exist")]
    YearZero,
    /// The month is not 01-12.
    #[error("the month is not 01-12")]
    InvalidMonth {
        /// The month found.
        month: u8,
    },
    /// The day does not exist in that month of that year.
    #[error("the day does not exist in that month of that year")]
    InvalidDay {
        /// The year.
        year: u16,
        /// The month.
        month: u8,
        /// The day found.
        day: u8,
    },
    /// Hours above 23, minutes above 59 or seconds above 60.
    #[error("the time is not a valid time of day")]
    InvalidTime {
        /// Hours.
        hour: u8,
        /// Minutes.
        minute: u8,
        /// Seconds (60 is allowed for a leap second).
        second: u8,
    },
    /// A time of day was given without a time zone.
    #[error("a time of day must be followed by a time zone (Z or an offset such as -05:00)")]
    MissingTimeZone,
    /// The offset is outside -14:00..+14:00 or its minutes are above 59.
    #[error("time zone offset is outside -14:00..+14:00")]
    InvalidOffset,
}

impl DateTimeError {
    /// A stable snake_case code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "date_time_malformed",
            Self::YearZero => "date_time_year_zero",
            Self::InvalidMonth { .. } => "date_time_invalid_month",
            Self::InvalidDay { .. } => "date_time_invalid_day",
            Self::InvalidTime { .. } => "date_time_invalid_time",
            Self::MissingTimeZone => "date_time_missing_time_zone",
            Self::InvalidOffset => "date_time_invalid_offset",
        }
    }
}

/// The time zone of a [`NaaccrDateTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeZone {
    /// `Z`: UTC.
    Utc,
    /// An offset from UTC in minutes (e.g. -300 for `-05:00`).
    Offset(i16),
}

/// A NAACCR `dateTime` value: an ISO 8601 subset without fractions of a second.
///
/// Specification 1.8 added the `dateTime` data type (imsweb/naaccr-xml wiki, "New dateTime data
/// type"); the pattern is the comment on `dateTime` in `naaccr_dictionary_1.8.xsd`: a 4-digit
/// year other than 0000, then optionally `-MM`, `-DD`, `Thh:mm:ss`, and a zone (`Z` or `±hh:mm`,
/// at most 14:00). Beyond the pattern this type refuses calendar days that do not exist,
/// an offset sign without hours and minutes, and, as the wiki states, a time without a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NaaccrDateTime {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
    time: Option<(u8, u8, u8)>,
    zone: Option<TimeZone>,
}

impl NaaccrDateTime {
    /// Parses a NAACCR `dateTime` value (at most 25 characters, e.g. `2024-05-01T13:45:00-04:00`).
    pub fn parse(value: &str) -> Result<Self, DateTimeError> {
        let mut cursor = Cursor {
            bytes: value.as_bytes(),
            pos: 0,
        };
        let year = u16::from(cursor.two()?) * 100 + u16::from(cursor.two()?);
        if year == 0 {
            return Err(DateTimeError::YearZero);
        }
        let mut result = Self {
            year,
            month: None,
            day: None,
            time: None,
            zone: None,
        };
        if cursor.eat(b'-') {
            let month = cursor.two()?;
            if !(1..=12).contains(&month) {
                return Err(DateTimeError::InvalidMonth { month });
            }
            result.month = Some(month);
            if cursor.eat(b'-') {
                let day = cursor.two()?;
                if day == 0 || day > days_in_month(year, month) {
                    return Err(DateTimeError::InvalidDay { year, month, day });
                }
                result.day = Some(day);
                if cursor.eat(b'T') {
                    let hour = cursor.two()?;
                    cursor.expect(b':')?;
                    let minute = cursor.two()?;
                    cursor.expect(b':')?;
                    let second = cursor.two()?;
                    if hour > 23 || minute > 59 || second > 60 {
                        return Err(DateTimeError::InvalidTime {
                            hour,
                            minute,
                            second,
                        });
                    }
                    result.time = Some((hour, minute, second));
                }
            }
            // The XSD pattern attaches the zone to the month part: `YYYY` alone has no zone.
            if cursor.eat(b'Z') {
                result.zone = Some(TimeZone::Utc);
            } else if let Some(sign) = cursor.sign() {
                let hours = cursor.two()?;
                cursor.expect(b':')?;
                let minutes = cursor.two()?;
                if minutes > 59 || hours > 14 || (hours == 14 && minutes != 0) {
                    return Err(DateTimeError::InvalidOffset);
                }
                let total = i16::from(hours) * 60 + i16::from(minutes);
                result.zone = Some(TimeZone::Offset(sign * total));
            }
        }
        if !cursor.done() {
            return Err(DateTimeError::Malformed);
        }
        if result.time.is_some() && result.zone.is_none() {
            return Err(DateTimeError::MissingTimeZone);
        }
        Ok(result)
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, if given.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day, if given.
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// Hours, minutes and seconds, if a time of day was given.
    pub fn time(&self) -> Option<(u8, u8, u8)> {
        self.time
    }

    /// The time zone, if given.
    pub fn zone(&self) -> Option<TimeZone> {
        self.zone
    }
}

impl fmt::Display for NaaccrDateTime {
    /// Writes the value back in its ISO 8601 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
        }
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        if let Some((h, m, s)) = self.time {
            write!(f, "T{h:02}:{m:02}:{s:02}")?;
        }
        match self.zone {
            None => Ok(()),
            Some(TimeZone::Utc) => f.write_str("Z"),
            Some(TimeZone::Offset(minutes)) => {
                let sign = if minutes < 0 { '-' } else { '+' };
                let abs = minutes.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)
            }
        }
    }
}

impl std::str::FromStr for NaaccrDateTime {
    type Err = DateTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NaaccrDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A tiny byte cursor for the hand-written `dateTime` parser.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, expected: u8) -> bool {
        if self.peek() == Some(expected) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, expected: u8) -> Result<(), DateTimeError> {
        if self.eat(expected) {
            Ok(())
        } else {
            Err(DateTimeError::Malformed)
        }
    }

    fn sign(&mut self) -> Option<i16> {
        if self.eat(b'+') {
            Some(1)
        } else if self.eat(b'-') {
            Some(-1)
        } else {
            None
        }
    }

    fn two(&mut self) -> Result<u8, DateTimeError> {
        let hi = self.peek().ok_or(DateTimeError::Malformed)?;
        self.pos += 1;
        let lo = self.peek().ok_or(DateTimeError::Malformed)?;
        self.pos += 1;
        two_digits(hi, lo).ok_or(DateTimeError::Malformed)
    }

    fn done(&self) -> bool {
        self.pos == self.bytes.len()
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
    use proptest::prelude::*;

    #[test]
    fn full_and_partial_dates_are_accepted() {
        let d = NaaccrDate::parse("20240315").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, Some(3), Some(15)));
        let d = NaaccrDate::parse("202403").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, Some(3), None));
        let d = NaaccrDate::parse("2024").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, None, None));
        assert!(!d.is_complete());
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(NaaccrDate::parse("20240229").is_ok());
        assert!(
            NaaccrDate::parse("20000229").is_ok(),
            "2000 is divisible by 400"
        );
        assert_eq!(
            NaaccrDate::parse("19000229"),
            Err(DateError::InvalidDay {
                year: 1900,
                month: 2,
                day: 29
            }),
            "1900 is a century not divisible by 400"
        );
        assert_eq!(
            NaaccrDate::parse("20230229").unwrap_err().code(),
            "date_invalid_day"
        );
    }

    #[test]
    fn impossible_days_and_months_are_refused() {
        assert_eq!(
            NaaccrDate::parse("20230231"),
            Err(DateError::InvalidDay {
                year: 2023,
                month: 2,
                day: 31
            })
        );
        assert_eq!(
            NaaccrDate::parse("20230431").unwrap_err().code(),
            "date_invalid_day"
        );
        assert_eq!(
            NaaccrDate::parse("20231301"),
            Err(DateError::InvalidMonth { month: 13 })
        );
        assert_eq!(
            NaaccrDate::parse("202300"),
            Err(DateError::InvalidMonth { month: 0 })
        );
        assert_eq!(
            NaaccrDate::parse("20230100").unwrap_err().code(),
            "date_invalid_day"
        );
        assert!(NaaccrDate::parse("20231231").is_ok());
    }

    #[test]
    fn years_outside_1800_2099_are_refused() {
        assert_eq!(
            NaaccrDate::parse("1799"),
            Err(DateError::YearOutOfRange { year: 1799 })
        );
        assert_eq!(
            NaaccrDate::parse("21000101"),
            Err(DateError::YearOutOfRange { year: 2100 })
        );
        assert!(NaaccrDate::parse("1800").is_ok());
        assert!(NaaccrDate::parse("20991231").is_ok());
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert_eq!(
            NaaccrDate::parse(""),
            Err(DateError::WrongLength { length: 0 })
        );
        assert_eq!(
            NaaccrDate::parse("2024031"),
            Err(DateError::WrongLength { length: 7 })
        );
        assert_eq!(NaaccrDate::parse("2024-3"), Err(DateError::NotDigits));
        assert_eq!(NaaccrDate::parse("20a40315"), Err(DateError::NotDigits));
        assert_eq!(NaaccrDate::parse(" 2024 "), Err(DateError::NotDigits));
        // 10 bytes but 5 characters: the length is reported in characters.
        assert_eq!(
            NaaccrDate::parse("ééééé"),
            Err(DateError::WrongLength { length: 5 })
        );
        assert_eq!(NaaccrDate::parse("éééé"), Err(DateError::NotDigits));
    }

    #[test]
    fn display_writes_the_naaccr_form_back() {
        for s in ["2024", "202403", "20240315", "18000101"] {
            assert_eq!(NaaccrDate::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            NaaccrDate::parse("20240315").unwrap().to_naive_date(),
            chrono::NaiveDate::from_ymd_opt(2024, 3, 15)
        );
        assert_eq!(NaaccrDate::parse("202403").unwrap().to_naive_date(), None);
    }

    #[test]
    fn date_times_from_the_xsd_pattern_are_accepted() {
        for s in [
            "2024",
            "2024-05",
            "2024-05-01",
            "2024-05-01T13:45:00Z",
            "2024-05-01T13:45:00-04:00",
            "2024-05-01T23:59:60+14:00",
            "2024-05Z",
            "0001-01-01T00:00:00Z",
        ] {
            let parsed = NaaccrDateTime::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(parsed.to_string(), s);
        }
        let t = NaaccrDateTime::parse("2024-05-01T13:45:00-04:30").unwrap();
        assert_eq!(t.zone(), Some(TimeZone::Offset(-270)));
        assert_eq!(t.time(), Some((13, 45, 0)));
    }

    #[test]
    fn malformed_date_times_are_refused() {
        use DateTimeError::*;
        let cases = [
            ("", Malformed),
            ("20240501", Malformed),
            ("0000", YearZero),
            ("2024-13", InvalidMonth { month: 13 }),
            (
                "2023-02-29",
                InvalidDay {
                    year: 2023,
                    month: 2,
                    day: 29,
                },
            ),
            ("2024-05-01T13:45:00", MissingTimeZone),
            ("2024-05-01T13:45", Malformed),
            ("2024-05-01T13:45:00.123Z", Malformed),
            (
                "2024-05-01T24:00:00Z",
                InvalidTime {
                    hour: 24,
                    minute: 0,
                    second: 0,
                },
            ),
            ("2024-05-01T13:45:00+14:30", InvalidOffset),
            ("2024-05-01T13:45:00+", Malformed),
            ("2024Z", Malformed),
            ("2024-05-01 13:45:00Z", Malformed),
        ];
        for (s, expected) in cases {
            assert_eq!(NaaccrDateTime::parse(s), Err(expected), "{s}");
        }
    }

    proptest! {
        #[test]
        fn every_real_calendar_day_round_trips(y in 1800u16..=2099, m in 1u8..=12, d in 1u8..=31) {
            let s = format!("{y:04}{m:02}{d:02}");
            let parsed = NaaccrDate::parse(&s);
            let exists = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).is_some();
            prop_assert_eq!(parsed.is_ok(), exists);
            if let Ok(date) = parsed {
                prop_assert_eq!(date.to_string(), s);
            }
        }

        #[test]
        fn date_parser_never_panics(s in "\\PC{0,10}") {
            let _ = NaaccrDate::parse(&s);
            let _ = NaaccrDateTime::parse(&s);
        }
    }
}
