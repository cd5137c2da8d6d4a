//! Tests of the engine over the real NAACCR v26 dictionary: dependencies, over-rides, skips,
//! patient-level edits, messages, and the problems of a broken edit set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::definition::{parse_edit_file, parse_set_file};
use super::engine::{Engine, Outcome, Outcomes, RunCounts};
use super::lang::EvalEnv;
use super::table::{Table, Tables};
use crate::core::naaccr::dictionary::{Dictionary, DictionarySet};
use std::sync::{Arc, OnceLock};

fn dictionary(version: &str) -> Arc<DictionarySet> {
    static SETS: OnceLock<Vec<(String, Arc<DictionarySet>)>> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        ["240", "250", "260"]
            .iter()
            .map(|v| {
                let file = format!("naaccr-dictionary-{v}.xml");
                let path = format!("{}/schemas/dictionaries/{file}", env!("CARGO_MANIFEST_DIR"));
                let text = std::fs::read_to_string(&path).unwrap();
                let base = Dictionary::parse_base(&text, &file).unwrap();
                (
                    (*v).to_owned(),
                    Arc::new(DictionarySet::new(base, vec![]).unwrap()),
                )
            })
            .collect()
    });
    sets.iter().find(|(v, _)| v == version).unwrap().1.clone()
}

const SETS: &str = r#"
[set.abstracting]
description = "checked as registrars abstract"
validity = true

[set.iarc]
description = "IARC/IACR checks"
"#;

const EDITS: &str = r#"
[[edit]]
id = "SITE-BEH"
name = "Primary Site, Behavior Code ICDO3 (SEER IF39)"
severity = "error"
sets = ["abstracting"]
depends = ["valid:primarySite", "valid:behaviorCodeIcdO3"]
overrides = [{ item = "overRideSiteBehavior", values = ["1"] }]
skip = 'empty(behaviorCodeIcdO3)'
condition = '''
  not (behaviorCodeIcdO3 = "2" and inlist(primarySite, "C760-C768,C809"))'''
message = "Behavior {behaviorCodeIcdO3} (in situ) is not allowed with primary site {primarySite}"

[[edit]]
id = "SITE-BEH-NOTE"
name = "depends on SITE-BEH"
severity = "warning"
sets = ["abstracting"]
depends = ["SITE-BEH"]
condition = 'primarySite <> "C809"'
message = "Unknown primary site"

[[edit]]
id = "TWICE"
name = "Same primary not reported twice"
level = "patient"
severity = "error"
sets = ["abstracting", "iarc"]
condition = '''pairs(a, b in tumors: not (a.primarySite = b.primarySite and a.laterality = b.laterality))'''
message = "Two tumors of the same site and laterality"

[[edit]]
id = "SEX-SITE"
name = "Sex, Primary Site"
severity = "error"
sets = ["iarc"]
condition = 'not (sexAssignedAtBirth = "1" and intable("female_sites", substr(primarySite, 1, 3)))'
message = "Site {primarySite} is not possible for sex {sexAssignedAtBirth}"
"#;

fn tables() -> Tables {
    let mut t = Tables::new();
    t.insert(
        Table::from_csv(
            "female_sites",
            "site\nC51\nC52\nC53\nC54\nC55\nC56\nC57\nC58\n",
        )
        .unwrap(),
    );
    t
}

fn engine() -> Engine {
    let edits = parse_edit_file("test.toml", EDITS).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    Engine::build(&edits, &sets, &dictionary("260"), &tables(), true).unwrap()
}

fn today() -> EvalEnv {
    EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
}

/// Failures as (edit, tumor, message).
type Failed = Vec<(String, Option<usize>, String)>;

/// Runs `set` over one patient; returns (failures, outcomes, counts).
fn run(
    engine: &Engine,
    set: &str,
    patient: &[(&str, &str)],
    tumors: &[&[(&str, &str)]],
) -> (Failed, Outcomes, RunCounts) {
    let mut frame = engine.frame();
    engine.load(
        &mut frame,
        patient.iter().copied(),
        tumors.iter().map(|t| t.iter().copied()),
    );
    let selection = engine.select_set(set).unwrap();
    let mut failures = Vec::new();
    let mut counts = RunCounts::default();
    let mut outcomes = Vec::new();
    engine.run(
        &frame,
        &selection,
        &today(),
        &mut failures,
        &mut counts,
        Some(&mut outcomes),
    );
    let failures = failures
        .into_iter()
        .map(|f| (f.edit.to_string(), f.tumor, f.message))
        .collect();
    (failures, outcomes, counts)
}

fn outcome(outcomes: &Outcomes, edit: &str, tumor: Option<usize>) -> Outcome {
    outcomes
        .iter()
        .find(|(e, t, _)| &**e == edit && *t == tumor)
        .map(|(_, _, o)| *o)
        .unwrap_or_else(|| panic!("{edit} not run on {tumor:?}: {outcomes:?}"))
}

#[test]
fn a_failing_edit_reports_its_message_with_the_record_values() {
    let e = engine();
    let (failures, outcomes, _) = run(
        &e,
        "abstracting",
        &[("patientIdNumber", "00000001")],
        &[&[
            ("primarySite", "C809"),
            ("behaviorCodeIcdO3", "2"),
            ("histologicTypeIcdO3", "8010"),
        ]],
    );
    assert_eq!(
        failures,
        [(
            "SITE-BEH".to_owned(),
            Some(0),
            "Behavior 2 (in situ) is not allowed with primary site C809".to_owned()
        )]
    );
    // Its dependent is not run: one bad item does not cascade.
    assert_eq!(
        outcome(&outcomes, "SITE-BEH-NOTE", Some(0)),
        Outcome::NotRun
    );
}

#[test]
fn a_passing_record_reports_nothing_and_dependents_run() {
    let e = engine();
    let (failures, outcomes, _) = run(
        &e,
        "abstracting",
        &[],
        &[&[("primarySite", "C504"), ("behaviorCodeIcdO3", "2")]],
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(outcome(&outcomes, "SITE-BEH", Some(0)), Outcome::Pass);
    assert_eq!(outcome(&outcomes, "SITE-BEH-NOTE", Some(0)), Outcome::Pass);
}

#[test]
fn the_over_ride_flag_switches_the_edit_off_and_dependents_still_run() {
    let e = engine();
    let (failures, outcomes, counts) = run(
        &e,
        "abstracting",
        &[],
        &[&[
            ("primarySite", "C809"),
            ("behaviorCodeIcdO3", "2"),
            ("overRideSiteBehavior", "1"),
        ]],
    );
    assert_eq!(outcome(&outcomes, "SITE-BEH", Some(0)), Outcome::Overridden);
    assert_eq!(counts.overridden, 1);
    // The dependent runs (and fails on its own account).
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "SITE-BEH-NOTE");
}

#[test]
fn a_skip_condition_skips_and_its_dependents_are_not_run() {
    let e = engine();
    let (failures, outcomes, _) = run(&e, "abstracting", &[], &[&[("primarySite", "C809")]]);
    assert_eq!(outcome(&outcomes, "SITE-BEH", Some(0)), Outcome::Skip);
    assert_eq!(
        outcome(&outcomes, "SITE-BEH-NOTE", Some(0)),
        Outcome::NotRun
    );
    assert!(failures.is_empty());
}

#[test]
fn an_invalid_item_is_reported_once_and_edits_that_need_it_do_not_run() {
    let e = engine();
    let (failures, outcomes, _) = run(
        &e,
        "abstracting",
        &[],
        &[&[("primarySite", "C809"), ("behaviorCodeIcdO3", "X")]],
    );
    // Behavior Code ICDO3 is a one-digit `digits` item in the v26 dictionary.
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "valid:behaviorCodeIcdO3");
    assert_eq!(failures[0].1, Some(0));
    assert_eq!(outcome(&outcomes, "SITE-BEH", Some(0)), Outcome::NotRun);
}

#[test]
fn a_patient_level_edit_sees_every_tumor() {
    let e = engine();
    let same = [("primarySite", "C504"), ("laterality", "1")];
    let other = [("primarySite", "C504"), ("laterality", "2")];
    let (failures, _, _) = run(&e, "iarc", &[], &[&same, &other]);
    assert!(failures.is_empty(), "{failures:?}");
    let (failures, _, _) = run(&e, "iarc", &[], &[&same, &other, &same]);
    assert_eq!(
        failures,
        [(
            "TWICE".to_owned(),
            None,
            "Two tumors of the same site and laterality".to_owned()
        )]
    );
}

#[test]
fn a_set_reports_only_its_edits_and_validity_only_when_it_says_so() {
    let e = engine();
    let patient = [("sexAssignedAtBirth", "1")];
    let tumor: &[(&str, &str)] = &[("primarySite", "C539"), ("behaviorCodeIcdO3", "9")];
    let (iarc, _, _) = run(&e, "iarc", &patient, &[tumor]);
    // Behavior 9 is not a valid code shape? It is one digit: valid for the dictionary. The IARC
    // set has no validity checks and no SEER edit: only Sex/Site.
    assert_eq!(iarc.len(), 1, "{iarc:?}");
    assert_eq!(iarc[0].0, "SEX-SITE");
    assert_eq!(iarc[0].2, "Site C539 is not possible for sex 1");
    let (abstracting, _, _) = run(&e, "abstracting", &patient, &[tumor]);
    assert!(
        abstracting.iter().all(|f| f.0 != "SEX-SITE"),
        "{abstracting:?}"
    );
}

#[test]
fn frames_are_reused_without_leaking_values_between_patients() {
    let e = engine();
    let mut frame = e.frame();
    let selection = e.select_set("abstracting").unwrap();
    let mut failures = Vec::new();
    let mut counts = RunCounts::default();
    let first: [(&str, &str); 2] = [("primarySite", "C809"), ("behaviorCodeIcdO3", "2")];
    e.load(
        &mut frame,
        [],
        [first.iter().copied(), first.iter().copied()],
    );
    e.run(
        &frame,
        &selection,
        &today(),
        &mut failures,
        &mut counts,
        None,
    );
    // SITE-BEH fails on both tumors (its dependent is not run), and the two tumors are the
    // same site and laterality (both blank).
    let edits: Vec<&str> = failures.iter().map(|f| &*f.edit).collect();
    assert_eq!(edits, ["TWICE", "SITE-BEH", "SITE-BEH"]);
    failures.clear();
    // The next patient has one tumor without behavior: nothing of the first may remain.
    let second: [(&str, &str); 1] = [("primarySite", "C809")];
    e.load(&mut frame, [], [second.iter().copied()]);
    e.run(
        &frame,
        &selection,
        &today(),
        &mut failures,
        &mut counts,
        None,
    );
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn a_broken_edit_set_is_refused_with_every_problem_and_its_place() {
    let text = r#"[[edit]]
id = "A"
name = "type error"
severity = "error"
sets = ["nowhere"]
condition = 'primarySite + 1 > 2'
message = "m"

[[edit]]
id = "B"
name = "cycle one"
severity = "error"
depends = ["C"]
condition = 'true'
message = "{noSuchItem}"

[[edit]]
id = "C"
name = "cycle two"
severity = "error"
depends = ["B", "D"]
condition = 'true'
message = "m"
"#;
    let edits = parse_edit_file("broken.toml", text).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    let errors = Engine::build(&edits, &sets, &dictionary("260"), &tables(), true).unwrap_err();
    let codes: Vec<(&str, usize)> = errors.iter().map(|e| (e.code, e.line)).collect();
    // The type error in the file's terms: the expression starts at column 14 of line 6.
    let type_error = errors
        .iter()
        .find(|e| e.edit.as_deref() == Some("A"))
        .unwrap();
    assert_eq!(type_error.line, 6, "{type_error}");
    assert!((14..=26).contains(&type_error.column), "{type_error}");
    assert!(
        codes.contains(&("bad_message_placeholder", 15)),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|(c, _)| *c == "unknown_dependency"),
        "{codes:?}"
    );
}

#[test]
fn a_cycle_and_an_unknown_set_are_refused() {
    let text = r#"[[edit]]
id = "B"
name = "cycle one"
severity = "error"
sets = ["nowhere"]
depends = ["C"]
condition = 'true'
message = "m"

[[edit]]
id = "C"
name = "cycle two"
severity = "error"
depends = ["B"]
condition = 'true'
message = "m"
"#;
    let edits = parse_edit_file("cycle.toml", text).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    let errors = Engine::build(&edits, &sets, &dictionary("260"), &tables(), true).unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert!(codes.contains(&"unknown_set"), "{codes:?}");
    assert!(codes.contains(&"dependency_cycle"), "{codes:?}");
}

#[test]
fn edits_for_items_an_older_version_lacks_are_left_out_of_it() {
    let edits = parse_edit_file("test.toml", EDITS).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    // sexAssignedAtBirth is new in NAACCR 26: SEX-SITE does not apply to version 25.
    let v25 = Engine::build(&edits, &sets, &dictionary("250"), &tables(), false).unwrap();
    assert_eq!(v25.len(), 3);
    assert_eq!(v25.not_applicable()[0].0, "SEX-SITE");
    let strict = Engine::build(&edits, &sets, &dictionary("250"), &tables(), true).unwrap_err();
    assert_eq!(strict[0].code, "unknown_item");
}

/// A confirmation belongs to one tumor and one confirmable edit: the edit is overridden on that
/// tumor only, other tumors still fail, a non-confirmable edit cannot be confirmed, and the
/// next patient laid out in the same frame starts with no confirmation.
#[test]
fn a_confirmation_overrides_a_confirmable_edit_on_its_tumor_only() {
    let text = EDITS.replace(
        "id = \"SEX-SITE\"\nname = \"Sex, Primary Site\"\nseverity = \"error\"",
        "id = \"SEX-SITE\"\nname = \"Sex, Primary Site\"\nseverity = \"error\"\nconfirmable = true",
    );
    let edits = parse_edit_file("test.toml", &text).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    let e = Engine::build(&edits, &sets, &dictionary("260"), &tables(), true).unwrap();
    assert!(e.is_confirmable("SEX-SITE"));
    assert!(!e.is_confirmable("SITE-BEH"));
    let selection = e.select_set("iarc").unwrap();
    let mut frame = e.frame();
    let tumors: [&[(&str, &str)]; 2] = [
        &[("primarySite", "C569"), ("laterality", "1")],
        &[("primarySite", "C529"), ("laterality", "0")],
    ];
    let mut go = |confirm: &[(usize, &str)]| {
        e.load(
            &mut frame,
            [("sexAssignedAtBirth", "1")],
            tumors.iter().map(|t| t.iter().copied()),
        );
        let accepted: Vec<bool> = confirm
            .iter()
            .map(|(t, id)| e.confirm(&mut frame, *t, id))
            .collect();
        let mut failures = Vec::new();
        let mut counts = RunCounts::default();
        e.run(
            &frame,
            &selection,
            &today(),
            &mut failures,
            &mut counts,
            None,
        );
        let failed: Vec<Option<usize>> = failures
            .iter()
            .filter(|f| &*f.edit == "SEX-SITE")
            .map(|f| f.tumor)
            .collect();
        (accepted, failed, counts.overridden)
    };
    assert_eq!(go(&[]), (vec![], vec![Some(0), Some(1)], 0));
    assert_eq!(
        go(&[(0, "SEX-SITE"), (1, "SITE-BEH")]),
        (vec![true, false], vec![Some(1)], 1)
    );
    assert_eq!(go(&[]), (vec![], vec![Some(0), Some(1)], 0));
}

#[test]
fn only_a_tumor_level_edit_can_be_confirmable() {
    let text = EDITS.replace(
        "level = \"patient\"\nseverity = \"error\"",
        "level = \"patient\"\nseverity = \"error\"\nconfirmable = true",
    );
    let edits = parse_edit_file("test.toml", &text).unwrap();
    let sets = parse_set_file("sets.toml", SETS).unwrap();
    let errors = Engine::build(&edits, &sets, &dictionary("260"), &tables(), true).unwrap_err();
    assert!(
        errors.iter().any(|e| e.code == "confirmable_level"
            && e.edit.as_deref() == Some("TWICE")
            && e.line == 23),
        "{errors:?}"
    );
}
