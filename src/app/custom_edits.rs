//! The registry's own edits, written over the API by central staff: each change is a new
//! version (a draft), checked when it is written (it must compile with every other edit and
//! pass its own examples), tried against the stored abstracts, then activated or retired. An
//! activation or retirement recompiles the whole edit set first: when that fails the change is
//! refused and the edits in service stay as they were.

use super::abstracts::{Access, PatientWithTumors, check_page_size, with_tumors};
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::edits::{EditEngines, is_builtin_edit_id, run_on_record};
use super::{AppError, Registry};
use crate::core::abstracts::{PatientId, TumorId};
use crate::core::auth::Permission;
use crate::core::edits::definition::{
    DefinitionError, EditDef, EditTest, Expect, Located, Override, Severity,
};
use crate::core::edits::engine::{Outcome, RunCounts};
use crate::core::edits::lang::{CompileEnv, EditLevel, EvalEnv, Mode, Origin, compile};
use crate::core::problem::Problem;
use crate::store::abstracts as q;
use crate::store::custom_edits::{self as cq, CustomEditRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tumor or patient, as written in a custom edit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    /// Once per tumor.
    #[default]
    Tumor,
    /// Once per patient.
    Patient,
}

/// An example record of a custom edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomEditTest {
    /// pass, fail, skip or overridden.
    pub expect: Expect,
    /// Patient items.
    #[serde(default)]
    pub patient: BTreeMap<String, String>,
    /// Tumors' items.
    #[serde(default)]
    pub tumors: Vec<BTreeMap<String, String>>,
    /// The message expected when it fails.
    pub message: Option<String>,
    /// The first tumor carries a confirmation of the edit (for a confirmable edit).
    #[serde(default)]
    pub confirmed: bool,
}

/// A custom edit as written (the same fields as an edit file's `[[edit]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomEditDefinition {
    /// Unique id (not one of the built-in edits').
    pub id: String,
    /// Name.
    pub name: String,
    /// The standard's tag, if any.
    pub tag: Option<String>,
    /// Agency (the registry's own by default).
    pub agency: Option<String>,
    /// Where the logic comes from.
    pub source: Option<String>,
    /// tumor (default) or patient.
    #[serde(default)]
    pub level: LevelName,
    /// error or warning.
    pub severity: Severity,
    /// Sets it joins.
    #[serde(default)]
    pub sets: Vec<String>,
    /// Edits that must pass first.
    #[serde(default)]
    pub depends: Vec<String>,
    /// Over-ride flags that switch it off.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// When true, not checked.
    pub skip: Option<String>,
    /// True when the record passes.
    pub condition: String,
    /// Message with `{naaccrId}` placeholders.
    pub message: String,
    /// Items it concerns besides those it reads.
    #[serde(default)]
    pub items: Vec<String>,
    /// Example records.
    #[serde(default)]
    pub tests: Vec<CustomEditTest>,
    /// A failure may be confirmed per tumor with a reason (reported as overridden then).
    #[serde(default)]
    pub confirmable: bool,
}

impl CustomEditDefinition {
    /// The definition as the engine takes it.
    pub fn to_def(&self, version: i64) -> EditDef {
        let origin = Origin { line: 1, column: 1 };
        let located = |text: &str| Located {
            text: text.to_owned(),
            origin,
        };
        EditDef {
            id: self.id.clone(),
            name: self.name.clone(),
            tag: self.tag.clone(),
            agency: self.agency.clone(),
            source: self.source.clone(),
            level: match self.level {
                LevelName::Tumor => EditLevel::Tumor,
                LevelName::Patient => EditLevel::Patient,
            },
            severity: self.severity,
            sets: self.sets.clone(),
            depends: self.depends.clone(),
            overrides: self.overrides.clone(),
            skip: self.skip.as_deref().map(located),
            condition: located(&self.condition),
            message: located(&self.message),
            items: self.items.clone(),
            tests: self
                .tests
                .iter()
                .enumerate()
                .map(|(i, t)| EditTest {
                    expect: t.expect,
                    patient: t.patient.clone(),
                    tumors: t.tumors.clone(),
                    message: t.message.clone(),
                    confirmed: t.confirmed,
                    line: i + 1,
                })
                .collect(),
            versions: Vec::new(),
            confirmable: self.confirmable,
            file: format!("custom edit {} version {version}", self.id),
            line: 1,
        }
    }
}

/// One version of a custom edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEdit {
    /// As stored.
    pub row: CustomEditRow,
    /// Its definition.
    pub definition: CustomEditDefinition,
}

fn custom_of(row: CustomEditRow) -> Result<CustomEdit, AppError> {
    let definition = super::error::from_stored_json("custom edit", &row.definition)?;
    Ok(CustomEdit { row, definition })
}

/// One failure found by a test run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRunFailure {
    /// The patient.
    pub patient: PatientId,
    /// The tumor, for a tumor-level edit.
    pub tumor: Option<TumorId>,
    /// The message.
    pub message: String,
}

/// What a custom edit would find in the stored abstracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    /// Patients checked (those the caller may see).
    pub patients: u64,
    /// Records (patients or tumors) the edit was run on.
    pub checked: u64,
    /// Records that failed it.
    pub failed: u64,
    /// Records it skipped, or that an over-ride or a failed dependency kept from it.
    pub skipped: u64,
    /// The first failures.
    pub failures: Vec<TestRunFailure>,
}

/// Where in a custom edit a problem is, from its code.
fn field_of(code: &str) -> &'static str {
    match code {
        "unknown_set" => "sets",
        "unknown_dependency" | "dependency_cycle" | "dependency_level" => "depends",
        "bad_message_placeholder" => "message",
        "duplicate_edit" | "bad_edit_id" => "id",
        _ => "definition",
    }
}

fn problems_of(errors: Vec<DefinitionError>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|e| {
                let field = field_of(e.code);
                let mut p = Problem::new(e.code, e.message).for_item(field);
                p.record = e.edit.map(|id| format!("edit {id}"));
                p
            })
            .collect(),
    )
}

impl Registry {
    /// The active custom edits' definitions.
    fn active_custom_defs(
        conn: &mut crate::store::AnyConnection,
    ) -> Result<Vec<EditDef>, AppError> {
        cq::active_custom_edits(conn)?
            .into_iter()
            .map(|r| custom_of(r).map(|c| c.definition.to_def(c.row.version)))
            .collect()
    }

    /// Compiles the built-in edits with `custom` ones; every problem as an invalid request.
    fn compile_with(&self, custom: &[EditDef]) -> Result<Arc<EditEngines>, AppError> {
        EditEngines::with_extra(&self.dictionaries, custom)
            .map(Arc::new)
            .map_err(|e| problems_of(e.0))
    }

    /// Puts the active custom edits in service (at start). Returns how many.
    pub async fn load_custom_edits(&self) -> Result<usize, AppError> {
        let defs = self.db.run(Self::active_custom_defs).await?;
        let engines = self.compile_with(&defs)?;
        self.replace_edit_engines(engines)?;
        Ok(defs.len())
    }

    /// Checks a definition on its own: its id, each expression (with the field and position of
    /// every error), then with every other edit (`others`, the active custom edits but this
    /// one), then its own examples.
    fn check_definition(
        &self,
        definition: &CustomEditDefinition,
        others: &[EditDef],
    ) -> Result<(), AppError> {
        let id = definition.id.trim();
        if id.is_empty() || is_builtin_edit_id(id) || id.contains(char::is_whitespace) {
            return Err(AppError::invalid(
                Problem::new(
                    "bad_edit_id",
                    "the id is empty, has blanks, or is a built-in edit's",
                )
                .for_item("id"),
            ));
        }
        let engines = self.edit_engines()?;
        let engine = engines
            .engine(None)
            .ok_or_else(|| AppError::Internal("edits: no engine".into()))?;
        let resolver = |id: &str| engine.item(id);
        let level = match definition.level {
            LevelName::Tumor => EditLevel::Tumor,
            LevelName::Patient => EditLevel::Patient,
        };
        let env = CompileEnv::new(&resolver, engines.tables()).with_level(level);
        let mut problems = Vec::new();
        for (field, text) in [
            ("condition", Some(definition.condition.as_str())),
            ("skip", definition.skip.as_deref()),
        ] {
            let Some(text) = text else { continue };
            if let Err(errors) = compile(text, Mode::Condition, &env) {
                problems.extend(errors.iter().map(|e| e.to_problem().for_item(field)));
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let def = definition.to_def(0);
        let mut all: Vec<EditDef> = others.to_vec();
        all.push(def.clone());
        let candidate = self.compile_with(&all)?;
        let engine = candidate
            .engine(None)
            .ok_or_else(|| AppError::Internal("edits: no engine".into()))?;
        let today = EvalEnv::new(self.clock.now().date());
        for m in engine.check_examples(&def, &today) {
            problems.push(
                Problem::new("edit_test_failed", m.to_string())
                    .for_item(format!("tests[{}]", m.index)),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// Writes a new draft version of a custom edit (the first one creates it), after checking
    /// it compiles with every other edit and passes its own examples.
    pub async fn save_custom_edit(
        &self,
        ctx: &RequestContext,
        definition: CustomEditDefinition,
        note: Option<String>,
    ) -> Result<CustomEdit, AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("custom edit {}", definition.id)),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::ManageEdits,
            "custom_edit.save",
            facts,
            move |conn, facts| {
                let others: Vec<EditDef> = Self::active_custom_defs(conn)?
                    .into_iter()
                    .filter(|d| d.id != definition.id)
                    .collect();
                registry.check_definition(&definition, &others)?;
                let json = serde_json::to_string(&definition)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let row = cq::insert_custom_edit_version(
                    conn,
                    &definition.id,
                    &json,
                    note.as_deref(),
                    access.actor(),
                    now,
                )?;
                facts.id = Some(row.id);
                facts.detail = Some(format!(
                    "custom edit {} version {}",
                    row.edit_id, row.version
                ));
                custom_of(row)
            },
        )
        .await
    }

    /// Every version of a custom edit, oldest first.
    pub async fn custom_edit_versions(
        &self,
        ctx: &RequestContext,
        edit_id: String,
    ) -> Result<Vec<CustomEdit>, AppError> {
        self.audited(
            ctx,
            Permission::ManageEdits,
            "custom_edit.read",
            AuditFacts::default(),
            move |conn, _| {
                let rows = cq::custom_edit_versions(conn, &edit_id)?;
                if rows.is_empty() {
                    return Err(AppError::NoSuchEdit(edit_id));
                }
                rows.into_iter().map(custom_of).collect()
            },
        )
        .await
    }

    /// The latest version of every custom edit.
    pub async fn list_custom_edits(
        &self,
        ctx: &RequestContext,
    ) -> Result<Vec<CustomEdit>, AppError> {
        self.audited(
            ctx,
            Permission::ManageEdits,
            "custom_edit.list",
            AuditFacts::default(),
            move |conn, _| {
                cq::latest_custom_edits(conn)?
                    .into_iter()
                    .map(custom_of)
                    .collect()
            },
        )
        .await
    }

    /// Activates a version: the whole edit set is compiled with it first (refused, and the edits
    /// in service kept, when that fails), then it replaces the version active before.
    pub async fn activate_custom_edit(
        &self,
        ctx: &RequestContext,
        edit_id: String,
        version: i64,
    ) -> Result<CustomEdit, AppError> {
        self.change_custom_edit(ctx, edit_id, Some(version)).await
    }

    /// Retires the active version of a custom edit (refused when another edit depends on it).
    pub async fn retire_custom_edit(
        &self,
        ctx: &RequestContext,
        edit_id: String,
    ) -> Result<CustomEdit, AppError> {
        self.change_custom_edit(ctx, edit_id, None).await
    }

    async fn change_custom_edit(
        &self,
        ctx: &RequestContext,
        edit_id: String,
        activate: Option<i64>,
    ) -> Result<CustomEdit, AppError> {
        let registry = self.clone();
        let now = self.clock.now();
        let action = if activate.is_some() {
            "custom_edit.activate"
        } else {
            "custom_edit.retire"
        };
        let facts = AuditFacts {
            detail: Some(format!(
                "custom edit {edit_id}{}",
                activate
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default()
            )),
            ..AuditFacts::default()
        };
        let (edit, engines) = self
            .audited(
                ctx,
                Permission::ManageEdits,
                action,
                facts,
                move |conn, facts| {
                    let versions = cq::custom_edit_versions(conn, &edit_id)?;
                    let target = match activate {
                        Some(v) => versions.iter().find(|r| r.version == v),
                        None => versions.iter().find(|r| r.status == "active"),
                    }
                    .cloned()
                    .ok_or_else(|| {
                        AppError::NoSuchEdit(match activate {
                            Some(v) => format!("{edit_id} version {v}"),
                            None => format!("{edit_id} (active version)"),
                        })
                    })?;
                    facts.id = Some(target.id);
                    let mut defs: Vec<EditDef> = Self::active_custom_defs(conn)?
                        .into_iter()
                        .filter(|d| d.id != edit_id)
                        .collect();
                    let target = custom_of(target)?;
                    if activate.is_some() {
                        defs.push(target.definition.to_def(target.row.version));
                    }
                    // Compiled before anything changes: a failure leaves the edits in service.
                    let engines = registry.compile_with(&defs)?;
                    match activate {
                        Some(v) => cq::activate_custom_edit(conn, &edit_id, v, now)?,
                        None => {
                            cq::retire_custom_edit(conn, &edit_id, now)?;
                        }
                    }
                    let row = cq::custom_edit_versions(conn, &edit_id)?
                        .into_iter()
                        .find(|r| r.version == target.row.version)
                        .ok_or(AppError::Internal("custom edit vanished".into()))?;
                    Ok((custom_of(row)?, engines))
                },
            )
            .await?;
        self.replace_edit_engines(engines)?;
        Ok(edit)
    }

    /// Runs one version of a custom edit over the stored abstracts the caller may see, writing
    /// nothing: how many records it would fail, and the first `limit` failures.
    pub async fn test_run_custom_edit(
        &self,
        ctx: &RequestContext,
        edit_id: String,
        version: i64,
        limit: i64,
    ) -> Result<TestRun, AppError> {
        check_page_size(limit)?;
        let registry = self.clone();
        let access = Access::of(ctx);
        let today = EvalEnv::new(self.clock.now().date());
        let facts = AuditFacts {
            detail: Some(format!("custom edit {edit_id} version {version}")),
            ..AuditFacts::default()
        };
        // Reads every visible abstract: needs patient-data rights besides managing edits
        // (checked inside, so that a refusal is audited like any other).
        let reads_patients = ctx
            .principal
            .as_ref()
            .is_some_and(|p| p.role.allows(Permission::ReadPatientData))
            || ctx.system.is_some();
        self.audited(
            ctx,
            Permission::ManageEdits,
            "custom_edit.test_run",
            facts,
            move |conn, _| {
                if !reads_patients {
                    return Err(AppError::Forbidden {
                        reason: "a test run reads patient data".into(),
                    });
                }
                let row = cq::custom_edit_versions(conn, &edit_id)?
                    .into_iter()
                    .find(|r| r.version == version)
                    .ok_or_else(|| AppError::NoSuchEdit(format!("{edit_id} version {version}")))?;
                let candidate = custom_of(row)?;
                let mut defs: Vec<EditDef> = Self::active_custom_defs(conn)?
                    .into_iter()
                    .filter(|d| d.id != edit_id)
                    .collect();
                defs.push(candidate.definition.to_def(version));
                let engines = registry.compile_with(&defs)?;
                let filter = registry.scoped_filter(Default::default(), 500, &access)?;
                let mut run = TestRun {
                    patients: 0,
                    checked: 0,
                    failed: 0,
                    skipped: 0,
                    failures: Vec::new(),
                };
                let selections =
                    engines.select_in_each(|e| e.select_ids(&[edit_id.as_str()], false).ok());
                let mut after: Option<PatientId> = None;
                loop {
                    let patients = q::list_patients(conn, &filter, after, 500)?;
                    let page = with_tumors(conn, patients, access.scope())?;
                    let confirmations = super::edits::confirmations_of_page(conn, &page)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.patient.id);
                    for PatientWithTumors {
                        patient: p,
                        tumors: mine,
                        ..
                    } in page
                    {
                        let Some(engine) = engines.for_version(&p.dictionary_version) else {
                            continue;
                        };
                        let Some(selection) = selections.get(engine.version()) else {
                            continue;
                        };
                        let mut outcomes = Vec::new();
                        let failures = run_on_record(
                            engine,
                            selection,
                            &p,
                            &mine,
                            &confirmations,
                            &today,
                            &mut RunCounts::default(),
                            Some(&mut outcomes),
                        );
                        run.patients += 1;
                        for (_, _, o) in &outcomes {
                            run.checked += 1;
                            match o {
                                Outcome::Fail => run.failed += 1,
                                Outcome::Pass => {}
                                _ => run.skipped += 1,
                            }
                        }
                        for f in failures {
                            if run.failures.len() < limit as usize {
                                run.failures.push(TestRunFailure {
                                    patient: p.id,
                                    tumor: f.tumor.and_then(|t| mine.get(t)).map(|t| t.id),
                                    message: f.message,
                                });
                            }
                        }
                    }
                }
                Ok(run)
            },
        )
        .await
    }
}
