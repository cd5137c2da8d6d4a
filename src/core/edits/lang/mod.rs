//! The edit language: one expression per edit, TRUE when the record passes.
//!
//! Why it exists: registries check their abstracts with thousands of data-quality edits
//! (NAACCR EDITS/GenEDITS metafiles, SEER and IARC checks). We keep edits as data files written
//! in this small, statically typed language, compiled once and evaluated millions of times.
//! What it must not do: read files, the clock or anything outside the record and the tables it
//! is given; panic on any input; re-parse anything per record.
//!
//! API: [`compile`] (with [`Mode::Condition`] or [`Mode::Expression`]) turns text into a
//! [`Compiled`] expression, resolving item ids through an [`ItemResolver`] and tables through
//! [`Tables`](crate::core::edits::table::Tables); [`Compiled::passes`] / [`Compiled::eval`] run
//! it over a [`RecordView`] with an [`EvalEnv`] that carries today's date.
//!
//! # Language reference (for registry staff writing edits)
//!
//! ## Values and types
//! Every expression has one of three types, checked before any record is read:
//! **text**, **number** and **true/false**. An edit condition must be true/false; the record
//! passes when it is true. Mistakes are reported with line and column, e.g.
//! `primarySite + 1` ("'+' computes with numbers, not text") or `ageAtDiagnosis > 60`
//! ("compares text with a number: write num(...)").
//!
//! - **Items** are written by their NAACCR XML id: `primarySite`, `dateOfDiagnosis`,
//!   `histologicTypeIcdO3`. An item's value is always text, exactly as recorded (no padding);
//!   an item that is not recorded is the empty text `""`. In a tumor-level edit an id reads the
//!   current tumor, or the patient when it is a patient item. Unknown ids are compile errors.
//! - **Literals**: `"C509"` (with `\"` and `\\` escapes), `60`, `1.5`, `true`, `false`.
//! - **Constants**: `DT_EMPTY`, `DT_ERROR`, `DT_UNKNOWN`, `DT_MONTH_EMPTY`, `DT_DAY_EMPTY`,
//!   `DT_VALID`, `DT_MISSING`, `DT_MIN`, `DT_MAX`, `DT_EXACT` (see Dates).
//! - **Comments**: `//` to the end of the line. Expressions may span several lines.
//! - Keywords and function names are case-insensitive (`AND`, `Substr`); item ids are not.
//!
//! ## Operators (lowest precedence first)
//! | operators | meaning |
//! |---|---|
//! | `if c then a else b` | `a` when `c` is true, else `b`; without `else` (true/false only) the missing branch is `true`: `if sex = "1" then site not in "C510".."C589"` |
//! | `or` `\|\|` | either (evaluated left to right, stops early) |
//! | `and` `&&` | both |
//! | `not` `!` | negation |
//! | `=` `<>` `!=` `<` `<=` `>` `>=`, `in`, `not in` | comparisons (not chainable: write `a < b and b < c`) |
//! | `&` | joins text: `histologicTypeIcdO3 & "/" & behaviorCodeIcdO3` |
//! | `+` `-` | numbers |
//! | `*` `/` `%` | numbers (`/` is exact division, `%` the remainder) |
//! | `-x` | negation |
//!
//! **Text comparisons.** `=` and `<>` compare exactly. The order used by `<`, `<=`, `>`, `>=`,
//! ranges and `between` is the *code order*: two texts made only of digits compare as numbers
//! (`"9" < "10"`); other texts compare shorter first, then character by character, which for
//! fixed-width registry codes is the ordinary order (`"C500" < "C509"`); digit-only text comes
//! before other text; empty text comes first and is never inside a range.
//!
//! **Numbers and missing numbers.** Item values are text; `num(x)` reads one as a number
//! (blanks around it ignored; sign, digits, optional decimals). When the text is blank or not
//! a number (`"XX.8"`), or on division by zero, the number is *missing*: arithmetic with it
//! stays missing and **every comparison with it is false, including `<>`** (so
//! `num(x) <> 5` is false for a blank `x`, while `not (num(x) = 5)` is true). Test with
//! `isnum(x)`. Unlike GenEDITS' VAL, `num("12a")` is missing, not 12.
//!
//! **Lists and ranges.** `x in ("1", "2", "4")`, `x in "C760".."C768"`,
//! `x in ("C500".."C509", "C809")`, `x not in (...)` (= `not (x in (...))`). Elements have the
//! type of `x`; text elements match exactly, text ranges use the code order (inclusive).
//!
//! ## Functions
//! Text: `substr(x, start, len)` (1-based, clipped; `len` optional = to the end),
//! `left(x, n)`, `right(x, n)`, `trim(x)`, `ltrim(x)`, `rtrim(x)` (blanks), `upper(x)`,
//! `lower(x)`, `concat(a, b, ...)`, `lookup(...)` (see Tables).
//!
//! Numbers: `num(x)`, `len(x)` (characters), `abs(n)`, `floor(n)`, `min(a, ...)`,
//! `max(a, ...)`, `count(t in tumors: cond)`, the date functions below.
//!
//! True/false:
//! - `empty(x)`: blank (empty or only blanks); `present(x)` = `not empty(x)`; `isnum(x)`.
//! - `inlist(x, "1,10-13,C760-C768")`: GenEDITS INLIST. The value is trimmed; entries are
//!   codes or `LOW-HIGH` ranges (code order: `"100"` is not in `10-13`); a blank value matches
//!   only when the list has an empty entry (`"1,2,"`). The list must be a literal. Where we
//!   differ from GenEDITS: a range of codes with letters (`C760-C768`) works directly
//!   (GenEDITS compares only leading digits, so edits there cut the letter off with substr),
//!   and a value with letters is never in a numeric range (GenEDITS: `"2A"` is in `1-3`).
//! - `between(x, lo, hi)`: inclusive, for text (code order) or numbers.
//! - `match(x, "picture")`: an EDITS picture, see [`picture`]: `d` digit, `a` letter, `x`
//!   letter or digit, `u`/`l` upper/lower case, `b` blank, `@` non-blank, `?` any, `c1:c2`
//!   character range, `!c` the character c, `{p1,p2}`/`[p1,p2]` alternatives, `*` `+`
//!   repetition, top-level `,` alternatives; trailing blanks of the value are not significant.
//!   `match(phone, "ddd!-dddd")`, `match(site, "C{341:9,50d}")`.
//! - `validdate(x)`, `validdate(x, years)`: a valid date (below), optionally up to `years`
//!   years after today.
//! - `intable(...)` (see Tables); `any`, `all`, `pairs` (see Patients and tumors).
//!
//! ## Dates
//! Dates are NAACCR dates `CCYYMMDD`, or partial `CCYYMM` / `CCYY` (trailing blanks of a
//! fixed-width field are ignored). A date is **valid** when it has one of these shapes, a year
//! from 1850, a real calendar day, and does not start after today. Functions follow GenEDITS
//! (facts from imsweb/validation `MetafileContextFunctions` and its GenEDITS-checked tests):
//! - `datecmp(a, b, mode)`: -1, 0 or 1 as `a` is before, equal to, after `b`;
//! - `daydiff(a, b, mode)`: days from `a` to `b` (positive when `b` is later);
//! - `monthdiff(a, b, mode)` = days / 30 truncated; `yeardiff(a, b, mode)` = days / 365 rounded
//!   down;
//! - `age(birth, event[, mode])`: completed years (default mode `"exact"`);
//! - `year(x)`, `month(x)`, `day(x)`.
//!
//! `mode` is `"min"`, `"max"` or `"exact"` (or `DT_MIN`, `DT_MAX`, `DT_EXACT`). A partial date
//! stands for every day of its month or year: **min** gives the result closest to zero the
//! dates allow (`datecmp` 0 and `daydiff` 0 when the periods overlap: `datecmp("201905",
//! "20190601", "min")` is -1, `datecmp("2019", "20190105", "min")` is 0); **max** gives the
//! largest `b - a` (`a` on its first possible day, `b` on its last: `daydiff("20100115",
//! "201004", "max")` is 105); **exact** needs full dates. For `age`, min is the youngest
//! possible age and max the oldest.
//!
//! Instead of a result, these functions return GenEDITS sentinels (large numbers), checked in
//! this order: `DT_EMPTY` (1073741823) when a date is blank, `DT_ERROR` (1879048191) when one
//! is invalid, `DT_UNKNOWN` (2147483647) when mode is exact and a month or day is missing;
//! `month(x)`/`day(x)` return `DT_MONTH_EMPTY` (536870911) / `DT_DAY_EMPTY` (805306367) for a
//! missing part. Because sentinels are large, `datecmp(a, b, "min") < 0` is false (the edit
//! passes) when a date is blank or invalid, but `daydiff(...) > 60` is true: guard with
//! `validdate(...)` or compare with the constants when that matters.
//!
//! ## Tables
//! Code tables are CSV files with a header line, given to the compiler by name; table and
//! column names are checked when the edit is compiled. Keys are compared after trimming blanks.
//! - `intable("sites", primarySite)`: some row's first column equals the value.
//! - `intable("t", "spec", value, "spec", value, ...)`: some row matches every key, where a
//!   spec is `"column"` (equal), `"column:range"` (the cell is a code list such as
//!   `C000-C006,C008-C009` containing the value) or `"low..high"` (two columns bounding the
//!   value): `intable("seer_site_type", "Site recode:range", primarySite,
//!   "Histology/Behavior", histologicTypeIcdO3 & "/" & behaviorCodeIcdO3)`.
//! - `lookup("t", key, "column")`, `lookup("t", "spec", value, ..., "column")`: that column of
//!   the first matching row (in file order), `""` when none.
//!
//! ## Patients and tumors
//! A patient-level edit sees every tumor of the patient through quantifiers; a tumor item is
//! read as `t.itemId` where `t` is the variable (patient items are written bare):
//! - `any(t in tumors: cond)`, `all(t in tumors: cond)`, `count(t in tumors: cond)`;
//! - `pairs(a, b in tumors: cond)`: true when `cond` holds for every unordered pair of two
//!   different tumors (true with fewer than two): "same primary not reported twice" is
//!   `pairs(a, b in tumors: not (a.primarySite = b.primarySite and a.laterality = b.laterality))`.
//!   For an ordered rule write both orders, or nest: `all(a in tumors: all(b in tumors: ...))`.
//!
//! Quantifiers nest (at most four variables at once) and may be used in tumor-level edits too.
//!
//! ## Example (A3 of the standard edits: Date Conclusive DX more than 60 days after diagnosis)
//! ```text
//! empty(dateOfDiagnosis) or empty(dateConclusiveDx)
//!   or daydiff(dateOfDiagnosis, dateConclusiveDx, "max") > 60   // largest gap the dates allow
//! ```

pub(crate) mod ast;
pub(crate) mod check;
pub(crate) mod codes;
pub(crate) mod compile;
pub mod dates;
pub(crate) mod error;
pub(crate) mod eval;
pub(crate) mod functions;
pub(crate) mod lexer;
pub(crate) mod parser;
pub mod picture;

#[cfg(test)]
mod tests;

pub use ast::{Span, Type};
pub use compile::{
    CompileEnv, Compiled, EditLevel, ItemCatalog, ItemInfo, ItemResolver, MAX_VARS, Mode, Slot,
    compile,
};
pub use dates::{
    DT_DAY_EMPTY, DT_EMPTY, DT_ERROR, DT_EXACT, DT_MAX, DT_MIN, DT_MISSING, DT_MONTH_EMPTY,
    DT_UNKNOWN, DT_VALID, DateMode,
};
pub use error::{CompileError, ErrorKind, Origin};
pub use eval::{EvalEnv, RecordView, SlotRecord, Value};
pub use picture::{Picture, PictureError};
