//! Code tables for edits: built from CSV text (the loader reads the files elsewhere), with
//! indexes built once per combination of key columns and shared by every edit that uses it.
//!
//! A key is matched column by column, after trimming blanks around the value (GenEDITS'
//! LOOKUP right-trims the value; cells are trimmed when the table is read). Three kinds of key
//! column, chosen by the query (see the language reference, `intable` / `lookup`):
//! - exact: the cell equals the value — a hash index;
//! - a code-list cell (`C000-C006,C008-C009`, as in the SEER site/histology validation list):
//!   the value is one of its codes or lies in one of its ranges;
//! - two columns bounding a range (`lo`, `hi`).
//!
//! Ranges use the code order of the language (numbers numerically, codes of the same width
//! character by character). Range keys are indexed as intervals sorted by their low end with a
//! running maximum of their high ends, so a lookup is a binary search plus a short backward scan
//! that stays correct when ranges overlap.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use crate::core::edits::lang::codes::{code_cmp, in_range, range_entries};
use crate::core::problem::Problem;

/// Why CSV text is not a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// No header line.
    #[error("the table has no header line")]
    NoHeader,
    /// A header cell is empty.
    #[error("column {column} of the header has no name")]
    EmptyColumnName {
        /// 1-based column number.
        column: usize,
    },
    /// Two header cells have the same name.
    #[error("the header names column '{name}' twice")]
    DuplicateColumn {
        /// The name.
        name: String,
    },
    /// A row with a different number of cells than the header.
    #[error("line {line} has {found} cells, the header has {expected}")]
    RaggedRow {
        /// 1-based line where the row starts.
        line: usize,
        /// Cells in the header.
        expected: usize,
        /// Cells in the row.
        found: usize,
    },
    /// A quoted cell without its closing quote.
    #[error("the quoted cell starting on line {line} is not closed")]
    UnterminatedQuote {
        /// 1-based line of the opening quote.
        line: usize,
    },
}

impl TableError {
    /// A stable snake_case code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoHeader => "table_no_header",
            Self::EmptyColumnName { .. } => "table_empty_column_name",
            Self::DuplicateColumn { .. } => "table_duplicate_column",
            Self::RaggedRow { .. } => "table_ragged_row",
            Self::UnterminatedQuote { .. } => "table_unterminated_quote",
        }
    }

    /// The error as a shared [`Problem`], with its line when it has one.
    pub fn to_problem(&self) -> Problem {
        let mut problem = Problem::new(self.code(), self.to_string());
        problem.line = match self {
            Self::RaggedRow { line, .. } | Self::UnterminatedQuote { line } => {
                u64::try_from(*line).ok()
            }
            _ => None,
        };
        problem
    }
}

/// Splits CSV text (RFC 4180: `,` separators, `"` quotes with `""` inside, CRLF, LF or CR line
/// ends) into records, each with the 1-based line it starts on. Blank lines are skipped.
fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, TableError> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut in_quotes = false;
    let mut quote_line = 0;
    let mut field_started_quoted = false;
    let mut chars = text.chars().peekable();
    let finish_record =
        |record: &mut Vec<String>, field: &mut String, records: &mut Vec<_>, at: usize| {
            record.push(std::mem::take(field));
            let blank = record.len() == 1 && record.first().is_some_and(|f| f.trim().is_empty());
            let done = std::mem::take(record);
            if !blank {
                records.push((at, done));
            }
        };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !field_started_quoted => {
                field.clear();
                in_quotes = true;
                field_started_quoted = true;
                quote_line = line;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started_quoted = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                finish_record(&mut record, &mut field, &mut records, record_line);
                field_started_quoted = false;
                line += 1;
                record_line = line;
            }
            other => field.push(other),
        }
    }
    if in_quotes {
        return Err(TableError::UnterminatedQuote { line: quote_line });
    }
    if !field.is_empty() || !record.is_empty() {
        finish_record(&mut record, &mut field, &mut records, record_line);
    }
    Ok(records)
}

/// A code table: named columns and rows of trimmed text cells.
pub struct Table {
    name: String,
    columns: Vec<String>,
    cells: Vec<Box<str>>,
    rows: usize,
    indexes: Mutex<HashMap<Vec<KeyPart>, Arc<KeyIndex>>>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// Reads a table from CSV text whose first line names the columns.
    pub fn from_csv(name: &str, text: &str) -> Result<Self, TableError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = parse_csv(text)?.into_iter();
        let (_, header) = records.next().ok_or(TableError::NoHeader)?;
        let columns: Vec<String> = header.iter().map(|c| c.trim().to_owned()).collect();
        for (i, column) in columns.iter().enumerate() {
            if column.is_empty() {
                return Err(TableError::EmptyColumnName { column: i + 1 });
            }
            if columns.iter().take(i).any(|c| c == column) {
                return Err(TableError::DuplicateColumn {
                    name: column.clone(),
                });
            }
        }
        let mut cells = Vec::new();
        let mut rows = 0;
        for (line, record) in records {
            if record.len() != columns.len() {
                return Err(TableError::RaggedRow {
                    line,
                    expected: columns.len(),
                    found: record.len(),
                });
            }
            cells.extend(record.iter().map(|c| c.trim().into()));
            rows += 1;
        }
        Ok(Self {
            name: name.to_owned(),
            columns,
            cells,
            rows,
            indexes: Mutex::new(HashMap::new()),
        })
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The position of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The number of rows (the header excluded).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The cell at `row`, `column` (0-based).
    pub fn cell(&self, row: usize, column: usize) -> Option<&str> {
        if column >= self.columns.len() {
            return None;
        }
        let index = row
            .checked_mul(self.columns.len())
            .and_then(|start| start.checked_add(column))?;
        self.cells.get(index).map(|c| &**c)
    }

    /// The index for these key columns, built on first use and shared afterwards.
    pub fn key_index(&self, parts: &[KeyPart]) -> Arc<KeyIndex> {
        let mut cache = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(parts.to_vec())
            .or_insert_with(|| Arc::new(KeyIndex::build(self, parts)))
            .clone()
    }
}

/// The code tables known to the compiler, by name.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    tables: HashMap<String, Arc<Table>>,
}

impl Tables {
    /// No tables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a table under its name; returns the table it replaces.
    pub fn insert(&mut self, table: Table) -> Option<Arc<Table>> {
        self.tables.insert(table.name.clone(), Arc::new(table))
    }

    /// The table called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(name)
    }

    /// The table names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tables.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// How one key column is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPart {
    /// The cell of this column equals the value.
    Exact(usize),
    /// The cell of this column is a code list with ranges containing the value.
    Ranges(usize),
    /// The cells of these two columns are the low and high ends of a range containing the value.
    Bounds(usize, usize),
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a over the parts, each followed by a byte that cannot occur in UTF-8 text.
fn hash_key<'a>(parts: impl Iterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// One range of a range key, pointing at its row.
#[derive(Debug)]
struct Interval {
    lo: Box<str>,
    hi: Box<str>,
    row: usize,
}

/// The rows sharing one exact key: in file order, or as sorted intervals of the range key.
#[derive(Debug, Default)]
struct Bucket {
    rows: Vec<usize>,
    intervals: Vec<Interval>,
    /// For each interval, the position of the interval with the highest high end up to it.
    running_max: Vec<usize>,
}

/// An index of a table for one combination of key columns.
pub struct KeyIndex {
    parts: Vec<KeyPart>,
    /// (key position, column) of the exact parts.
    exact: Vec<(usize, usize)>,
    /// Key position of the range part used for the interval index.
    ranged: Option<usize>,
    buckets: HashMap<u64, Bucket, BuildHasherDefault<Prehashed>>,
}

impl fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyIndex")
            .field("parts", &self.parts)
            .field("buckets", &self.buckets.len())
            .finish_non_exhaustive()
    }
}

impl KeyIndex {
    fn build(table: &Table, parts: &[KeyPart]) -> Self {
        let exact: Vec<(usize, usize)> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                KeyPart::Exact(c) => Some((i, *c)),
                _ => None,
            })
            .collect();
        let ranged = parts.iter().position(|p| !matches!(p, KeyPart::Exact(_)));
        let mut buckets: HashMap<u64, Bucket, BuildHasherDefault<Prehashed>> = HashMap::default();
        for row in 0..table.len() {
            let cell = |c: usize| table.cell(row, c).unwrap_or("");
            let key = hash_key(exact.iter().map(|&(_, c)| cell(c)));
            let bucket = buckets.entry(key).or_default();
            match ranged.and_then(|i| parts.get(i)) {
                Some(KeyPart::Ranges(c)) => {
                    for (lo, hi) in range_entries(cell(*c)) {
                        bucket.intervals.push(Interval {
                            lo: lo.into(),
                            hi: hi.into(),
                            row,
                        });
                    }
                }
                Some(KeyPart::Bounds(lo, hi)) => {
                    let (lo, hi) = (cell(*lo), cell(*hi));
                    if !lo.is_empty() && !hi.is_empty() && code_cmp(lo, hi, false).is_le() {
                        bucket.intervals.push(Interval {
                            lo: lo.into(),
                            hi: hi.into(),
                            row,
                        });
                    }
                }
                _ => bucket.rows.push(row),
            }
        }
        for bucket in buckets.values_mut() {
            bucket
                .intervals
                .sort_by(|a, b| code_cmp(&a.lo, &b.lo, false).then(a.row.cmp(&b.row)));
            let mut best = 0;
            for (i, interval) in bucket.intervals.iter().enumerate() {
                let current_best = bucket.intervals.get(best).map_or("", |b| &b.hi);
                if i == 0 || code_cmp(&interval.hi, current_best, false).is_gt() {
                    best = i;
                }
                bucket.running_max.push(best);
            }
        }
        Self {
            parts: parts.to_vec(),
            exact,
            ranged,
            buckets,
        }
    }

    /// True when some row matches the keys (one value per key part, in order).
    pub fn any_match(&self, table: &Table, keys: &[&str]) -> bool {
        self.scan(table, keys, true).is_some()
    }

    /// The first row (in file order) that matches the keys.
    pub fn first_match(&self, table: &Table, keys: &[&str]) -> Option<usize> {
        self.scan(table, keys, false)
    }

    /// Checks a candidate row against every key part except the indexed range part.
    fn row_matches<'k>(&self, table: &Table, row: usize, key: &impl Fn(usize) -> &'k str) -> bool {
        self.parts.iter().enumerate().all(|(i, part)| {
            let cell = |c: usize| table.cell(row, c).unwrap_or("");
            match part {
                KeyPart::Exact(c) => cell(*c) == key(i),
                _ if Some(i) == self.ranged => true,
                KeyPart::Ranges(c) => {
                    range_entries(cell(*c)).any(|(lo, hi)| in_range(key(i), lo, hi))
                }
                KeyPart::Bounds(lo, hi) => in_range(key(i), cell(*lo), cell(*hi)),
            }
        })
    }

    fn scan(&self, table: &Table, keys: &[&str], stop_at_first: bool) -> Option<usize> {
        if keys.len() != self.parts.len() {
            return None;
        }
        let key = |i: usize| keys.get(i).map_or("", |k| k.trim());
        let hash = hash_key(self.exact.iter().map(|&(i, _)| key(i)));
        let bucket = self.buckets.get(&hash)?;
        let Some(position) = self.ranged else {
            return bucket
                .rows
                .iter()
                .copied()
                .find(|&row| self.row_matches(table, row, &key));
        };
        let value = key(position);
        if value.is_empty() {
            return None;
        }
        let end = bucket
            .intervals
            .partition_point(|iv| code_cmp(&iv.lo, value, false) != Ordering::Greater);
        let mut best: Option<usize> = None;
        for i in (0..end).rev() {
            let highest = bucket
                .running_max
                .get(i)
                .and_then(|&m| bucket.intervals.get(m))?;
            if code_cmp(&highest.hi, value, false).is_lt() {
                break;
            }
            let interval = bucket.intervals.get(i)?;
            if code_cmp(value, &interval.hi, false).is_le()
                && self.row_matches(table, interval.row, &key)
            {
                if stop_at_first {
                    return Some(interval.row);
                }
                best = Some(best.map_or(interval.row, |b| b.min(interval.row)));
            }
        }
        best
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

    #[test]
    fn csv_with_quotes_crlf_cr_and_blank_lines() {
        let t = Table::from_csv(
            "t",
            "\u{feff}code, label\r\n8000,\"Neoplasm, \"\"benign\"\"\"\r\n\r\n8001 ,\"two\nlines\"\r9999,x",
        )
        .unwrap();
        assert_eq!(t.columns(), ["code", "label"]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.cell(0, 1), Some("Neoplasm, \"benign\""));
        assert_eq!(t.cell(1, 0), Some("8001"));
        assert_eq!(t.cell(1, 1), Some("two\nlines"));
        assert_eq!(t.cell(2, 1), Some("x"));
        assert_eq!(t.cell(2, 2), None);
        assert_eq!(t.cell(3, 0), None);
        assert_eq!(t.cell(usize::MAX, 1), None);
    }

    #[test]
    fn malformed_tables_are_refused_with_lines() {
        assert_eq!(Table::from_csv("t", "").unwrap_err(), TableError::NoHeader);
        assert_eq!(
            Table::from_csv("t", "a,,b").unwrap_err(),
            TableError::EmptyColumnName { column: 2 }
        );
        assert_eq!(
            Table::from_csv("t", "a,a").unwrap_err(),
            TableError::DuplicateColumn { name: "a".into() }
        );
        assert_eq!(
            Table::from_csv("t", "a,b\n1,2\n\n3").unwrap_err(),
            TableError::RaggedRow {
                line: 4,
                expected: 2,
                found: 1
            }
        );
        let err = Table::from_csv("t", "a\n\"open").unwrap_err();
        assert_eq!(err, TableError::UnterminatedQuote { line: 2 });
        assert_eq!(err.to_problem().line, Some(2));
    }

    #[test]
    fn exact_multi_column_and_first_row_lookups() {
        let t = Table::from_csv(
            "t",
            "site,hist,group\nC509,8500,A\nC509,8520,B\nC619,8140,C\nC509,8500,D",
        )
        .unwrap();
        let one = t.key_index(&[KeyPart::Exact(0)]);
        assert!(one.any_match(&t, &["C619"]));
        assert!(one.any_match(&t, &[" C619 "]), "the value is trimmed");
        assert!(!one.any_match(&t, &["C610"]));
        let two = t.key_index(&[KeyPart::Exact(0), KeyPart::Exact(1)]);
        assert_eq!(two.first_match(&t, &["C509", "8500"]), Some(0));
        assert_eq!(two.first_match(&t, &["C509", "8520"]), Some(1));
        assert_eq!(two.first_match(&t, &["C509", "8140"]), None);
        assert_eq!(two.first_match(&t, &["C509"]), None, "wrong key count");
        assert!(Arc::ptr_eq(
            &two,
            &t.key_index(&[KeyPart::Exact(0), KeyPart::Exact(1)])
        ));
    }

    #[test]
    fn code_list_cells_and_bound_columns() {
        let t = Table::from_csv(
            "seer",
            "sites,histBeh\n\"C000-C006,C008-C009\",8000/3\n\"C180,C182-C189\",8140/3\nC000-C009,8140/3\nC150-C159,8140/3",
        )
        .unwrap();
        let idx = t.key_index(&[KeyPart::Ranges(0), KeyPart::Exact(1)]);
        assert!(idx.any_match(&t, &["C005", "8000/3"]));
        assert!(!idx.any_match(&t, &["C007", "8000/3"]));
        assert!(idx.any_match(&t, &["C008", "8000/3"]));
        assert_eq!(idx.first_match(&t, &["C183", "8140/3"]), Some(1));
        assert_eq!(idx.first_match(&t, &["C007", "8140/3"]), Some(2));
        assert_eq!(idx.first_match(&t, &["C155", "8140/3"]), Some(3));
        assert!(!idx.any_match(&t, &["C181", "8140/3"]));
        assert!(!idx.any_match(&t, &["", "8140/3"]));

        let b = Table::from_csv(
            "ages",
            "lo,hi,group\n000,014,child\n015,039,young\n040,120,adult\n010,020,overlap",
        )
        .unwrap();
        let idx = b.key_index(&[KeyPart::Bounds(0, 1)]);
        assert_eq!(idx.first_match(&b, &["007"]), Some(0));
        assert_eq!(
            idx.first_match(&b, &["012"]),
            Some(0),
            "first row of two overlapping"
        );
        assert_eq!(idx.first_match(&b, &["018"]), Some(1));
        assert_eq!(
            idx.first_match(&b, &["99"]),
            Some(2),
            "numbers compare as numbers"
        );
        assert_eq!(idx.first_match(&b, &["121"]), None);
        assert_eq!(idx.first_match(&b, &["abc"]), None);
    }

    #[test]
    fn overlapping_ranges_are_all_found() {
        // A wide range early in sort order must still be found past narrower ones.
        let t = Table::from_csv("t", "r\nC000-C999\nC100-C101\nC200-C201\nC300-C301").unwrap();
        let idx = t.key_index(&[KeyPart::Ranges(0)]);
        assert_eq!(idx.first_match(&t, &["C500"]), Some(0));
        assert_eq!(idx.first_match(&t, &["C300"]), Some(0));
        let t = Table::from_csv("t", "r\nC300-C301\nC000-C999").unwrap();
        let idx = t.key_index(&[KeyPart::Ranges(0)]);
        assert_eq!(
            idx.first_match(&t, &["C300"]),
            Some(0),
            "first in file order"
        );
    }
}
