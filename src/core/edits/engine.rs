//! The edits engine: edit definitions compiled once against one dictionary version and its code
//! tables, then run over patients (with their tumors) as fast as the records can be laid out.
//!
//! Per patient, in order: every present item's single-field validity (`valid:<naaccrId>`: data
//! type, length, date, the dictionary's rules), then the patient-level edits, then for each
//! tumor the tumor-level edits (which see the tumor's items with the patient's behind them).
//! An edit is not run when an edit it depends on failed, was skipped or was not run itself, so
//! one bad item does not cascade into a dozen messages; an over-ride flag switches an edit off
//! (reported as overridden, not as a failure).
//!
//! What it must not do: read files or the clock (definitions, tables and "today" come in), or
//! allocate per item read (records are laid out in a reusable [`Frame`]).

use super::definition::{DefinitionError, EditDef, Located, SetDef, Severity};
use super::lang::{
    CompileEnv, CompileError, Compiled, EditLevel, ErrorKind, EvalEnv, ItemCatalog, ItemInfo, Mode,
    RecordView, Slot, compile,
};
use super::table::Tables;
use crate::core::naaccr::dictionary::{DictionarySet, ItemDef, ParentElement};
use crate::core::naaccr::value::{ValueProblem, validate_value_into};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Prefix of the id of an item's single-field validity check.
pub const VALIDITY_PREFIX: &str = "valid:";

/// What happened to one edit on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The condition held.
    Pass,
    /// The condition did not hold: its message is reported.
    Fail,
    /// Its skip condition held.
    Skip,
    /// An over-ride flag switched it off.
    Overridden,
    /// An edit it depends on failed, was skipped or was not run.
    NotRun,
}

impl Outcome {
    /// `pass`, `fail`, `skip`, `overridden`, `not-run`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Overridden => "overridden",
            Outcome::NotRun => "not-run",
        }
    }

    /// Whether edits that depend on this one may run.
    fn lets_dependents_run(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Overridden)
    }
}

/// One failed edit on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The edit's id.
    pub edit: Arc<str>,
    /// The edit's name.
    pub name: Arc<str>,
    /// Error or warning.
    pub severity: Severity,
    /// The message with the record's values put in.
    pub message: String,
    /// The items the edit concerns (NAACCR XML ids).
    pub items: Arc<[String]>,
    /// The tumor (0-based) for a tumor-level edit; none for a patient-level one.
    pub tumor: Option<usize>,
}

/// A part of a message: text, or the value of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Item(Slot),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dep {
    Edit(usize),
    Valid(Slot),
}

/// One compiled edit.
#[derive(Debug)]
struct CompiledEdit {
    id: Arc<str>,
    name: Arc<str>,
    severity: Severity,
    level: EditLevel,
    skip: Option<Compiled>,
    condition: Compiled,
    message: Vec<Segment>,
    items: Arc<[String]>,
    overrides: Vec<(Slot, Vec<String>)>,
    /// A failure may be confirmed per tumor (see [`Engine::confirm`]).
    confirmable: bool,
    deps: Vec<Dep>,
    /// Bit `i` set: the edit is in set `i`.
    sets: u64,
}

/// An edit compiled but not yet placed in run order: its definition, skip, condition, message.
type Pending<'a> = (&'a EditDef, Option<Compiled>, Compiled, Vec<Segment>);

/// Every edit's outcome on every record of a run: (edit, tumor, outcome).
pub type Outcomes = Vec<(Arc<str>, Option<usize>, Outcome)>;

/// Information about one edit of an engine, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tumor or patient.
    pub level: EditLevel,
    /// Error or warning.
    pub severity: Severity,
    /// The items it concerns.
    pub items: Vec<String>,
    /// The sets it is in.
    pub sets: Vec<String>,
    /// Whether a failure may be confirmed per tumor with a reason.
    pub confirmable: bool,
}

/// Which edits a run reports (and which it runs: those and what they depend on).
#[derive(Debug, Clone)]
pub struct Selection {
    run: Vec<bool>,
    report: Vec<bool>,
    validity: bool,
    name: String,
}

impl Selection {
    /// The set's (or selection's) name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many edits it reports (not counting the single-field validity checks).
    pub fn len(&self) -> usize {
        self.report.iter().filter(|r| **r).count()
    }

    /// True when it reports no edit and no validity check.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && !self.validity
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Edits evaluated (conditions; validity checks count one per item checked).
    pub checks: u64,
    /// Failures reported.
    pub failures: u64,
    /// Edits skipped by their skip condition.
    pub skipped: u64,
    /// Edits switched off by an over-ride flag.
    pub overridden: u64,
    /// Edits not run because one they depend on did not pass.
    pub not_run: u64,
}

/// The record layout: every dictionary item has a slot; values of the patient and of each
/// tumor are copied into one reusable text arena.
#[derive(Debug)]
struct Layout {
    catalog: ItemCatalog,
    /// By slot: the item's definition.
    defs: Vec<ItemDef>,
    /// By slot: true for tumor items.
    tumor_slot: Vec<bool>,
    /// By slot: the code table of a coded item (allowed-code check `codes:<naaccrId>`).
    codes: Vec<Option<CodeList>>,
}

/// The allowed codes of an item: a table whose first column holds them, with its index.
#[derive(Debug, Clone)]
struct CodeList {
    table: Arc<super::table::Table>,
    index: Arc<super::table::KeyIndex>,
    edit: Arc<str>,
    name: Arc<str>,
    items: Arc<[String]>,
}

/// A patient laid out for the engine, reused from patient to patient so that running edits
/// does not allocate per item.
#[derive(Debug, Default)]
pub struct Frame {
    arena: String,
    patient: Vec<(u32, u32)>,
    tumors: Vec<Vec<(u32, u32)>>,
    touched_patient: Vec<Slot>,
    touched_tumors: Vec<Vec<Slot>>,
    tumor_count: usize,
    /// Items the dictionary does not know, as (tumor, naaccrId); the reader reports them.
    unknown: usize,
    /// Confirmed failures of confirmable edits: (tumor, edit index).
    confirmed: Vec<(usize, usize)>,
}

impl Frame {
    fn text(&self, (start, len): (u32, u32)) -> &str {
        self.arena
            .get(start as usize..start as usize + len as usize)
            .unwrap_or("")
    }

    fn push(&mut self, value: &str) -> (u32, u32) {
        let start = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.arena.push_str(value);
        (start, u32::try_from(value.len()).unwrap_or(0))
    }
}

/// The edits of one dictionary version, compiled, with their sets.
#[derive(Debug)]
pub struct Engine {
    version: String,
    layout: Layout,
    edits: Vec<CompiledEdit>,
    sets: Vec<SetDef>,
    by_id: HashMap<String, usize>,
    /// Edits left out because they read items this version does not have.
    not_applicable: Vec<(String, String)>,
}

fn def_error(def: &EditDef, code: &'static str, message: String) -> DefinitionError {
    DefinitionError {
        file: def.file.clone(),
        line: def.line,
        column: 1,
        code,
        message,
        edit: Some(def.id.clone()),
    }
}

fn compile_error(def: &EditDef, e: &CompileError) -> DefinitionError {
    DefinitionError {
        file: def.file.clone(),
        line: e.line,
        column: e.column,
        code: e.kind.code(),
        message: format!("edit {}: {}", def.id, e.kind),
        edit: Some(def.id.clone()),
    }
}

/// Splits a message into text and `{naaccrId}` placeholders (`{{` and `}}` are braces).
fn parse_message(
    def: &EditDef,
    located: &Located,
    layout: &Layout,
) -> Result<Vec<Segment>, DefinitionError> {
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut chars = located.text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                let column =
                    located.origin.column + located.text.get(..at).map_or(0, |s| s.chars().count());
                let error = |message: String| DefinitionError {
                    file: def.file.clone(),
                    line: located.origin.line,
                    column,
                    code: "bad_message_placeholder",
                    message,
                    edit: Some(def.id.clone()),
                };
                if !closed {
                    return Err(error(format!(
                        "edit {}: the message has a '{{' without its '}}'",
                        def.id
                    )));
                }
                let Some(info) = layout.catalog.get(name.trim()) else {
                    return Err(error(format!(
                        "edit {}: the message names {{{name}}}, which is not an item of the dictionary",
                        def.id
                    )));
                };
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Item(info.slot));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

/// Sorts edits so that every edit comes after those it depends on; refuses cycles.
fn order(defs: &[&EditDef], index: &HashMap<&str, usize>) -> Result<Vec<usize>, DefinitionError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; defs.len()];
    let mut out = Vec::with_capacity(defs.len());
    // Iterative depth-first search: (edit, next dependency to visit).
    for start in 0..defs.len() {
        if marks.get(start) != Some(&Mark::New) {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        if let Some(m) = marks.get_mut(start) {
            *m = Mark::Open;
        }
        while let Some((node, next)) = stack.last().copied() {
            let Some(def) = defs.get(node) else { break };
            let dep = def
                .depends
                .get(next)
                .and_then(|d| index.get(d.as_str()).copied());
            if next < def.depends.len() {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let Some(dep) = dep else { continue };
                match marks.get(dep) {
                    Some(Mark::New) => {
                        if let Some(m) = marks.get_mut(dep) {
                            *m = Mark::Open;
                        }
                        stack.push((dep, 0));
                    }
                    Some(Mark::Open) => {
                        return Err(def_error(
                            def,
                            "dependency_cycle",
                            format!(
                                "edit {} depends, directly or not, on itself (through {})",
                                def.id,
                                defs.get(dep).map_or("?", |d| d.id.as_str())
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                if let Some(m) = marks.get_mut(node) {
                    *m = Mark::Done;
                }
                out.push(node);
                stack.pop();
            }
        }
    }
    Ok(out)
}

impl Engine {
    /// Compiles `defs` for the items of `dictionary`, with `tables` and `sets`. Every problem
    /// found is returned (syntax and type errors with their file, line and column; unknown sets,
    /// dependencies, over-ride items; cycles).
    ///
    /// With `strict` false, an edit whose only problem is an item this dictionary version does
    /// not have is left out (and listed by [`Engine::not_applicable`]) instead of refused: the
    /// built-in edits are written for the newest version and applied to older ones this way.
    pub fn build(
        defs: &[EditDef],
        sets: &[SetDef],
        dictionary: &DictionarySet,
        tables: &Tables,
        strict: bool,
    ) -> Result<Self, Vec<DefinitionError>> {
        Self::build_with_codes(defs, sets, dictionary, tables, &[], strict)
    }

    /// [`Engine::build`], with the allowed-code checks of coded items: `code_lists` pairs an
    /// item with the table whose first column holds its codes. The check (`codes:<naaccrId>`)
    /// runs with the item's validity, on present values only, and reports in the sets that
    /// report validity; an unknown item or table is left out (not every version has every
    /// item).
    pub fn build_with_codes(
        defs: &[EditDef],
        sets: &[SetDef],
        dictionary: &DictionarySet,
        tables: &Tables,
        code_lists: &[(String, String)],
        strict: bool,
    ) -> Result<Self, Vec<DefinitionError>> {
        let mut layout = Self::layout(dictionary);
        for (item, table) in code_lists {
            let (Some(info), Some(t)) = (layout.catalog.get(item), tables.get(table)) else {
                continue;
            };
            let name = layout
                .defs
                .get(info.slot as usize)
                .and_then(|d| d.naaccr_name.clone())
                .unwrap_or_else(|| item.clone());
            if let Some(slot) = layout.codes.get_mut(info.slot as usize) {
                *slot = Some(CodeList {
                    index: t.key_index(&[super::table::KeyPart::Exact(0)]),
                    table: t.clone(),
                    edit: Arc::from(format!("codes:{item}")),
                    name: Arc::from(format!("{name}: allowed codes")),
                    items: Arc::from(vec![item.clone()]),
                });
            }
        }
        let mut errors = Vec::new();
        if sets.len() > 64 {
            errors.push(DefinitionError {
                file: "sets".into(),
                line: 1,
                column: 1,
                code: "too_many_sets",
                message: "at most 64 edit sets".into(),
                edit: None,
            });
        }
        let set_bits: HashMap<&str, u64> = sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), 1u64 << (i % 64)))
            .collect();

        // Compile every edit; leave out those not applicable to this version.
        let mut seen: HashMap<&str, &EditDef> = HashMap::new();
        let mut compiled: Vec<Pending<'_>> = Vec::new();
        let mut not_applicable = Vec::new();
        for def in defs {
            if !def.versions.is_empty() && !def.versions.iter().any(|v| v == dictionary.version()) {
                not_applicable.push((
                    def.id.clone(),
                    format!("for NAACCR versions {} only", def.versions.join(", ")),
                ));
                continue;
            }
            if def.id.starts_with(VALIDITY_PREFIX) || def.id.trim().is_empty() {
                errors.push(def_error(
                    def,
                    "bad_edit_id",
                    format!("edit id '{}' is empty or reserved", def.id),
                ));
                continue;
            }
            if let Some(first) = seen.insert(def.id.as_str(), def) {
                errors.push(def_error(
                    def,
                    "duplicate_edit",
                    format!(
                        "edit {} is defined twice (also in {}, line {})",
                        def.id, first.file, first.line
                    ),
                ));
                continue;
            }
            let env = CompileEnv::new(&layout.catalog, tables).with_level(def.level);
            let compile_one =
                |l: &Located| compile(&l.text, Mode::Condition, &env.with_origin(l.origin));
            let condition = compile_one(&def.condition);
            let skip = def.skip.as_ref().map(compile_one).transpose();
            let mut errs: Vec<CompileError> = Vec::new();
            let condition = condition.map_err(|e| errs.extend(e)).ok();
            let skip = skip.map_err(|e| errs.extend(e)).ok().flatten();
            if !errs.is_empty() {
                let only_unknown_items = errs
                    .iter()
                    .all(|e| matches!(e.kind, ErrorKind::UnknownItem { .. }));
                if !strict && only_unknown_items {
                    not_applicable.push((
                        def.id.clone(),
                        errs.iter()
                            .map(|e| e.kind.to_string())
                            .collect::<Vec<_>>()
                            .join("; "),
                    ));
                } else {
                    errors.extend(errs.iter().map(|e| compile_error(def, e)));
                }
                continue;
            }
            let Some(condition) = condition else { continue };
            match parse_message(def, &def.message, &layout) {
                Ok(message) => compiled.push((def, skip, condition, message)),
                Err(e) if !strict => not_applicable.push((def.id.clone(), e.message)),
                Err(e) => errors.push(e),
            }
        }

        let defs_kept: Vec<&EditDef> = compiled.iter().map(|(d, ..)| *d).collect();
        let index: HashMap<&str, usize> = defs_kept
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let left_out: HashMap<&str, ()> = not_applicable
            .iter()
            .map(|(id, _)| (id.as_str(), ()))
            .collect();
        // Dependencies, sets, over-rides, items named.
        for def in &defs_kept {
            for d in &def.depends {
                if let Some(item) = d.strip_prefix(VALIDITY_PREFIX) {
                    if layout.catalog.get(item).is_none() && strict {
                        errors.push(def_error(
                            def,
                            "unknown_dependency",
                            format!("edit {} depends on {d}: no such item", def.id),
                        ));
                    }
                    continue;
                }
                match index.get(d.as_str()) {
                    Some(&i) => {
                        let dep_level = defs_kept.get(i).map(|x| x.level);
                        if def.level == EditLevel::Patient && dep_level == Some(EditLevel::Tumor) {
                            errors.push(def_error(
                                def,
                                "dependency_level",
                                format!(
                                    "patient-level edit {} cannot depend on tumor-level edit {d}",
                                    def.id
                                ),
                            ));
                        }
                    }
                    None if left_out.contains_key(d.as_str()) => {}
                    None => errors.push(def_error(
                        def,
                        "unknown_dependency",
                        format!("edit {} depends on {d}, which is not defined", def.id),
                    )),
                }
            }
            for s in &def.sets {
                if !set_bits.contains_key(s.as_str()) {
                    errors.push(def_error(
                        def,
                        "unknown_set",
                        format!("edit {} names the set {s}, which is not defined", def.id),
                    ));
                }
            }
            if def.confirmable && def.level != EditLevel::Tumor {
                errors.push(def_error(
                    def,
                    "confirmable_level",
                    format!(
                        "edit {}: only a tumor-level edit can be confirmable (a confirmation \
                         belongs to one tumor)",
                        def.id
                    ),
                ));
            }
            for o in &def.overrides {
                if layout.catalog.get(&o.item).is_none() && strict {
                    errors.push(def_error(
                        def,
                        "unknown_item",
                        format!(
                            "edit {}: over-ride item {} is not in the dictionary",
                            def.id, o.item
                        ),
                    ));
                }
            }
            for item in &def.items {
                if layout.catalog.get(item).is_none() && strict {
                    errors.push(def_error(
                        def,
                        "unknown_item",
                        format!(
                            "edit {} names item {item}, which is not in the dictionary",
                            def.id
                        ),
                    ));
                }
            }
        }
        let ordering = match order(&defs_kept, &index) {
            Ok(o) => o,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }

        // Lay the edits out in dependency order, patient-level edits first.
        let mut ordering = ordering;
        ordering.sort_by_key(|i| match defs_kept.get(*i).map(|d| d.level) {
            Some(EditLevel::Patient) => 0,
            _ => 1,
        });
        // A stable sort keeps the dependency order inside each level, and no patient-level edit
        // depends on a tumor-level one.
        let position: HashMap<usize, usize> = ordering
            .iter()
            .enumerate()
            .map(|(pos, i)| (*i, pos))
            .collect();
        let mut slots_taken: Vec<Option<Pending<'_>>> = compiled.into_iter().map(Some).collect();
        let mut edits = Vec::with_capacity(ordering.len());
        for i in &ordering {
            let Some(Some((def, skip, condition, message))) =
                slots_taken.get_mut(*i).map(Option::take)
            else {
                continue;
            };
            let mut items: Vec<String> = condition.items_read().to_vec();
            if let Some(s) = &skip {
                items.extend(s.items_read().iter().cloned());
            }
            items.extend(def.items.iter().cloned());
            items.sort();
            items.dedup();
            let deps = def
                .depends
                .iter()
                .filter_map(|d| match d.strip_prefix(VALIDITY_PREFIX) {
                    Some(item) => layout.catalog.get(item).map(|i| Dep::Valid(i.slot)),
                    None => index
                        .get(d.as_str())
                        .and_then(|k| position.get(k))
                        .map(|p| Dep::Edit(*p)),
                })
                .collect();
            let overrides = def
                .overrides
                .iter()
                .filter_map(|o| {
                    layout
                        .catalog
                        .get(&o.item)
                        .map(|i| (i.slot, o.values.clone()))
                })
                .collect();
            edits.push(CompiledEdit {
                id: Arc::from(def.id.as_str()),
                name: Arc::from(def.name.as_str()),
                severity: def.severity,
                level: def.level,
                skip,
                condition,
                message,
                items: Arc::from(items),
                overrides,
                confirmable: def.confirmable,
                deps,
                sets: def
                    .sets
                    .iter()
                    .filter_map(|s| set_bits.get(s.as_str()))
                    .fold(0, |a, b| a | b),
            });
        }
        let by_id = edits
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.to_string(), i))
            .collect();
        Ok(Self {
            version: dictionary.version().to_owned(),
            layout,
            edits,
            sets: sets.to_vec(),
            by_id,
            not_applicable,
        })
    }

    fn layout(dictionary: &DictionarySet) -> Layout {
        let mut catalog = ItemCatalog::new();
        let mut defs = Vec::new();
        let mut tumor_slot = Vec::new();
        for def in dictionary.items() {
            let slot = catalog.add(&def.naaccr_id, def.parent, def.data_type);
            if slot as usize == defs.len() {
                defs.push(def.clone());
                tumor_slot.push(def.parent == ParentElement::Tumor);
            }
        }
        let codes = vec![None; defs.len()];
        Layout {
            catalog,
            defs,
            tumor_slot,
            codes,
        }
    }

    /// The dictionary version the edits were compiled for.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// How many edits (besides the validity checks).
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// True when there is no edit.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Edits left out for this version (id, why).
    pub fn not_applicable(&self) -> &[(String, String)] {
        &self.not_applicable
    }

    /// The sets.
    pub fn sets(&self) -> &[SetDef] {
        &self.sets
    }

    /// The edits, in the order they run.
    pub fn edits(&self) -> Vec<EditInfo> {
        self.edits
            .iter()
            .map(|e| EditInfo {
                id: e.id.to_string(),
                name: e.name.to_string(),
                level: e.level,
                severity: e.severity,
                items: e.items.to_vec(),
                sets: self
                    .sets
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| e.sets & (1u64 << (i % 64)) != 0)
                    .map(|(_, s)| s.name.clone())
                    .collect(),
                confirmable: e.confirmable,
            })
            .collect()
    }

    /// The item with this id, as the compiler sees it.
    pub fn item(&self, naaccr_id: &str) -> Option<ItemInfo> {
        self.layout.catalog.get(naaccr_id)
    }

    /// The edits of set `name` (with the validity checks if the set says so), or `None` for
    /// an unknown set.
    pub fn select_set(&self, name: &str) -> Option<Selection> {
        let (i, set) = self.sets.iter().enumerate().find(|(_, s)| s.name == name)?;
        let bit = 1u64 << (i % 64);
        let report: Vec<bool> = self.edits.iter().map(|e| e.sets & bit != 0).collect();
        Some(self.selection(report, set.validity, name))
    }

    /// Every edit and the validity checks.
    pub fn select_all(&self) -> Selection {
        self.selection(vec![true; self.edits.len()], true, "all")
    }

    /// The edits with these ids (unknown ids are returned as the error).
    pub fn select_ids(&self, ids: &[&str], validity: bool) -> Result<Selection, Vec<String>> {
        let mut report = vec![false; self.edits.len()];
        let mut unknown = Vec::new();
        for id in ids {
            match self.by_id.get(*id).and_then(|i| report.get_mut(*i)) {
                Some(r) => *r = true,
                None => unknown.push((*id).to_owned()),
            }
        }
        if unknown.is_empty() {
            Ok(self.selection(report, validity, "selected"))
        } else {
            Err(unknown)
        }
    }

    fn selection(&self, report: Vec<bool>, validity: bool, name: &str) -> Selection {
        // What is reported runs, and so does everything it depends on (dependencies come
        // earlier in the order: one backward pass closes the set).
        let mut run = report.clone();
        for i in (0..self.edits.len()).rev() {
            if run.get(i) == Some(&true)
                && let Some(e) = self.edits.get(i)
            {
                for d in &e.deps {
                    if let Dep::Edit(j) = d
                        && let Some(r) = run.get_mut(*j)
                    {
                        *r = true;
                    }
                }
            }
        }
        Selection {
            run,
            report,
            validity,
            name: name.to_owned(),
        }
    }

    /// Records in `frame` (after [`Engine::load`]) that a person confirmed the failure of
    /// edit `edit` on tumor `tumor` (0-based): the edit is then reported as overridden there.
    /// False (and nothing recorded) when the edit is not in this engine or not confirmable.
    pub fn confirm(&self, frame: &mut Frame, tumor: usize, edit: &str) -> bool {
        match self.by_id.get(edit) {
            Some(&i) if self.edits.get(i).is_some_and(|e| e.confirmable) => {
                frame.confirmed.push((tumor, i));
                true
            }
            _ => false,
        }
    }

    /// Whether `edit` is one of this engine's confirmable edits.
    pub fn is_confirmable(&self, edit: &str) -> bool {
        self.by_id
            .get(edit)
            .and_then(|&i| self.edits.get(i))
            .is_some_and(|e| e.confirmable)
    }

    /// A new frame for this engine's layout.
    pub fn frame(&self) -> Frame {
        Frame {
            patient: vec![(0, 0); self.layout.defs.len()],
            ..Frame::default()
        }
    }

    /// Lays a patient out in `frame`: `patient` items, then each tumor's items. Items the
    /// dictionary does not know are counted and left out.
    pub fn load<'a, P, T, I>(&self, frame: &mut Frame, patient: P, tumors: T)
    where
        P: IntoIterator<Item = (&'a str, &'a str)>,
        T: IntoIterator<Item = I>,
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        frame.arena.clear();
        let n = self.layout.defs.len();
        if frame.patient.len() != n {
            frame.patient = vec![(0, 0); n];
            frame.touched_patient.clear();
        }
        for slot in std::mem::take(&mut frame.touched_patient) {
            if let Some(v) = frame.patient.get_mut(slot as usize) {
                *v = (0, 0);
            }
        }
        for t in 0..frame.tumor_count {
            let touched = frame
                .touched_tumors
                .get_mut(t)
                .map(std::mem::take)
                .unwrap_or_default();
            if let Some(values) = frame.tumors.get_mut(t) {
                for slot in touched {
                    if let Some(v) = values.get_mut(slot as usize) {
                        *v = (0, 0);
                    }
                }
            }
        }
        frame.tumor_count = 0;
        frame.unknown = 0;
        frame.confirmed.clear();
        for (id, value) in patient {
            match self.layout.catalog.get(id) {
                Some(info) if !value.is_empty() => {
                    let range = frame.push(value);
                    if let Some(v) = frame.patient.get_mut(info.slot as usize) {
                        *v = range;
                        frame.touched_patient.push(info.slot);
                    }
                }
                Some(_) => {}
                None => frame.unknown += 1,
            }
        }
        for tumor in tumors {
            let t = frame.tumor_count;
            frame.tumor_count += 1;
            if frame.tumors.len() <= t {
                frame.tumors.push(vec![(0, 0); n]);
                frame.touched_tumors.push(Vec::new());
            }
            for (id, value) in tumor {
                match self.layout.catalog.get(id) {
                    Some(info) if !value.is_empty() => {
                        let range = frame.push(value);
                        if let Some(v) = frame
                            .tumors
                            .get_mut(t)
                            .and_then(|values| values.get_mut(info.slot as usize))
                        {
                            *v = range;
                            if let Some(touched) = frame.touched_tumors.get_mut(t) {
                                touched.push(info.slot);
                            }
                        }
                    }
                    Some(_) => {}
                    None => frame.unknown += 1,
                }
            }
        }
    }

    /// Runs `selection` over the patient laid out in `frame`: failures are appended to `out`,
    /// counts added to `counts`. `outcomes`, when given, receives every edit's outcome per
    /// record (tumor `None` for patient-level edits), for tests and test runs.
    pub fn run(
        &self,
        frame: &Frame,
        selection: &Selection,
        env: &EvalEnv,
        out: &mut Vec<Failure>,
        counts: &mut RunCounts,
        mut outcomes: Option<&mut Outcomes>,
    ) {
        let tumor_count = frame.tumor_count;
        // Single-field validity: failed slots per record (patient, then each tumor).
        let mut invalid_patient: Vec<Slot> = Vec::new();
        let mut invalid_tumors: Vec<Vec<Slot>> = vec![Vec::new(); tumor_count];
        let mut problems: Vec<ValueProblem> = Vec::new();
        let mut check = |slot: Slot, value: &str, tumor: Option<usize>, out: &mut Vec<Failure>| {
            let Some(def) = self.layout.defs.get(slot as usize) else {
                return false;
            };
            problems.clear();
            validate_value_into(def, value, &mut problems);
            counts.checks += 1;
            if problems.is_empty() {
                let Some(code) = self
                    .layout
                    .codes
                    .get(slot as usize)
                    .and_then(Option::as_ref)
                else {
                    return false;
                };
                counts.checks += 1;
                if code.index.any_match(&code.table, &[value.trim()]) {
                    return false;
                }
                // Reported only in sets that report validity; there it also keeps the edits that
                // depend on the item from running (one bad code, one message). Elsewhere those
                // edits run and report it themselves (the IARC topography check).
                if !selection.validity {
                    return false;
                }
                counts.failures += 1;
                out.push(Failure {
                    edit: code.edit.clone(),
                    name: code.name.clone(),
                    severity: Severity::Error,
                    message: format!(
                        "{}: {value} is not one of the item's codes",
                        def.naaccr_name.as_deref().unwrap_or(&def.naaccr_id)
                    ),
                    items: code.items.clone(),
                    tumor,
                });
                return true;
            }
            if selection.validity {
                let name = def
                    .naaccr_name
                    .clone()
                    .unwrap_or_else(|| def.naaccr_id.clone());
                for p in problems.drain(..) {
                    counts.failures += 1;
                    out.push(Failure {
                        edit: Arc::from(format!("{VALIDITY_PREFIX}{}", def.naaccr_id)),
                        name: Arc::from(format!("{name} [{}]: valid value", def.naaccr_num)),
                        severity: Severity::Error,
                        message: p.to_string(),
                        items: Arc::from(vec![def.naaccr_id.clone()]),
                        tumor,
                    });
                }
            }
            true
        };
        for slot in &frame.touched_patient {
            let value = frame.text(frame.patient.get(*slot as usize).copied().unwrap_or((0, 0)));
            if check(*slot, value, None, out) {
                invalid_patient.push(*slot);
            }
        }
        for t in 0..tumor_count {
            for slot in frame.touched_tumors.get(t).into_iter().flatten() {
                let value = frame.text(
                    frame
                        .tumors
                        .get(t)
                        .and_then(|v| v.get(*slot as usize))
                        .copied()
                        .unwrap_or((0, 0)),
                );
                if check(*slot, value, Some(t), out)
                    && let Some(list) = invalid_tumors.get_mut(t)
                {
                    list.push(*slot);
                }
            }
        }

        let mut status = vec![Outcome::NotRun; self.edits.len()];
        let patient_view = PatientView {
            frame,
            layout: &self.layout,
        };
        let mut run_edit = |i: usize,
                            e: &CompiledEdit,
                            view: &dyn RecordView,
                            tumor: Option<usize>,
                            status: &mut Vec<Outcome>,
                            invalid: &dyn Fn(Slot) -> bool,
                            out: &mut Vec<Failure>| {
            let deps_ok = e.deps.iter().all(|d| match d {
                Dep::Edit(j) => status.get(*j).is_some_and(|o| o.lets_dependents_run()),
                Dep::Valid(slot) => !invalid(*slot),
            });
            let outcome = if !deps_ok {
                counts.not_run += 1;
                Outcome::NotRun
            } else if e
                .overrides
                .iter()
                .any(|(slot, values)| values.iter().any(|v| v == view.value(*slot)))
            {
                counts.overridden += 1;
                Outcome::Overridden
            } else if e.skip.as_ref().is_some_and(|s| s.passes(view, env)) {
                counts.skipped += 1;
                Outcome::Skip
            } else {
                counts.checks += 1;
                if e.condition.passes(view, env) {
                    Outcome::Pass
                } else if e.confirmable && tumor.is_some_and(|t| frame.confirmed.contains(&(t, i)))
                {
                    counts.overridden += 1;
                    Outcome::Overridden
                } else {
                    Outcome::Fail
                }
            };
            if let Some(s) = status.get_mut(i) {
                *s = outcome;
            }
            if outcome == Outcome::Fail && selection.report.get(i) == Some(&true) {
                counts.failures += 1;
                out.push(Failure {
                    edit: e.id.clone(),
                    name: e.name.clone(),
                    severity: e.severity,
                    message: render(&e.message, view),
                    items: e.items.clone(),
                    tumor,
                });
            }
            if selection.report.get(i) == Some(&true)
                && let Some(o) = outcomes.as_deref_mut()
            {
                o.push((e.id.clone(), tumor, outcome));
            }
        };
        let first_tumor_edit = self
            .edits
            .iter()
            .position(|e| e.level == EditLevel::Tumor)
            .unwrap_or(self.edits.len());
        let invalid_p = |slot: Slot| invalid_patient.contains(&slot);
        for (i, e) in self.edits.iter().enumerate().take(first_tumor_edit) {
            if selection.run.get(i) == Some(&true) {
                run_edit(i, e, &patient_view, None, &mut status, &invalid_p, out);
            }
        }
        let patient_status = status.clone();
        for t in 0..tumor_count {
            status.clone_from(&patient_status);
            let view = TumorView {
                frame,
                layout: &self.layout,
                tumor: t,
            };
            let invalid_t = |slot: Slot| {
                invalid_patient.contains(&slot)
                    || invalid_tumors.get(t).is_some_and(|l| l.contains(&slot))
            };
            for (i, e) in self.edits.iter().enumerate().skip(first_tumor_edit) {
                if selection.run.get(i) == Some(&true) {
                    run_edit(i, e, &view, Some(t), &mut status, &invalid_t, out);
                }
            }
        }
    }
}

/// An example of an edit that did not give what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleMismatch {
    /// 0-based position of the example in the edit.
    pub index: usize,
    /// Its line in the edit's file.
    pub line: usize,
    /// The outcome it expects.
    pub expected: Outcome,
    /// The outcome it got (none: the edit did not run on it).
    pub got: Option<Outcome>,
    /// The message it expects, when that is what differs.
    pub expected_message: Option<String>,
    /// The message it got then.
    pub got_message: Option<String>,
}

impl Engine {
    /// Runs the examples of `def` (an edit of this engine) and returns those that do not give
    /// their expected outcome and message. Only the edit itself is reported on (what it depends
    /// on runs, as in any run).
    pub fn check_examples(&self, def: &EditDef, env: &EvalEnv) -> Vec<ExampleMismatch> {
        let Ok(selection) = self.select_ids(&[def.id.as_str()], false) else {
            return Vec::new();
        };
        let mut frame = self.frame();
        let mut mismatches = Vec::new();
        for (index, test) in def.tests.iter().enumerate() {
            self.load(
                &mut frame,
                test.patient.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                test.tumors
                    .iter()
                    .map(|t| t.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
            if test.confirmed {
                self.confirm(&mut frame, 0, &def.id);
            }
            let mut failures = Vec::new();
            let mut outcomes = Vec::new();
            self.run(
                &frame,
                &selection,
                env,
                &mut failures,
                &mut RunCounts::default(),
                Some(&mut outcomes),
            );
            let tumor = (def.level == EditLevel::Tumor).then_some(0);
            let got = outcomes
                .iter()
                .find(|(e, t, _)| **e == *def.id && *t == tumor)
                .map(|(_, _, o)| *o);
            let expected = match test.expect {
                super::definition::Expect::Pass => Outcome::Pass,
                super::definition::Expect::Fail => Outcome::Fail,
                super::definition::Expect::Skip => Outcome::Skip,
                super::definition::Expect::Overridden => Outcome::Overridden,
            };
            let got_message = failures
                .iter()
                .find(|f| *f.edit == *def.id && f.tumor == tumor)
                .map(|f| f.message.clone());
            let message_differs = test
                .message
                .as_ref()
                .is_some_and(|m| got_message.as_ref() != Some(m));
            if got != Some(expected) || message_differs {
                mismatches.push(ExampleMismatch {
                    index,
                    line: test.line,
                    expected,
                    got,
                    expected_message: test.message.clone().filter(|_| message_differs),
                    got_message: got_message.filter(|_| message_differs),
                });
            }
        }
        mismatches
    }
}

impl std::fmt::Display for ExampleMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "example {} (line {}): expected {}, got {}",
            self.index + 1,
            self.line,
            self.expected.as_str(),
            self.got.map_or("nothing (not run)", Outcome::as_str)
        )?;
        if let Some(m) = &self.expected_message {
            write!(
                f,
                " with the message {m:?}, got {:?}",
                self.got_message.as_deref().unwrap_or("")
            )?;
        }
        Ok(())
    }
}

fn render(segments: &[Segment], view: &dyn RecordView) -> String {
    let mut s = String::new();
    for seg in segments {
        match seg {
            Segment::Text(t) => s.push_str(t),
            Segment::Item(slot) => s.push_str(view.value(*slot)),
        }
    }
    s
}

/// A patient-level edit's view: the patient's items; tumors through quantifiers.
struct PatientView<'a> {
    frame: &'a Frame,
    layout: &'a Layout,
}

impl RecordView for PatientView<'_> {
    fn value(&self, slot: Slot) -> &str {
        self.frame
            .patient
            .get(slot as usize)
            .map_or("", |r| self.frame.text(*r))
    }

    fn tumor_count(&self) -> usize {
        self.frame.tumor_count
    }

    fn tumor_value(&self, tumor: usize, slot: Slot) -> &str {
        tumor_value(self.frame, self.layout, tumor, slot)
    }
}

fn tumor_value<'a>(frame: &'a Frame, layout: &Layout, tumor: usize, slot: Slot) -> &'a str {
    if layout.tumor_slot.get(slot as usize) == Some(&true) {
        frame
            .tumors
            .get(tumor)
            .filter(|_| tumor < frame.tumor_count)
            .and_then(|v| v.get(slot as usize))
            .map_or("", |r| frame.text(*r))
    } else {
        frame
            .patient
            .get(slot as usize)
            .map_or("", |r| frame.text(*r))
    }
}

/// A tumor-level edit's view: the tumor's items, the patient's behind them.
struct TumorView<'a> {
    frame: &'a Frame,
    layout: &'a Layout,
    tumor: usize,
}

impl RecordView for TumorView<'_> {
    fn value(&self, slot: Slot) -> &str {
        tumor_value(self.frame, self.layout, self.tumor, slot)
    }

    fn tumor_count(&self) -> usize {
        self.frame.tumor_count
    }

    fn tumor_value(&self, tumor: usize, slot: Slot) -> &str {
        tumor_value(self.frame, self.layout, tumor, slot)
    }
}

/// Failures counted by edit, for summaries.
pub fn count_by_edit(failures: &[Failure]) -> BTreeMap<(Arc<str>, Arc<str>), u64> {
    let mut counts = BTreeMap::new();
    for f in failures {
        *counts.entry((f.edit.clone(), f.name.clone())).or_default() += 1;
    }
    counts
}
