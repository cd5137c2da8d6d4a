//! The built-in edits: the edit files and code tables under `schemas/` (embedded in the binary
//! at build time), plus the single-field code checks generated from the table index, compiled
//! once per NAACCR version at start.

use super::Dictionaries;
use crate::core::edits::definition::{
    DefinitionError, EditDef, SetDef, code_list_edits, parse_edit_file, parse_set_file,
};
use crate::core::edits::engine::Engine;
use crate::core::edits::lang::EditLevel;
use crate::core::edits::table::{Table, Tables};
use crate::core::naaccr::dictionary::ParentElement;
use std::collections::BTreeMap;
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/builtin_edits.rs"));

/// The file that names the edit sets.
const SET_FILE: &str = "sets.toml";

/// The table that maps coded items to their code tables.
const CODE_INDEX: &str = "item_code_lists";

/// The sets the generated code checks belong to.
const CODE_CHECK_SETS: [&str; 3] = ["abstracting", "hospital-submission", "central-submission"];

/// Why the built-in edits could not be loaded (a bug in the shipped files: tests catch it).
#[derive(Debug, thiserror::Error)]
#[error("the built-in edits do not load:\n{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct EditsError(pub Vec<DefinitionError>);

/// The code tables, by name (file name without `.csv`).
pub fn builtin_tables() -> Result<Tables, EditsError> {
    let mut tables = Tables::new();
    for (file, text) in TABLE_FILES {
        let name = file.trim_end_matches(".csv");
        let table = Table::from_csv(name, text).map_err(|e| {
            EditsError(vec![DefinitionError {
                file: format!("schemas/tables/{file}"),
                line: 1,
                column: 1,
                code: e.code(),
                message: e.to_string(),
                edit: None,
            }])
        })?;
        tables.insert(table);
    }
    Ok(tables)
}

/// The edit definitions and sets of the edit files, without the generated code checks.
pub fn builtin_definitions() -> Result<(Vec<EditDef>, Vec<SetDef>), EditsError> {
    let mut edits = Vec::new();
    let mut sets = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in EDIT_FILES {
        let path = format!("schemas/edits/{file}");
        let parsed = if *file == SET_FILE {
            parse_set_file(&path, text).map(|s| sets.extend(s))
        } else {
            parse_edit_file(&path, text).map(|e| edits.extend(e))
        };
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok((edits, sets))
    } else {
        Err(EditsError(errors))
    }
}

/// The built-in edits compiled for every loaded NAACCR version.
#[derive(Debug, Clone)]
pub struct EditEngines {
    engines: BTreeMap<String, Arc<Engine>>,
    default_version: String,
    tables: Arc<Tables>,
}

impl EditEngines {
    /// Compiles the built-in edits (and the code checks generated from the table index) for
    /// each version of `dictionaries`: strictly for the default (newest) version, leaving out
    /// the edits that read items an older version does not have.
    pub fn builtin(dictionaries: &Dictionaries) -> Result<Self, EditsError> {
        let tables = builtin_tables()?;
        let (defs, sets) = builtin_definitions()?;
        let index: Vec<(String, String)> = tables
            .get(CODE_INDEX)
            .map(|t| {
                (0..t.len())
                    .filter_map(|r| Some((t.cell(r, 0)?.to_owned(), t.cell(r, 1)?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let code_sets: Vec<String> = CODE_CHECK_SETS.iter().map(|s| (*s).to_owned()).collect();
        let default_version = dictionaries.default_version().to_owned();
        let mut engines = BTreeMap::new();
        for (version, set) in dictionaries.iter() {
            let level_of = |id: &str| {
                set.item(id).map(|def| {
                    let level = if def.parent == ParentElement::Tumor {
                        EditLevel::Tumor
                    } else {
                        EditLevel::Patient
                    };
                    (
                        level,
                        def.naaccr_name.clone().unwrap_or_else(|| id.to_owned()),
                    )
                })
            };
            let mut all = defs.clone();
            all.extend(code_list_edits(&index, level_of, &code_sets));
            let strict = version == default_version;
            let engine = Engine::build(&all, &sets, set, &tables, strict).map_err(EditsError)?;
            engines.insert(version.to_owned(), Arc::new(engine));
        }
        Ok(Self {
            engines,
            default_version,
            tables: Arc::new(tables),
        })
    }

    /// The code tables the edits look up.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The engine of a NAACCR version (default: the newest).
    pub fn engine(&self, version: Option<&str>) -> Option<&Arc<Engine>> {
        self.engines
            .get(version.unwrap_or(self.default_version.as_str()))
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
    use crate::core::edits::definition::Expect;
    use crate::core::edits::engine::{Outcome, RunCounts};
    use crate::core::edits::lang::EvalEnv;

    /// The day the built-in edits' tests run on (their "future date" examples are after it).
    fn today() -> EvalEnv {
        EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
    }

    fn engines() -> EditEngines {
        let dictionaries = Dictionaries::load(&[]).unwrap();
        EditEngines::builtin(&dictionaries).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_built_in_edits_compile_for_every_version() {
        let engines = engines();
        let v26 = engines.engine(Some("260")).unwrap();
        let (defs, sets) = builtin_definitions().unwrap();
        assert!(v26.len() > defs.len(), "the code checks are generated too");
        assert_eq!(v26.sets().len(), sets.len());
        for version in ["240", "250"] {
            let e = engines.engine(Some(version)).unwrap();
            assert!(!e.is_empty(), "{version}");
        }
    }

    /// Every edit of the edit files passes and fails its own examples (taken from the
    /// standard's description of the edit, shared/edits-tables/standard-edits-logic.md), with
    /// the expected message; over-rides switch it off where the example says so.
    #[test]
    fn every_built_in_edit_passes_and_fails_its_examples() {
        let engines = engines();
        let engine = engines.engine(Some("260")).unwrap();
        let (defs, _) = builtin_definitions().unwrap();
        let mut problems = Vec::new();
        let mut frame = engine.frame();
        for def in &defs {
            if !def.versions.is_empty() && !def.versions.iter().any(|v| v == "260") {
                continue;
            }
            let expects: Vec<Expect> = def.tests.iter().map(|t| t.expect).collect();
            if !expects.contains(&Expect::Pass) || !expects.contains(&Expect::Fail) {
                problems.push(format!("{}: needs a passing and a failing example", def.id));
            }
            let selection = engine.select_ids(&[def.id.as_str()], false).unwrap();
            for test in &def.tests {
                engine.load(
                    &mut frame,
                    test.patient.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    test.tumors
                        .iter()
                        .map(|t| t.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                );
                let mut failures = Vec::new();
                let mut outcomes = Vec::new();
                engine.run(
                    &frame,
                    &selection,
                    &today(),
                    &mut failures,
                    &mut RunCounts::default(),
                    Some(&mut outcomes),
                );
                let tumor = match def.level {
                    EditLevel::Tumor => Some(0),
                    EditLevel::Patient => None,
                };
                let got = outcomes
                    .iter()
                    .find(|(e, t, _)| **e == *def.id && *t == tumor)
                    .map(|(_, _, o)| *o);
                let want = match test.expect {
                    Expect::Pass => Outcome::Pass,
                    Expect::Fail => Outcome::Fail,
                    Expect::Skip => Outcome::Skip,
                    Expect::Overridden => Outcome::Overridden,
                };
                if got != Some(want) {
                    problems.push(format!(
                        "{} (line {}): expected {}, got {:?}",
                        def.id,
                        test.line,
                        want.as_str(),
                        got
                    ));
                    continue;
                }
                if let Some(message) = &test.message {
                    let f = failures.iter().find(|f| *f.edit == *def.id);
                    match f {
                        Some(f) if &f.message == message && !f.items.is_empty() => {}
                        _ => problems.push(format!(
                            "{} (line {}): expected the message {message:?}, got {:?}",
                            def.id,
                            test.line,
                            f.map(|f| &f.message)
                        )),
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
