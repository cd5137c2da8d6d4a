//! Edit definitions as written in edit files (TOML): what an edit is called, where it comes
//! from, what it checks and how it is tested. Parsing only: compiling the expressions against a
//! dictionary and tables is the engine's work ([`super::engine`]).
//!
//! An edit file holds `[[edit]]` tables; a set file holds `[set.NAME]` tables. Expressions are
//! best written as TOML *literal* strings (`'...'` or `'''...'''`), which have no escapes, so that
//! an error in an expression is reported at its exact line and column in the file.
//!
//! ```toml
//! [[edit]]
//! id = "IF39"
//! name = "Primary Site, Behavior Code ICDO3 (SEER IF39)"
//! tag = "IF39"
//! agency = "SEER"
//! source = "NAACCR item 2071 (Over-ride Site/Behavior); CCR IF327"
//! level = "tumor"                       # or "patient"
//! severity = "error"                    # or "warning"
//! sets = ["abstracting", "central-submission"]
//! depends = ["valid:primarySite", "valid:behaviorCodeIcdO3"]
//! overrides = [{ item = "overRideSiteBehavior", values = ["1"] }]
//! skip = 'empty(behaviorCodeIcdO3)'
//! condition = '''
//!   not (behaviorCodeIcdO3 = "2"
//!        and inlist(primarySite, "C269,C399,C559,C579,C639,C689,C729,C759,C760-C768,C809"))
//! '''
//! message = "Behavior {behaviorCodeIcdO3} (in situ) is not allowed with primary site {primarySite}"
//!
//! [[edit.test]]
//! expect = "pass"
//! tumor = { primarySite = "C504", histologicTypeIcdO3 = "8500", behaviorCodeIcdO3 = "2" }
//!
//! [[edit.test]]
//! expect = "fail"
//! tumor = { primarySite = "C809", histologicTypeIcdO3 = "8010", behaviorCodeIcdO3 = "2" }
//! message = "Behavior 2 (in situ) is not allowed with primary site C809"
//! ```

use super::lang::{EditLevel, Origin};
use serde::Deserialize;
use std::collections::BTreeMap;
use thiserror::Error;
use toml::Spanned;

/// How serious a failure is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; does not stop a submission.
    Warning,
    /// Must be fixed (or overridden) before the record is accepted.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Text with the place in its file where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The text.
    pub text: String,
    /// Line and column of its first character in the file.
    pub origin: Origin,
}

/// An over-ride flag: when the item holds one of the values, the edit is not checked (the
/// registrar has reviewed the case and confirmed it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The over-ride item (`overRideSiteType`).
    pub item: String,
    /// The values that switch the edit off (`["1"]`).
    pub values: Vec<String>,
}

/// What a test case expects of its edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The condition holds.
    Pass,
    /// The condition does not hold: the edit reports its message.
    Fail,
    /// The skip condition holds (or an edit it depends on failed or was skipped).
    Skip,
    /// An over-ride flag switches the edit off.
    Overridden,
}

/// An example record of an edit's test: the patient's items and its tumors' items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditTest {
    /// The expected outcome (for the first tumor, in a tumor-level edit).
    pub expect: Expect,
    /// Patient items.
    pub patient: BTreeMap<String, String>,
    /// Tumors' items.
    pub tumors: Vec<BTreeMap<String, String>>,
    /// The message expected when it fails.
    pub message: Option<String>,
    /// The first tumor carries a confirmation of the edit (a confirmable edit's over-ride).
    pub confirmed: bool,
    /// Where the test starts in its file.
    pub line: usize,
}

/// One edit as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditDef {
    /// Unique id (across every edit file).
    pub id: String,
    /// The standard's name of the edit.
    pub name: String,
    /// The standard's tag (`IF25`), if it has one.
    pub tag: Option<String>,
    /// The agency that defines it (NAACCR, SEER, CoC, NPCR, IARC, or the registry's own).
    pub agency: Option<String>,
    /// Where the logic comes from (publication, item page).
    pub source: Option<String>,
    /// Tumor or patient.
    pub level: EditLevel,
    /// Error or warning.
    pub severity: Severity,
    /// Edit sets it belongs to.
    pub sets: Vec<String>,
    /// Edits that must pass first (ids; `valid:<naaccrId>` names an item's validity check).
    pub depends: Vec<String>,
    /// Over-ride flags that switch it off.
    pub overrides: Vec<Override>,
    /// When true, the edit is not checked.
    pub skip: Option<Located>,
    /// True when the record passes.
    pub condition: Located,
    /// The message, with `{naaccrId}` placeholders for item values.
    pub message: Located,
    /// Items it concerns besides those its expressions read.
    pub items: Vec<String>,
    /// Example records with their expected outcome.
    pub tests: Vec<EditTest>,
    /// The NAACCR versions it applies to (`["240", "250"]`); empty: every version.
    pub versions: Vec<String>,
    /// A failure may be confirmed for one tumor by a person giving a reason (IARC's "rare"
    /// combinations, which no over-ride item covers); a confirmed failure is reported as
    /// overridden. Tumor-level edits only.
    pub confirmable: bool,
    /// The file it was read from.
    pub file: String,
    /// Its line in the file.
    pub line: usize,
}

/// A named selection of edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDef {
    /// Its name (`abstracting`).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether a save through the API is refused when an error-level edit of the set fails.
    pub blocks_save: bool,
    /// Whether every item's single-field validity checks (`valid:<naaccrId>`) belong to it.
    pub validity: bool,
}

/// A problem in an edit or set file, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}, line {line}, column {column}: {message}")]
pub struct DefinitionError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Stable code (`edit_file_syntax`, `duplicate_edit`, `unknown_set`, ...).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The edit concerned.
    pub edit: Option<String>,
}

/// Line and column (1-based, columns in characters) of byte `offset` of `text`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Where the value of a TOML string whose token spans `span` starts: after its quotes, and
/// after the newline that TOML trims right after the opening `'''` / `"""`.
fn string_origin(text: &str, span: std::ops::Range<usize>) -> Origin {
    let token = text.get(span.clone()).unwrap_or_default();
    let quote = if token.starts_with("'''") || token.starts_with("\"\"\"") {
        let rest = token.get(3..).unwrap_or_default();
        3 + if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with('\n') {
            1
        } else {
            0
        }
    } else if token.starts_with('\'') || token.starts_with('"') {
        1
    } else {
        0
    };
    let (line, column) = position(text, span.start + quote);
    Origin { line, column }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    edit: Vec<Spanned<RawEdit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdit {
    id: String,
    name: String,
    tag: Option<String>,
    agency: Option<String>,
    source: Option<String>,
    #[serde(default)]
    level: RawLevel,
    severity: Severity,
    #[serde(default)]
    sets: Vec<String>,
    #[serde(default)]
    depends: Vec<String>,
    #[serde(default)]
    overrides: Vec<Override>,
    skip: Option<Spanned<String>>,
    condition: Spanned<String>,
    message: Spanned<String>,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    test: Vec<Spanned<RawTest>>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    confirmable: bool,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawLevel {
    #[default]
    Tumor,
    Patient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    expect: Expect,
    #[serde(default)]
    patient: BTreeMap<String, String>,
    tumor: Option<BTreeMap<String, String>>,
    #[serde(default)]
    tumors: Vec<BTreeMap<String, String>>,
    message: Option<String>,
    #[serde(default)]
    confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSets {
    #[serde(default)]
    set: BTreeMap<String, RawSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    description: String,
    #[serde(default)]
    blocks_save: bool,
    #[serde(default)]
    validity: bool,
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> DefinitionError {
    let (line, column) = e.span().map_or((1, 1), |s| position(text, s.start));
    DefinitionError {
        file: file.to_owned(),
        line,
        column,
        code: "edit_file_syntax",
        message: e.message().to_owned(),
        edit: None,
    }
}

/// Reads the edits of one edit file (`file` names it in errors).
pub fn parse_edit_file(file: &str, text: &str) -> Result<Vec<EditDef>, DefinitionError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let mut edits = Vec::with_capacity(raw.edit.len());
    for spanned in raw.edit {
        let (line, _) = position(text, spanned.span().start);
        let e = spanned.into_inner();
        let located = |s: Spanned<String>| Located {
            origin: string_origin(text, s.span()),
            text: s.into_inner(),
        };
        let mut tests = Vec::with_capacity(e.test.len());
        for t in e.test {
            let (test_line, column) = position(text, t.span().start);
            let t = t.into_inner();
            if t.tumor.is_some() && !t.tumors.is_empty() {
                return Err(DefinitionError {
                    file: file.to_owned(),
                    line: test_line,
                    column,
                    code: "edit_test_shape",
                    message: "give either `tumor` or `tumors`, not both".into(),
                    edit: Some(e.id.clone()),
                });
            }
            tests.push(EditTest {
                expect: t.expect,
                patient: t.patient,
                tumors: t.tumor.map_or(t.tumors, |one| vec![one]),
                message: t.message,
                confirmed: t.confirmed,
                line: test_line,
            });
        }
        edits.push(EditDef {
            id: e.id,
            name: e.name,
            tag: e.tag,
            agency: e.agency,
            source: e.source,
            level: match e.level {
                RawLevel::Tumor => EditLevel::Tumor,
                RawLevel::Patient => EditLevel::Patient,
            },
            severity: e.severity,
            sets: e.sets,
            depends: e.depends,
            overrides: e.overrides,
            skip: e.skip.map(located),
            condition: located(e.condition),
            message: located(e.message),
            items: e.items,
            tests,
            versions: e.versions,
            confirmable: e.confirmable,
            file: file.to_owned(),
            line,
        });
    }
    Ok(edits)
}

/// Reads the sets of a set file.
pub fn parse_set_file(file: &str, text: &str) -> Result<Vec<SetDef>, DefinitionError> {
    let raw: RawSets = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    Ok(raw
        .set
        .into_iter()
        .map(|(name, s)| SetDef {
            name,
            description: s.description,
            blocks_save: s.blocks_save,
            validity: s.validity,
        })
        .collect())
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

    const FILE: &str = r#"# two edits
[[edit]]
id = "X1"
name = "Example one"
severity = "error"
sets = ["abstracting"]
condition = '''
  primarySite <> "C809"'''
message = "Site {primarySite}"

[[edit.test]]
expect = "fail"
tumor = { primarySite = "C809" }
message = "Site C809"

[[edit]]
id = "X2"
name = "Example two"
level = "patient"
severity = "warning"
overrides = [{ item = "overRideSiteType", values = ["1"] }]
condition = 'count(t in tumors: true) < 5'
message = "Too many"
"#;

    #[test]
    fn edits_are_read_with_the_places_of_their_expressions() {
        let edits = parse_edit_file("x.toml", FILE).unwrap();
        assert_eq!(edits.len(), 2);
        let one = &edits[0];
        assert_eq!((one.id.as_str(), one.line), ("X1", 2));
        assert_eq!(one.level, EditLevel::Tumor);
        // The condition's text starts on the line after `'''`, at column 1.
        assert_eq!(one.condition.origin, Origin { line: 8, column: 1 });
        assert_eq!(one.condition.text, "  primarySite <> \"C809\"");
        assert_eq!(
            one.message.origin,
            Origin {
                line: 9,
                column: 12
            }
        );
        assert_eq!(one.tests.len(), 1);
        assert_eq!(one.tests[0].expect, Expect::Fail);
        assert_eq!(one.tests[0].tumors[0]["primarySite"], "C809");
        let two = &edits[1];
        assert_eq!(two.level, EditLevel::Patient);
        assert_eq!(two.severity, Severity::Warning);
        assert_eq!(
            two.condition.origin,
            Origin {
                line: 22,
                column: 14
            }
        );
        assert_eq!(two.overrides[0].item, "overRideSiteType");
    }

    #[test]
    fn a_typo_in_a_field_name_is_reported_at_its_line() {
        let text = "[[edit]]\nid = \"X\"\nname = \"n\"\nseverity = \"error\"\ncondtion = 'true'\ncondition = 'true'\nmessage = \"m\"\n";
        let e = parse_edit_file("bad.toml", text).unwrap_err();
        assert_eq!(e.code, "edit_file_syntax");
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.contains("condtion"), "{e}");
    }

    #[test]
    fn a_bad_severity_is_refused() {
        let text = "[[edit]]\nid = \"X\"\nname = \"n\"\nseverity = \"fatal\"\ncondition = 'true'\nmessage = \"m\"\n";
        let e = parse_edit_file("bad.toml", text).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn sets_are_read() {
        let text = "[set.abstracting]\ndescription = \"as registrars abstract\"\nvalidity = true\n\n[set.central-submission]\ndescription = \"to the state\"\nblocks_save = true\n";
        let sets = parse_set_file("sets.toml", text).unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].name, "abstracting");
        assert!(sets[0].validity && !sets[0].blocks_save);
        assert!(sets[1].blocks_save);
    }
}
