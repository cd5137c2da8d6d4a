//! The built-in edits: the edit files and code tables under `schemas/` (embedded in the binary
//! at build time), plus the single-field code checks generated from the table index, compiled
//! once per NAACCR version at start.

use super::abstracts::Access;
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::{AppError, Dictionaries, Registry};
use crate::core::abstracts::{EntityKind, PatientId, PatientRecord, TumorId, TumorRecord};
use crate::core::auth::{FacilityScope, Permission};
use crate::core::edits::definition::Severity;
use crate::core::edits::definition::{
    DefinitionError, EditDef, SetDef, parse_edit_file, parse_set_file,
};
use crate::core::edits::engine::Engine;
use crate::core::edits::engine::RunCounts;
use crate::core::edits::lang::EvalEnv;
use crate::core::edits::table::{Table, Tables};
use crate::core::problem::Problem;
use crate::store::AnyConnection;
use crate::store::edit_confirmations::ConfirmationRow;
use std::collections::BTreeMap;
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/builtin_edits.rs"));

/// The file that names the edit sets.
const SET_FILE: &str = "sets.toml";

/// The table that maps coded items to their code tables.
const CODE_INDEX: &str = "item_code_lists";

/// Why the built-in edits could not be loaded (a bug in the shipped files: tests catch it).
#[derive(Debug, Clone, thiserror::Error)]
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

/// The labels of an item's codes (`sexAssignedAtBirth` -> 1 "Male", 2 "Female", ...), from the
/// code tables, when the item has one.
pub fn code_labels(naaccr_id: &str) -> Option<std::collections::HashMap<String, String>> {
    let text = |name: &str| {
        TABLE_FILES
            .iter()
            .find(|(file, _)| file.trim_end_matches(".csv") == name)
            .map(|(_, t)| *t)
    };
    let index = Table::from_csv("item_code_lists", text("item_code_lists")?).ok()?;
    let (id_col, table_col) = (index.column("naaccrId")?, index.column("table")?);
    let table_name = (0..index.len())
        .find(|&r| index.cell(r, id_col) == Some(naaccr_id))
        .and_then(|r| index.cell(r, table_col))?
        .to_owned();
    let table = Table::from_csv(&table_name, text(&table_name)?).ok()?;
    let (code, label) = (table.column("code")?, table.column("label")?);
    Some(
        (0..table.len())
            .filter_map(|r| {
                Some((
                    table.cell(r, code)?.to_owned(),
                    table.cell(r, label)?.to_owned(),
                ))
            })
            .collect(),
    )
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

/// The parsed built-in edit files and tables, read once per process.
struct BuiltinParts {
    tables: Arc<Tables>,
    defs: Vec<EditDef>,
    sets: Vec<SetDef>,
}

fn builtin_parts() -> Result<&'static BuiltinParts, &'static EditsError> {
    static PARTS: std::sync::OnceLock<Result<BuiltinParts, EditsError>> =
        std::sync::OnceLock::new();
    PARTS
        .get_or_init(|| {
            let tables = builtin_tables()?;
            let (defs, sets) = builtin_definitions()?;
            Ok(BuiltinParts {
                tables: Arc::new(tables),
                defs,
                sets,
            })
        })
        .as_ref()
}

/// Whether `id` is the id of a built-in edit (or of a generated check).
pub fn is_builtin_edit_id(id: &str) -> bool {
    id.starts_with("valid:")
        || id.starts_with("codes:")
        || builtin_parts().is_ok_and(|p| p.defs.iter().any(|d| d.id == id))
}

/// Runs `selection` of `engine` over a stored patient with its tumors; the failures, with
/// counts added to `counts` and every outcome to `outcomes` when given.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_on_record(
    engine: &Engine,
    selection: &crate::core::edits::engine::Selection,
    patient: &PatientRecord,
    tumors: &[TumorRecord],
    confirmations: &[ConfirmationRow],
    env: &EvalEnv,
    counts: &mut RunCounts,
    outcomes: Option<&mut crate::core::edits::engine::Outcomes>,
) -> Vec<crate::core::edits::engine::Failure> {
    let mut frame = engine.frame();
    engine.load(
        &mut frame,
        patient.items.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        tumors
            .iter()
            .map(|t| t.items.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
    );
    for c in confirmations.iter().filter(|c| c.withdrawn_at.is_none()) {
        if let Some(t) = tumors.iter().position(|t| t.id.0 == c.tumor_id) {
            engine.confirm(&mut frame, t, &c.edit_id);
        }
    }
    let mut failures = Vec::new();
    engine.run(&frame, selection, env, &mut failures, counts, outcomes);
    failures
}

/// The confirmations in force on `tumors`.
pub(crate) fn confirmations_of(
    conn: &mut crate::store::AnyConnection,
    tumors: &[TumorRecord],
) -> Result<Vec<ConfirmationRow>, AppError> {
    let ids: Vec<i64> = tumors.iter().map(|t| t.id.0).collect();
    Ok(crate::store::edit_confirmations::confirmations_of(
        conn, &ids, false,
    )?)
}

/// The confirmations in force on every tumor of a page of patients.
pub(crate) fn confirmations_of_page(
    conn: &mut crate::store::AnyConnection,
    page: &[super::abstracts::PatientWithTumors],
) -> Result<Vec<ConfirmationRow>, AppError> {
    let ids: Vec<i64> = page
        .iter()
        .flat_map(|p| p.tumors.iter().map(|t| t.id.0))
        .collect();
    Ok(crate::store::edit_confirmations::confirmations_of(
        conn, &ids, false,
    )?)
}

/// The built-in edits compiled for every loaded NAACCR version.
#[derive(Debug, Clone)]
pub struct EditEngines {
    engines: BTreeMap<String, Arc<Engine>>,
    default_version: String,
    tables: Arc<Tables>,
}

impl EditEngines {
    /// The built-in edits for `dictionaries`, compiled once per process for each set of
    /// dictionaries (a registry is built per test, the edits are the same every time).
    pub fn builtin_shared(dictionaries: &Dictionaries) -> Result<Arc<Self>, String> {
        type Cache = std::sync::Mutex<Vec<(String, Arc<EditEngines>)>>;
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let key = dictionaries
            .iter()
            .map(|(v, set)| {
                let users: Vec<&str> = set.user_dictionaries().iter().map(|u| u.uri()).collect();
                format!("{v}:{}:{}", set.item_count(), users.join(","))
            })
            .collect::<Vec<_>>()
            .join(";");
        let cache = CACHE.get_or_init(Default::default);
        if let Ok(entries) = cache.lock()
            && let Some((_, engines)) = entries.iter().find(|(k, _)| *k == key)
        {
            return Ok(engines.clone());
        }
        let engines = Arc::new(Self::builtin(dictionaries).map_err(|e| e.to_string())?);
        if let Ok(mut entries) = cache.lock() {
            entries.push((key, engines.clone()));
        }
        Ok(engines)
    }

    /// Compiles the built-in edits (and the code checks generated from the table index) for
    /// each version of `dictionaries`: strictly for the default (newest) version, leaving out
    /// the edits that read items an older version does not have.
    pub fn builtin(dictionaries: &Dictionaries) -> Result<Self, EditsError> {
        Self::with_extra(dictionaries, &[])
    }

    /// The built-in edits and `extra` ones (the registry's own), compiled together.
    pub fn with_extra(dictionaries: &Dictionaries, extra: &[EditDef]) -> Result<Self, EditsError> {
        let parts = builtin_parts().map_err(|e| EditsError(e.0.clone()))?;
        let tables = &parts.tables;
        let (defs, sets) = (&parts.defs, &parts.sets);
        let index: Vec<(String, String)> = tables
            .get(CODE_INDEX)
            .map(|t| {
                (0..t.len())
                    .filter_map(|r| Some((t.cell(r, 0)?.to_owned(), t.cell(r, 1)?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let default_version = dictionaries.default_version().to_owned();
        let mut engines = BTreeMap::new();
        for (version, set) in dictionaries.iter() {
            let mut all = defs.clone();
            all.extend(extra.iter().cloned());
            let strict = version == default_version;
            let engine = Engine::build_with_codes(&all, sets, set, tables, &index, strict)
                .map_err(EditsError)?;
            engines.insert(version.to_owned(), Arc::new(engine));
        }
        Ok(Self {
            engines,
            default_version,
            tables: parts.tables.clone(),
        })
    }

    /// The code tables the edits look up.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The engine for records of NAACCR version `version`, or the newest one when that
    /// version has none.
    pub fn for_version(&self, version: &str) -> Option<&Arc<Engine>> {
        self.engines
            .get(version)
            .or_else(|| self.engines.get(&self.default_version))
    }

    /// The same selection made once in each version's engine (by version), for runs over many
    /// records: `select` gives none where the version cannot make it.
    pub fn select_in_each(
        &self,
        select: impl Fn(&Engine) -> Option<crate::core::edits::engine::Selection>,
    ) -> BTreeMap<String, crate::core::edits::engine::Selection> {
        self.engines
            .iter()
            .filter_map(|(v, e)| select(e).map(|s| (v.clone(), s)))
            .collect()
    }

    /// The engine of a NAACCR version (default: the newest).
    pub fn engine(&self, version: Option<&str>) -> Option<&Arc<Engine>> {
        self.engines
            .get(version.unwrap_or(self.default_version.as_str()))
    }
}

/// One failed edit on a stored abstract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditFailure {
    /// The edit's id.
    pub edit: String,
    /// Its name.
    pub name: String,
    /// Error or warning.
    pub severity: Severity,
    /// The message, with the record's values.
    pub message: String,
    /// The items concerned.
    pub items: Vec<String>,
    /// The tumor, for a tumor-level edit.
    pub tumor: Option<TumorId>,
}

/// What an edit set found on one patient with its tumors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditReport {
    /// The set that ran.
    pub set: String,
    /// Every failure.
    pub failures: Vec<EditFailure>,
    /// Whether the set refuses a save while an error-level edit fails.
    pub blocks_save: bool,
    /// The confirmations that switched off a failing edit (reported as overridden).
    pub confirmed: Vec<ConfirmationRow>,
}

impl EditReport {
    /// How many error-level failures.
    pub fn errors(&self) -> usize {
        self.failures
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

/// Which edit set runs when an abstract is saved through the API.
#[derive(Debug)]
pub struct EditsPolicy {
    /// The compiled edits (or why they could not be built: a fault of the shipped files),
    /// replaced whole when a custom edit is activated or retired.
    pub engines: std::sync::RwLock<Result<Arc<EditEngines>, String>>,
    /// The set run on every save (none: no edits on save).
    pub on_save: Option<String>,
    /// Refuse a save while an error-level edit of that set fails (besides the sets that say
    /// `blocks_save` themselves).
    pub block: bool,
}

impl Registry {
    pub(crate) fn edit_engines(&self) -> Result<Arc<EditEngines>, AppError> {
        self.edits
            .engines
            .read()
            .map_err(|_| AppError::Internal("edits: lock poisoned".into()))?
            .clone()
            .map_err(|e| AppError::Internal(format!("edits: {e}")))
    }

    /// The edits in service for a NAACCR version (default: the newest), in the order they run,
    /// only those of `set` when given.
    pub fn list_edits(
        &self,
        set: Option<&str>,
        version: Option<&str>,
    ) -> Result<Vec<crate::core::edits::engine::EditInfo>, AppError> {
        let engines = self.edit_engines()?;
        let engine = engines.engine(version).ok_or_else(|| {
            AppError::invalid(
                Problem::new("unknown_dictionary_version", "no such NAACCR version")
                    .for_item("dictionaryVersion"),
            )
        })?;
        if let Some(s) = set
            && engine.select_set(s).is_none()
        {
            return Err(AppError::invalid(
                Problem::new(
                    "unknown_edit_set",
                    format!("there is no edit set named {s}"),
                )
                .for_item("set"),
            ));
        }
        Ok(engine
            .edits()
            .into_iter()
            .filter(|e| set.is_none_or(|s| e.sets.iter().any(|x| x == s)))
            .collect())
    }

    /// Puts newly compiled edits in service.
    pub(crate) fn replace_edit_engines(&self, engines: Arc<EditEngines>) -> Result<(), AppError> {
        *self
            .edits
            .engines
            .write()
            .map_err(|_| AppError::Internal("edits: lock poisoned".into()))? = Ok(engines);
        Ok(())
    }

    /// Checks that the built-in edits compiled and that the set run on save exists (called
    /// when the service starts, so that a bad configuration stops it at once).
    pub fn check_edits(&self) -> Result<(), AppError> {
        let engines = self.edit_engines()?;
        if let Some(set) = &self.edits.on_save
            && engines
                .engine(None)
                .and_then(|e| e.select_set(set))
                .is_none()
        {
            return Err(AppError::Internal(format!(
                "edits: no edit set named {set}"
            )));
        }
        Ok(())
    }

    /// The same registry running `set` on every save (none: no edits on save), refusing
    /// saves that fail an error-level edit when `block`.
    #[must_use]
    pub fn with_edits_on_save(mut self, set: Option<String>, block: bool) -> Self {
        let engines = self
            .edits
            .engines
            .read()
            .map(|e| e.clone())
            .unwrap_or_else(|_| Err("edits: lock poisoned".into()));
        self.edits = Arc::new(EditsPolicy {
            engines: std::sync::RwLock::new(engines),
            on_save: set,
            block,
        });
        self
    }

    /// Runs edit set `set` over a patient with its tumors (read with the patient's NAACCR
    /// version's edits).
    pub(crate) fn run_edits(
        &self,
        patient: &PatientRecord,
        tumors: &[TumorRecord],
        confirmations: &[ConfirmationRow],
        set: &str,
    ) -> Result<EditReport, AppError> {
        let engines = self.edit_engines()?;
        let engine = engines
            .for_version(&patient.dictionary_version)
            .ok_or_else(|| AppError::Internal("edits: no engine".into()))?;
        let selection = engine.select_set(set).ok_or_else(|| {
            AppError::invalid(
                Problem::new(
                    "unknown_edit_set",
                    format!("there is no edit set named {set}"),
                )
                .for_item("set"),
            )
        })?;
        let blocks_save = engine.sets().iter().any(|s| s.name == set && s.blocks_save);
        let today = EvalEnv::new(self.clock.now().date());
        let mut outcomes = Vec::new();
        let failures = run_on_record(
            engine,
            &selection,
            patient,
            tumors,
            confirmations,
            &today,
            &mut RunCounts::default(),
            (!confirmations.is_empty()).then_some(&mut outcomes),
        );
        // A confirmation shows in the report when it switched off a failure in this run.
        let confirmed = confirmations
            .iter()
            .filter(|c| {
                outcomes.iter().any(|(edit, t, o)| {
                    *o == crate::core::edits::engine::Outcome::Overridden
                        && **edit == *c.edit_id
                        && t.and_then(|t| tumors.get(t))
                            .is_some_and(|t| t.id.0 == c.tumor_id)
                })
            })
            .cloned()
            .collect();
        Ok(EditReport {
            set: set.to_owned(),
            blocks_save,
            confirmed,
            failures: failures
                .into_iter()
                .map(|f| EditFailure {
                    edit: f.edit.to_string(),
                    name: f.name.to_string(),
                    severity: f.severity,
                    message: f.message,
                    items: f.items.to_vec(),
                    tumor: f.tumor.and_then(|t| tumors.get(t)).map(|t| t.id),
                })
                .collect(),
        })
    }

    /// The edits run on save over a patient as just written (inside the write's transaction):
    /// none when no set runs on save; refused with [`AppError::EditsFailed`] (so the write is
    /// rolled back) when the set blocks saves and an error-level edit fails.
    pub(crate) fn edits_on_save(
        &self,
        conn: &mut AnyConnection,
        patient: PatientId,
        scope: &FacilityScope,
    ) -> Result<Option<EditReport>, AppError> {
        let Some(set) = self.edits.on_save.clone() else {
            return Ok(None);
        };
        let p: PatientRecord = super::versioned::load(conn, patient)?;
        let tumors = super::abstracts::visible_tumors(conn, &[patient], false, scope)?;
        let confirmations = confirmations_of(conn, &tumors)?;
        let mut report = self.run_edits(&p, &tumors, &confirmations, &set)?;
        report.blocks_save |= self.edits.block;
        if report.blocks_save && report.errors() > 0 {
            return Err(AppError::EditsFailed(Box::new(report)));
        }
        Ok(Some(report))
    }

    /// Runs an edit set (default: the one run on save, else `abstracting`) over a stored
    /// patient with the tumors the caller may see. Audited as a read of the patient.
    pub async fn check_patient_edits(
        &self,
        ctx: &RequestContext,
        id: PatientId,
        set: Option<String>,
    ) -> Result<EditReport, AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let set = set
            .or_else(|| self.edits.on_save.clone())
            .unwrap_or_else(|| "abstracting".to_owned());
        let facts = AuditFacts {
            detail: Some(format!("edit set {set}")),
            ..AuditFacts::about(EntityKind::Patient, id.0)
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "patient.edits",
            facts,
            move |conn, _| {
                let patient: PatientRecord =
                    super::versioned::load_visible(conn, id, access.scope())?;
                let tumors = super::abstracts::visible_tumors(conn, &[id], false, access.scope())?;
                let confirmations = confirmations_of(conn, &tumors)?;
                registry.run_edits(&patient, &tumors, &confirmations, &set)
            },
        )
        .await
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
    use crate::core::edits::engine::RunCounts;
    use crate::core::edits::lang::EvalEnv;

    /// The day the built-in edits' tests run on (their "future date" examples are after it).
    fn today() -> EvalEnv {
        EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
    }

    fn engines() -> EditEngines {
        let dictionaries = Dictionaries::load(&[]).unwrap();
        EditEngines::builtin(&dictionaries).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The allowed codes of Sex Assigned at Birth [225] are 1, 2 and 9 (NAACCR v26 item page).
    #[test]
    fn an_item_code_outside_its_code_list_is_reported_and_a_listed_one_is_not() {
        let engines = engines();
        let engine = engines.engine(Some("260")).unwrap();
        let selection = engine.select_set("abstracting").unwrap();
        let mut frame = engine.frame();
        let mut run = |sex: &str| {
            engine.load(
                &mut frame,
                [("sexAssignedAtBirth", sex)],
                Vec::<Vec<(&str, &str)>>::new(),
            );
            let mut failures = Vec::new();
            engine.run(
                &frame,
                &selection,
                &today(),
                &mut failures,
                &mut RunCounts::default(),
                None,
            );
            failures
                .iter()
                .map(|f| (f.edit.to_string(), f.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run("7"),
            [(
                "codes:sexAssignedAtBirth".to_owned(),
                "Sex Assigned at Birth: 7 is not one of the item's codes".to_owned()
            )]
        );
        assert!(run("2").is_empty());
        assert!(run("9").is_empty());
    }

    #[test]
    fn the_built_in_edits_compile_for_every_version() {
        let engines = engines();
        let v26 = engines.engine(Some("260")).unwrap();
        let (defs, sets) = builtin_definitions().unwrap();
        assert!(v26.len() >= defs.len());
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
        let infos = engine.edits();
        for def in &defs {
            // A failure names the items it concerns (those the edit reads and names).
            if infos
                .iter()
                .find(|i| i.id == def.id)
                .is_none_or(|i| i.items.is_empty())
            {
                problems.push(format!("{}: names no item", def.id));
            }
            if !def.versions.is_empty() && !def.versions.iter().any(|v| v == "260") {
                continue;
            }
            let expects: Vec<Expect> = def.tests.iter().map(|t| t.expect).collect();
            if !expects.contains(&Expect::Pass) || !expects.contains(&Expect::Fail) {
                problems.push(format!("{}: needs a passing and a failing example", def.id));
            }
            for m in engine.check_examples(def, &today()) {
                problems.push(format!("{}: {m}", def.id));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod seeded {
    //! Synthetic records with one seeded error each: the right edit catches it, and no other
    //! edit reports anything new. (Synthetic data carries no Schema ID yet, so the comparison
    //! is with what the clean record already reports.)
    use super::*;
    use crate::core::edits::engine::RunCounts;
    use crate::core::edits::lang::EvalEnv;
    use crate::core::naaccr::xml::{NaaccrReader, Patient, ReaderOptions};
    use std::collections::BTreeSet;

    fn patients(dictionaries: &Dictionaries) -> Vec<Patient> {
        let tables = crate::app::synth::builtin_tables().unwrap();
        let options = crate::core::synth::SynthOptions {
            patients: 400,
            ..crate::core::synth::SynthOptions::default()
        };
        let xml = crate::app::synth::write_synthetic(
            &tables,
            dictionaries.get("260").unwrap(),
            &options,
            21,
            Vec::new(),
            |_| {},
        )
        .unwrap();
        let provider = |v: &str| dictionaries.get(v).cloned();
        let mut reader =
            NaaccrReader::new(xml.as_slice(), &provider, ReaderOptions::default()).unwrap();
        let mut out = Vec::new();
        while let Some(p) = reader.next_patient().unwrap() {
            out.push(p);
        }
        out
    }

    fn get<'a>(items: &'a [crate::core::naaccr::xml::Item], id: &str) -> Option<&'a str> {
        items
            .iter()
            .find(|i| &*i.naaccr_id == id)
            .map(|i| i.value.as_str())
    }

    fn set(items: &mut Vec<crate::core::naaccr::xml::Item>, id: &str, value: &str) {
        match items.iter_mut().find(|i| &*i.naaccr_id == id) {
            Some(i) => i.value = value.to_owned(),
            None => items.push(crate::core::naaccr::xml::Item {
                naaccr_id: Arc::from(id),
                value: value.to_owned(),
                line: 0,
                column: 0,
            }),
        }
    }

    /// The edits failing on a patient, as (edit, tumor).
    fn failing(engines: &EditEngines, p: &Patient) -> BTreeSet<(String, Option<usize>)> {
        let engine = engines.engine(Some("260")).unwrap();
        let selection = engine.select_set("abstracting").unwrap();
        let mut frame = engine.frame();
        engine.load(
            &mut frame,
            p.items.iter().map(|i| (&*i.naaccr_id, i.value.as_str())),
            p.tumors
                .iter()
                .map(|t| t.items.iter().map(|i| (&*i.naaccr_id, i.value.as_str()))),
        );
        let mut failures = Vec::new();
        let today = EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        engine.run(
            &frame,
            &selection,
            &today,
            &mut failures,
            &mut RunCounts::default(),
            None,
        );
        failures
            .into_iter()
            .map(|f| (f.edit.to_string(), f.tumor))
            .collect()
    }

    /// Synthetic data passes every error-level edit of the abstracting set (which holds every
    /// error-level edit of the submission sets).
    #[test]
    fn synthetic_data_passes_every_error_level_edit() {
        let dictionaries = Dictionaries::load(&[]).unwrap();
        let engines = EditEngines::builtin(&dictionaries).unwrap();
        let mut failing_edits = BTreeSet::new();
        for p in patients(&dictionaries) {
            failing_edits.extend(failing(&engines, &p).into_iter().map(|(e, _)| e));
        }
        assert_eq!(failing_edits, BTreeSet::new());
    }

    #[test]
    fn each_seeded_error_is_caught_by_its_edit_and_no_other() {
        let dictionaries = Dictionaries::load(&[]).unwrap();
        let engines = EditEngines::builtin(&dictionaries).unwrap();
        let all = patients(&dictionaries);
        // The seeds: (expected edit, a patient it applies to, how to seed it). Each comes from
        // the standard's description of the edit (shared/edits-tables/standard-edits-logic.md).
        type Seed = (&'static str, fn(&Patient) -> bool, fn(&mut Patient));
        let seeds: Vec<Seed> = vec![
            // NAACCR v26 item 225: codes 1, 2, 9.
            (
                "codes:sexAssignedAtBirth",
                |_| true,
                |p| set(&mut p.items, "sexAssignedAtBirth", "7"),
            ),
            // A real calendar day is required (A1).
            (
                "valid:dateOfBirth",
                |_| true,
                |p| set(&mut p.items, "dateOfBirth", "19610231"),
            ),
            // C1: a cause of death with Vital Status 1 (alive).
            (
                "C1",
                |p| get(&p.items, "vitalStatus") == Some("1"),
                |p| set(&mut p.items, "causeOfDeath", "C509"),
            ),
            // IF24: a breast tumor needs its side.
            (
                "IF24",
                |p| {
                    p.tumors.len() == 1
                        && get(&p.tumors[0].items, "primarySite")
                            .is_some_and(|s| s.starts_with("C50"))
                        && get(&p.tumors[0].items, "behaviorCodeIcdO3") == Some("3")
                },
                |p| set(&mut p.tumors[0].items, "laterality", "0"),
            ),
            // B3: the stated age must be the one the dates give.
            (
                "B3",
                |p| {
                    p.tumors.len() == 1
                        && get(&p.tumors[0].items, "ageAtDiagnosis")
                            .is_some_and(|a| a > "020" && a < "090")
                },
                |p| {
                    let age: u32 = get(&p.tumors[0].items, "ageAtDiagnosis")
                        .unwrap()
                        .parse()
                        .unwrap();
                    set(
                        &mut p.tumors[0].items,
                        "ageAtDiagnosis",
                        &format!("{:03}", age + 5),
                    );
                },
            ),
            // A3: a conclusive diagnosis date within 60 days of diagnosis.
            (
                "A3",
                |p| {
                    p.tumors.len() == 1
                        && get(&p.tumors[0].items, "dateOfDiagnosis")
                            .is_some_and(|d| d.len() == 8 && d > "2013")
                },
                |p| {
                    let dx = get(&p.tumors[0].items, "dateOfDiagnosis")
                        .unwrap()
                        .to_owned();
                    set(&mut p.tumors[0].items, "dateConclusiveDx", &dx);
                },
            ),
            // MORPH-CODE (D5): 8888 is no ICD-O-3 morphology.
            (
                "MORPH-CODE",
                |p| p.tumors.len() == 1,
                |p| set(&mut p.tumors[0].items, "histologicTypeIcdO3", "8888"),
            ),
            // AGE-SITE-MORPH (D23 with E7's combinations): nephroblastoma in an adult.
            (
                "AGE-SITE-MORPH",
                |p| {
                    p.tumors.len() == 1
                        && get(&p.tumors[0].items, "primarySite") == Some("C649")
                        && get(&p.tumors[0].items, "ageAtDiagnosis").is_some_and(|a| a > "030")
                },
                |p| set(&mut p.tumors[0].items, "histologicTypeIcdO3", "8960"),
            ),
            // B4: sequence numbers in the wrong order of diagnosis.
            (
                "B4",
                |p| {
                    p.tumors.len() == 2
                        && get(&p.tumors[0].items, "sequenceNumberCentral") == Some("01")
                        && get(&p.tumors[1].items, "sequenceNumberCentral") == Some("02")
                        && get(&p.tumors[0].items, "dateOfDiagnosis").map(|d| &d[..4])
                            < get(&p.tumors[1].items, "dateOfDiagnosis").map(|d| &d[..4])
                },
                |p| {
                    set(&mut p.tumors[0].items, "sequenceNumberCentral", "02");
                    set(&mut p.tumors[1].items, "sequenceNumberCentral", "01");
                },
            ),
        ];
        let mut problems = Vec::new();
        for (edit, applies, seed) in seeds {
            let Some(clean) = all.iter().find(|p| applies(p)) else {
                problems.push(format!("{edit}: no synthetic patient to seed"));
                continue;
            };
            let before = failing(&engines, clean);
            let mut seeded = clean.clone();
            seed(&mut seeded);
            let after = failing(&engines, &seeded);
            let new: BTreeSet<&str> = after.difference(&before).map(|(e, _)| e.as_str()).collect();
            if new != BTreeSet::from([edit]) {
                problems.push(format!("{edit}: the seeded error made {new:?} fail"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
