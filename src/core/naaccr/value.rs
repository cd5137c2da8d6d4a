//! Checks one item value against its dictionary definition.
//!
//! The rules follow the reference reader (`imsweb/naaccr-xml`, `NaaccrPatientConverter` and
//! `NaaccrErrorUtils`: VAL_TOO_LONG, VAL_TOO_SHORT, VAL_DATA_TYPE, VAL_START_SPACE,
//! VAL_END_SPACE) and the data-type patterns of `naaccr_dictionary_1.8.xsd`. Unlike the
//! reference reader, which stops at the first failed check, every problem is reported.
//!
//! This runs for every item of every record: the common data types are checked byte by byte,
//! nothing is allocated when the value is valid, and a regular expression is only used for the
//! rare `regexValidation` of old (specification 1.0/1.1) dictionaries.

use super::date::{DateError, DateTimeError, NaaccrDate, NaaccrDateTime};
use super::dictionary::{DataType, ItemDef};

/// One reason an item value does not fit its definition. The caller names the item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueProblem {
    /// The value is empty (NAACCR XML leaves items without a value out of the file).
    #[error("value is empty; an item without a value must be left out")]
    Empty,
    /// More characters than the item length (VAL_TOO_LONG).
    #[error("value too long: at most {max} character(s) allowed, got {actual}")]
    TooLong {
        /// The item length.
        max: u32,
        /// Characters in the value.
        actual: usize,
    },
    /// Fewer characters than the length of a full-length item: digits, alpha, mixed
    /// (VAL_TOO_SHORT).
    #[error("value too short: exactly {expected} character(s) required, got {actual}")]
    TooShort {
        /// The item length.
        expected: u32,
        /// Characters in the value.
        actual: usize,
    },
    /// The value starts with a space (VAL_START_SPACE).
    #[error("value starts with a space")]
    LeadingSpace,
    /// The value ends with a space (VAL_END_SPACE).
    #[error("value ends with a space")]
    TrailingSpace,
    /// A control character: any C0 control in coded items; in text items any C0 control
    /// other than tab, line feed and carriage return. Only the first one is reported.
    #[error("value contains control character U+{code:04X} at position {position}")]
    ControlCharacter {
        /// 1-based character position.
        position: usize,
        /// The character's code.
        code: u32,
    },
    /// A `digits` value with something other than 0-9.
    #[error("value must contain only the digits 0-9")]
    NotDigits,
    /// An `alpha` value with something other than A-Z.
    #[error("value must contain only the upper-case letters A-Z")]
    NotAlpha,
    /// A `mixed` value with something other than A-Z and 0-9.
    #[error("value must contain only the upper-case letters A-Z and the digits 0-9")]
    NotMixed,
    /// A `numeric` value that is not digits with an optional decimal part (`^\d+(\.\d+)?$`).
    #[error("value must be digits with an optional decimal part, such as 12 or 12.5")]
    NotNumeric,
    /// A `date` value that is not a valid NAACCR date.
    #[error("invalid date: {reason}")]
    InvalidDate {
        /// Why.
        reason: DateError,
    },
    /// A `dateTime` value that is not a valid NAACCR dateTime.
    #[error("invalid dateTime: {reason}")]
    InvalidDateTime {
        /// Why.
        reason: DateTimeError,
    },
    /// The value does not match the item's `regexValidation`.
    #[error("value does not match the item's pattern {pattern}")]
    RegexMismatch {
        /// The dictionary's pattern.
        pattern: String,
    },
}

impl ValueProblem {
    /// A stable snake_case code for the problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_value",
            Self::TooLong { .. } => "value_too_long",
            Self::TooShort { .. } => "value_too_short",
            Self::LeadingSpace => "value_starts_with_space",
            Self::TrailingSpace => "value_ends_with_space",
            Self::ControlCharacter { .. } => "control_character",
            Self::NotDigits => "not_digits",
            Self::NotAlpha => "not_alpha",
            Self::NotMixed => "not_mixed",
            Self::NotNumeric => "not_numeric",
            Self::InvalidDate { .. } => "invalid_date",
            Self::InvalidDateTime { .. } => "invalid_date_time",
            Self::RegexMismatch { .. } => "regex_mismatch",
        }
    }
}

/// Checks a value against its item definition; an empty vector means valid
/// (and costs no allocation).
pub fn validate_value(item: &ItemDef, value: &str) -> Vec<ValueProblem> {
    let mut problems = Vec::new();
    validate_value_into(item, value, &mut problems);
    problems
}

/// Like [`validate_value`], appending to a caller-owned vector so one buffer can be reused
/// across a whole file.
pub fn validate_value_into(item: &ItemDef, value: &str, problems: &mut Vec<ValueProblem>) {
    if value.is_empty() {
        problems.push(ValueProblem::Empty);
        return;
    }
    let data_type = item.data_type;
    let max = usize::try_from(item.length).unwrap_or(usize::MAX);

    // Length, in characters. A value of at most `max` bytes has at most `max` characters, so
    // counting is only needed for long values or exact-length types.
    let unlimited = item.allow_unlimited_text && data_type == DataType::Text;
    if value.len() > max || data_type.requires_full_length() {
        let actual = value.chars().count();
        if actual > max && !unlimited {
            problems.push(ValueProblem::TooLong {
                max: item.length,
                actual,
            });
        } else if actual < max && data_type.requires_full_length() {
            problems.push(ValueProblem::TooShort {
                expected: item.length,
                actual,
            });
        }
    }

    let bytes = value.as_bytes();
    if bytes.first() == Some(&b' ') {
        problems.push(ValueProblem::LeadingSpace);
    }
    if bytes.last() == Some(&b' ') {
        problems.push(ValueProblem::TrailingSpace);
    }

    // C0 controls are ASCII, so a byte scan finds them in any UTF-8 text.
    let text = data_type == DataType::Text;
    if let Some(offset) = bytes
        .iter()
        .position(|&b| b < 0x20 && !(text && matches!(b, b'\t' | b'\n' | b'\r')))
    {
        let code = bytes.get(offset).map_or(0, |&b| u32::from(b));
        let position = value.get(..offset).map_or(offset, |s| s.chars().count()) + 1;
        problems.push(ValueProblem::ControlCharacter { position, code });
    }

    match data_type {
        DataType::Text => {}
        DataType::Digits => {
            if !bytes.iter().all(u8::is_ascii_digit) {
                problems.push(ValueProblem::NotDigits);
            }
        }
        DataType::Alpha => {
            if !bytes.iter().all(u8::is_ascii_uppercase) {
                problems.push(ValueProblem::NotAlpha);
            }
        }
        DataType::Mixed => {
            if !bytes
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                problems.push(ValueProblem::NotMixed);
            }
        }
        DataType::Numeric => {
            if !is_numeric(bytes) {
                problems.push(ValueProblem::NotNumeric);
            }
        }
        DataType::Date => {
            if let Err(reason) = NaaccrDate::parse(value) {
                problems.push(ValueProblem::InvalidDate { reason });
            }
        }
        DataType::DateTime => {
            if let Err(reason) = NaaccrDateTime::parse(value) {
                problems.push(ValueProblem::InvalidDateTime { reason });
            }
        }
    }

    if let Some(re) = &item.regex_validation
        && !re.is_match(value)
    {
        problems.push(ValueProblem::RegexMismatch {
            pattern: item.regex_pattern().unwrap_or_default().to_owned(),
        });
    }
}

/// `^\d+(\.\d+)?$` (the reference library's pattern for `numeric`; no sign, no exponent).
fn is_numeric(bytes: &[u8]) -> bool {
    let (whole, fraction) = match bytes.iter().position(|&b| b == b'.') {
        None => (bytes, None),
        Some(dot) => (
            bytes.get(..dot).unwrap_or_default(),
            Some(bytes.get(dot + 1..).unwrap_or_default()),
        ),
    };
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::super::dictionary::{Dictionary, Padding, ParentElement, RecordType};
    use super::*;
    use proptest::prelude::*;

    fn item(data_type: DataType, length: u32) -> ItemDef {
        ItemDef {
            naaccr_id: "testItem".to_owned(),
            naaccr_num: 9999,
            naaccr_name: None,
            length,
            data_type,
            parent: ParentElement::Tumor,
            padding: Padding::None,
            record_types: RecordType::ALL.to_vec(),
            allow_unlimited_text: false,
            source_of_standard: None,
            regex_validation: None,
            start_column: None,
        }
    }

    fn codes(item: &ItemDef, value: &str) -> Vec<&'static str> {
        validate_value(item, value)
            .iter()
            .map(|p| p.code())
            .collect()
    }

    #[test]
    fn valid_values_of_every_type_have_no_problem() {
        let cases = [
            (item(DataType::Text, 10), "Any text."),
            (item(DataType::Text, 20), "line 1\nline\t2\r\n3"),
            (item(DataType::Digits, 3), "042"),
            (item(DataType::Alpha, 2), "KS"),
            (item(DataType::Mixed, 4), "C50A"),
            (item(DataType::Numeric, 6), "12.5"),
            (item(DataType::Numeric, 6), "7"),
            (item(DataType::Date, 8), "20240229"),
            (item(DataType::Date, 8), "202402"),
            (item(DataType::Date, 8), "2024"),
            (item(DataType::DateTime, 25), "2024-05-01T13:45:00-04:00"),
            (item(DataType::Text, 5), "éèêëà"),
        ];
        for (def, value) in &cases {
            assert_eq!(validate_value(def, value), vec![], "{value:?}");
        }
    }

    #[test]
    fn too_long_counts_characters_not_bytes() {
        let def = item(DataType::Text, 3);
        assert_eq!(
            validate_value(&def, "abcd"),
            vec![ValueProblem::TooLong { max: 3, actual: 4 }]
        );
        // 6 bytes, 3 characters: fits.
        assert_eq!(validate_value(&def, "ééé"), vec![]);
    }

    #[test]
    fn allow_unlimited_text_lifts_the_length_cap_for_text_only() {
        let mut def = item(DataType::Text, 3);
        def.allow_unlimited_text = true;
        assert_eq!(validate_value(&def, "a long remark"), vec![]);
        let mut coded = item(DataType::Digits, 3);
        coded.allow_unlimited_text = true;
        assert_eq!(codes(&coded, "1234"), vec!["value_too_long"]);
    }

    #[test]
    fn full_length_types_must_fill_the_item() {
        assert_eq!(
            validate_value(&item(DataType::Digits, 3), "42"),
            vec![ValueProblem::TooShort {
                expected: 3,
                actual: 2
            }]
        );
        assert_eq!(
            codes(&item(DataType::Alpha, 2), "K"),
            vec!["value_too_short"]
        );
        assert_eq!(
            codes(&item(DataType::Mixed, 4), "C50"),
            vec!["value_too_short"]
        );
        // Numeric, text and date values may be shorter than the item.
        assert_eq!(codes(&item(DataType::Numeric, 5), "1"), Vec::<&str>::new());
        assert_eq!(codes(&item(DataType::Text, 5), "a"), Vec::<&str>::new());
        assert_eq!(codes(&item(DataType::Date, 8), "2024"), Vec::<&str>::new());
    }

    #[test]
    fn coded_types_refuse_wrong_characters() {
        assert_eq!(codes(&item(DataType::Digits, 3), "04A"), vec!["not_digits"]);
        assert_eq!(codes(&item(DataType::Alpha, 2), "ks"), vec!["not_alpha"]);
        assert_eq!(codes(&item(DataType::Alpha, 2), "K1"), vec!["not_alpha"]);
        assert_eq!(codes(&item(DataType::Mixed, 4), "c50a"), vec!["not_mixed"]);
        assert_eq!(codes(&item(DataType::Digits, 3), "٠١٢"), vec!["not_digits"]);
    }

    #[test]
    fn numeric_follows_the_reference_pattern() {
        let def = item(DataType::Numeric, 8);
        for ok in ["0", "123", "1.5", "0.25", "007"] {
            assert_eq!(codes(&def, ok), Vec::<&str>::new(), "{ok}");
        }
        for bad in ["-1", "+1", "1.", ".5", "1.2.3", "1e5", "1,5"] {
            assert_eq!(codes(&def, bad), vec!["not_numeric"], "{bad}");
        }
    }

    #[test]
    fn dates_are_checked_against_the_calendar() {
        let def = item(DataType::Date, 8);
        assert_eq!(
            validate_value(&def, "20230229"),
            vec![ValueProblem::InvalidDate {
                reason: DateError::InvalidDay {
                    year: 2023,
                    month: 2,
                    day: 29
                }
            }]
        );
        assert_eq!(codes(&def, "20231301"), vec!["invalid_date"]);
        assert_eq!(codes(&def, "19000229"), vec!["invalid_date"]);
        assert_eq!(
            codes(&def, "2024-01-01"),
            vec!["value_too_long", "invalid_date"]
        );
        let dt = item(DataType::DateTime, 25);
        assert_eq!(codes(&dt, "2024-05-01T13:45:00"), vec!["invalid_date_time"]);
    }

    #[test]
    fn surrounding_spaces_are_reported() {
        let def = item(DataType::Text, 10);
        assert_eq!(codes(&def, " abc"), vec!["value_starts_with_space"]);
        assert_eq!(codes(&def, "abc "), vec!["value_ends_with_space"]);
        assert_eq!(
            codes(&item(DataType::Digits, 3), " 12"),
            vec!["value_starts_with_space", "not_digits"]
        );
    }

    #[test]
    fn control_characters_are_reported_with_their_position() {
        let text = item(DataType::Text, 20);
        assert_eq!(
            validate_value(&text, "é\u{0}x"),
            vec![ValueProblem::ControlCharacter {
                position: 2,
                code: 0
            }]
        );
        assert_eq!(codes(&text, "a\u{1b}[0m"), vec!["control_character"]);
        // Tab, line feed and carriage return are text, but not codes.
        assert_eq!(codes(&text, "a\tb"), Vec::<&str>::new());
        assert_eq!(
            codes(&item(DataType::Digits, 3), "1\t2"),
            vec!["control_character", "not_digits"]
        );
    }

    #[test]
    fn empty_values_are_reported_once() {
        assert_eq!(
            validate_value(&item(DataType::Digits, 3), ""),
            vec![ValueProblem::Empty]
        );
    }

    #[test]
    fn regex_validation_must_match_the_whole_value() {
        let xml = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml"
            dictionaryUri="http://example.org/old.xml" naaccrVersion="140" specificationVersion="1.0">
            <ItemDefs>
              <ItemDef naaccrId="myItem" naaccrNum="9500" length="3" parentXmlElement="Tumor"
                       startColumn="2340" regexValidation="[0-9]{2}X"/>
            </ItemDefs></NaaccrDictionary>"#;
        let dictionary = Dictionary::parse_user(xml, "old.xml").unwrap();
        let def = dictionary.item("myItem").unwrap();
        assert_eq!(def.regex_pattern(), Some("[0-9]{2}X"));
        assert_eq!(validate_value(def, "12X"), vec![]);
        assert_eq!(
            validate_value(def, "A12X"),
            vec![
                ValueProblem::TooLong { max: 3, actual: 4 },
                ValueProblem::RegexMismatch {
                    pattern: "[0-9]{2}X".to_owned()
                }
            ]
        );
    }

    #[test]
    fn display_names_the_rule() {
        assert_eq!(
            ValueProblem::TooLong { max: 3, actual: 5 }.to_string(),
            "value too long: at most 3 character(s) allowed, got 5"
        );
        assert_eq!(
            ValueProblem::InvalidDate {
                reason: DateError::InvalidMonth { month: 13 }
            }
            .to_string(),
            "invalid date: the month is not 01-12"
        );
    }

    proptest! {
        #[test]
        fn every_full_length_digit_string_is_valid(s in "[0-9]{5}") {
            prop_assert_eq!(validate_value(&item(DataType::Digits, 5), &s), vec![]);
        }

        #[test]
        fn text_within_length_without_controls_or_edge_spaces_is_valid(s in "[^\\p{Cc} ]([^\\p{Cc}]{0,8}[^\\p{Cc} ])?") {
            prop_assert_eq!(validate_value(&item(DataType::Text, 10), &s), vec![]);
        }

        #[test]
        fn validation_never_panics(s in "\\PC{0,12}|[\\x00-\\x7f]{0,12}") {
            for t in [DataType::Text, DataType::Digits, DataType::Alpha, DataType::Mixed,
                      DataType::Numeric, DataType::Date, DataType::DateTime] {
                let _ = validate_value(&item(t, 8), &s);
            }
        }
    }
}
