//! Text rules shared by the operators and functions: the order of codes, code ranges and
//! `inlist` lists, numbers read from text, and character-based slicing that cannot panic.

use std::cmp::Ordering;
use std::collections::HashSet;

/// The three kinds of text the code order distinguishes, in their sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Empty,
    Digits,
    Other,
}

fn class(text: &str) -> Class {
    if text.is_empty() {
        Class::Empty
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        Class::Digits
    } else {
        Class::Other
    }
}

/// The order of codes, used by `<`, `<=`, `>`, `>=`, `between`, `in lo..hi`, `inlist` ranges
/// and table ranges:
/// 1. empty text comes first;
/// 2. two digit-only texts compare as whole numbers (`"9" < "10"`, `"007"` equals `"7"` in
///    value; with `tie_break` the shorter then sorts first, so exactly one of `<`, `=`, `>`
///    holds);
/// 3. digit-only text comes before text with other characters;
/// 4. other texts: the shorter first, then character by character (`"C509" < "C619"`).
///
/// Registry codes have fixed widths, so for them this is the ordinary character order; the
/// number rule keeps numeric codes of different widths in numeric order, as GenEDITS' INLIST
/// ranges do (imsweb/validation `MetafileContextFunctionsTest.testGEN_INLIST`: `"100"` is not
/// in `"10-13"`).
pub(crate) fn code_cmp(a: &str, b: &str, tie_break: bool) -> Ordering {
    let (ca, cb) = (class(a), class(b));
    ca.cmp(&cb).then_with(|| match ca {
        Class::Empty => Ordering::Equal,
        Class::Digits => {
            let (va, vb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            let by_value = va.len().cmp(&vb.len()).then_with(|| va.cmp(vb));
            if tie_break {
                by_value.then_with(|| a.len().cmp(&b.len()))
            } else {
                by_value
            }
        }
        Class::Other => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
    })
}

/// True when `value` lies in `lo..hi` (inclusive) in the code order; empty text never does.
pub(crate) fn in_range(value: &str, lo: &str, hi: &str) -> bool {
    !value.is_empty()
        && code_cmp(lo, value, false) != Ordering::Greater
        && code_cmp(value, hi, false) != Ordering::Greater
}

/// Why an `inlist` list or a table range cell cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListError {
    /// What is wrong, for the error message.
    pub(crate) reason: String,
}

/// One entry of a code list: a single code or an inclusive range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListEntry {
    Code(String),
    Range(String, String),
}

/// Splits a list such as `"C760-C768, C809"` into entries. Entries are trimmed; an empty entry
/// (a leading, trailing or doubled comma) is kept as `Code("")`. A range has exactly one `-`
/// with a code on both sides and its low end not above its high end.
pub(crate) fn parse_list(list: &str) -> Result<Vec<ListEntry>, ListError> {
    let mut entries = Vec::new();
    for raw in list.split(',') {
        let entry = raw.trim();
        match entry.split_once('-') {
            None => entries.push(ListEntry::Code(entry.to_owned())),
            Some((lo, hi)) => {
                let (lo, hi) = (lo.trim(), hi.trim());
                if lo.is_empty() || hi.is_empty() || hi.contains('-') {
                    return Err(ListError {
                        reason: format!("\"{entry}\" is not a range of the form LOW-HIGH"),
                    });
                }
                if code_cmp(lo, hi, false) == Ordering::Greater {
                    return Err(ListError {
                        reason: format!("the range \"{entry}\" has its low end above its high end"),
                    });
                }
                entries.push(ListEntry::Range(lo.to_owned(), hi.to_owned()));
            }
        }
    }
    Ok(entries)
}

/// The entries of a table cell holding a code list (`C000-C006,C008-C009`), each as an inclusive
/// `(low, high)` pair; a single code is `(code, code)`. Lenient: an entry that is not a clean
/// `LOW-HIGH` range is taken as a single code, and empty entries are skipped.
pub(crate) fn range_entries(cell: &str) -> impl Iterator<Item = (&str, &str)> {
    cell.split(',').filter_map(|raw| {
        let entry = raw.trim();
        if entry.is_empty() {
            return None;
        }
        match entry.split_once('-') {
            Some((lo, hi))
                if !lo.trim().is_empty() && !hi.trim().is_empty() && !hi.contains('-') =>
            {
                Some((lo.trim(), hi.trim()))
            }
            _ => Some((entry, entry)),
        }
    })
}

/// A pre-built code list: a set of single codes and a list of ranges.
#[derive(Debug, Clone, Default)]
pub(crate) struct CodeSet {
    codes: HashSet<Box<str>>,
    ranges: Vec<(Box<str>, Box<str>)>,
}

impl CodeSet {
    /// Builds the set from list entries.
    pub(crate) fn from_entries(entries: Vec<ListEntry>) -> Self {
        let mut set = Self::default();
        for entry in entries {
            match entry {
                ListEntry::Code(code) => {
                    set.codes.insert(code.into_boxed_str());
                }
                ListEntry::Range(lo, hi) => {
                    set.ranges.push((lo.into_boxed_str(), hi.into_boxed_str()));
                }
            }
        }
        set
    }

    /// Adds one exact code.
    pub(crate) fn insert_code(&mut self, code: &str) {
        self.codes.insert(code.into());
    }

    /// Adds one inclusive range.
    pub(crate) fn insert_range(&mut self, lo: &str, hi: &str) {
        self.ranges.push((lo.into(), hi.into()));
    }

    /// True when `value` equals a code of the set or lies in one of its ranges.
    pub(crate) fn contains(&self, value: &str) -> bool {
        self.codes.contains(value) || self.ranges.iter().any(|(lo, hi)| in_range(value, lo, hi))
    }
}

/// Reads a number written in text: blanks around it are ignored, then an optional sign, digits
/// with an optional decimal point (`"012"`, `"-3"`, `"1.5"`, `".5"`). Anything else (blank,
/// `"XX.8"`, `"1e3"`, `"12a"`) is not a number: `None`.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim_matches(' ');
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_only(int) || !digits_only(frac) {
        return None;
    }
    t.parse::<f64>().ok()
}

/// The byte offset of the character at 0-based position `chars` (or the end of the text).
fn byte_offset(text: &str, chars: usize) -> usize {
    if text.is_ascii() {
        return chars.min(text.len());
    }
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(offset, _)| offset)
}

/// Characters `from..to` (0-based, end excluded), clipped to the text.
pub(crate) fn char_slice(text: &str, from: usize, to: usize) -> &str {
    if to <= from {
        return "";
    }
    let start = byte_offset(text, from);
    let end = byte_offset(text, to);
    text.get(start..end).unwrap_or("")
}

/// Number of characters.
pub(crate) fn char_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// A count of characters from a number: NaN or negative is 0, fractions are dropped.
pub(crate) fn to_count(n: f64) -> usize {
    if n.is_nan() || n <= 0.0 {
        0
    } else if n >= usize::MAX as f64 {
        usize::MAX
    } else {
        n as usize
    }
}

/// `substr(text, start, len)`: characters `start .. start+len-1`, 1-based as in EDITS,
/// intersected with the text (a start before 1 eats into the length, as in SQL).
pub(crate) fn substr(text: &str, start: f64, len: Option<f64>) -> &str {
    if start.is_nan() {
        return "";
    }
    let start = start.trunc();
    let end = match len {
        None => f64::INFINITY,
        Some(l) if l.is_nan() || l <= 0.0 => return "",
        Some(l) => start + l.trunc(),
    };
    // 1-based [start, end) -> 0-based, clipped at 0.
    let from = to_count(start - 1.0);
    let to = if end.is_infinite() {
        usize::MAX
    } else {
        to_count(end - 1.0)
    };
    char_slice(text, from, to)
}

/// `right(text, n)`: the last `n` characters.
pub(crate) fn right(text: &str, n: f64) -> &str {
    let n = to_count(n);
    let len = char_len(text);
    char_slice(text, len.saturating_sub(n), len)
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

    #[test]
    fn code_order_puts_numbers_in_numeric_order_and_codes_in_character_order() {
        assert_eq!(code_cmp("9", "10", true), Ordering::Less);
        assert_eq!(code_cmp("007", "7", false), Ordering::Equal);
        assert_eq!(code_cmp("007", "7", true), Ordering::Greater);
        assert_eq!(code_cmp("C509", "C619", true), Ordering::Less);
        assert_eq!(code_cmp("C6", "C50", true), Ordering::Less);
        assert_eq!(code_cmp("", "0", true), Ordering::Less);
        assert_eq!(code_cmp("99", "A", true), Ordering::Less);
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_INLIST (numeric ranges),
    // plus code ranges compared as codes (our extension: GenEDITS needs a substring for these).
    #[test]
    fn lists_match_codes_numeric_ranges_and_code_ranges() {
        let set = CodeSet::from_entries(parse_list("1,10-13,101-111").unwrap());
        assert!(!set.contains("100"));
        assert!(set.contains("101"));
        assert!(set.contains("12"));
        assert!(set.contains("1"));
        assert!(!set.contains(""));
        let set = CodeSet::from_entries(parse_list("C760-C768, C809").unwrap());
        assert!(set.contains("C765"));
        assert!(set.contains("C809"));
        assert!(!set.contains("C769"));
        assert!(!set.contains("C76"));
        assert!(!set.contains("C7600"));
        let set = CodeSet::from_entries(parse_list("1,2,").unwrap());
        assert!(set.contains(""), "an empty entry lets a blank value match");
        assert!(parse_list("10-9").is_err());
        assert!(parse_list("1-2-3").is_err());
        assert!(parse_list("-5").is_err());
    }

    #[test]
    fn numbers_are_read_strictly() {
        assert_eq!(parse_number("012"), Some(12.0));
        assert_eq!(parse_number(" -3 "), Some(-3.0));
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("5."), Some(5.0));
        for bad in [
            "", "  ", ".", "-", "XX.8", "1e3", "12a", "1.2.3", "+-1", "inf", "NaN",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_SUBSTR ("examples from the
    // Genedits documentation").
    #[test]
    fn substr_is_one_based_and_clipped() {
        assert_eq!(substr("Hello World ", 6.0, Some(12.0)), " World ");
        assert_eq!(substr("Hello World ", 1.0, Some(5.0)), "Hello");
        assert_eq!(substr("Hello World ", 5.0, Some(3.0)), "o W");
        assert_eq!(substr("80003", 1.0, Some(4.0)), "8000");
        assert_eq!(substr("8", 1.0, Some(4.0)), "8");
        assert_eq!(substr("abc", 0.0, Some(2.0)), "a");
        assert_eq!(substr("abc", 4.0, Some(2.0)), "");
        assert_eq!(substr("abc", 2.0, None), "bc");
        assert_eq!(substr("abc", f64::NAN, None), "");
        assert_eq!(substr("abc", 1.0, Some(-1.0)), "");
        assert_eq!(substr("äbc", 2.0, Some(1.0)), "b");
        assert_eq!(right("C509", 3.0), "509");
        assert_eq!(right("C5", 3.0), "C5");
        assert_eq!(right("äb", 1.0), "b");
    }
}
