//! Use cases on abstracts: create, read, change, list, search, history, revert, delete.
//!
//! Every write runs in one transaction that first checks the caller's version, then validates,
//! then writes the record and its history row together: a request is applied whole or not at all.

use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::edits::EditReport;
use super::search::{FilterInput, PersonInput};
use super::versioned::{Versioned, load, load_visible, load_writable, lost_race};
use super::{AppError, Registry};
use crate::core::abstracts::{
    EntityKind, ItemChange, ItemInput, ItemMap, PatientId, PatientRecord, RowVersion, TumorId,
    TumorRecord, VersionAction, VersionEntry, apply_patch, diff, replay, validate_new_items,
};
use crate::core::auth::{FacilityScope, Permission, Role};
use crate::core::naaccr::{DictionarySet, ParentElement};
use crate::core::problem::Problem;
use crate::store::AnyConnection;
use crate::store::abstracts::{self as q, NewVersion, TumorFilter};
use chrono::NaiveDateTime;
use std::sync::Arc;

/// Items as they arrive: (naaccrId, value) in the order sent.
pub type ItemsInput = Vec<(String, ItemInput)>;

/// A new patient, optionally with its tumors.
#[derive(Debug, Clone, Default)]
pub struct NewPatient {
    /// NAACCR version to validate against; the default version when absent.
    pub dictionary_version: Option<String>,
    /// Patient-level items.
    pub items: ItemsInput,
    /// Each tumor's items.
    pub tumors: Vec<ItemsInput>,
}

/// A change to a record's items (merge-patch: null or "" removes an item).
#[derive(Debug, Clone, Default)]
pub struct Patch {
    /// Move the record to this NAACCR version (all its items are then re-checked).
    pub dictionary_version: Option<String>,
    /// The items to set or remove.
    pub items: ItemsInput,
}

/// A patient and its tumors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientWithTumors {
    /// The patient.
    pub patient: PatientRecord,
    /// Its tumors, in id order.
    pub tumors: Vec<TumorRecord>,
    /// What the edit set run on save found (in the answer to a save only).
    pub edits: Option<EditReport>,
}

/// A record as saved, with what the edit set run on save found on its patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved<R> {
    /// The record.
    pub record: R,
    /// The edits' findings (none when no set runs on save, or nothing was changed).
    pub edits: Option<EditReport>,
}

/// One page of a listing, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// The id to pass as `after` for the next page; none on the last page.
    pub next_after: Option<i64>,
}

/// Page sizes a listing accepts.
pub const PAGE_SIZES: std::ops::RangeInclusive<i64> = 1..=500;

/// The longest reason accepted for a delete or revert.
const MAX_REASON_CHARS: usize = 1_000;

impl Registry {
    pub(crate) fn dictionary(&self, version: Option<&str>) -> Result<Arc<DictionarySet>, AppError> {
        let version = version.unwrap_or(self.dictionaries.default_version());
        self.dictionaries.get(version).cloned().ok_or_else(|| {
            AppError::invalid(
                Problem::new(
                    "unknown_dictionary_version",
                    format!(
                        "NAACCR dictionary version '{}' is not known here; known: {}",
                        version.chars().take(16).collect::<String>(),
                        self.dictionaries.versions().join(", ")
                    ),
                )
                .for_item("dictionaryVersion"),
            )
        })
    }

    /// Creates a patient with its tumors, each at version 1 with a `create` history row. A
    /// registrar's new patient needs at least one tumor, all of them of the registrar's
    /// facilities.
    pub async fn create_patient(
        &self,
        ctx: &RequestContext,
        new: NewPatient,
    ) -> Result<PatientWithTumors, AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            kind: Some(EntityKind::Patient),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::WritePatientData,
            "patient.create",
            facts,
            move |conn, facts| {
                let dict = registry.dictionary(new.dictionary_version.as_deref())?;
                let mut problems = Vec::new();
                let patient_items =
                    validate_new_items(&dict, ParentElement::Patient, &new.items, "patient")
                        .map_err(|p| problems.extend(p))
                        .ok();
                let mut tumor_items = Vec::with_capacity(new.tumors.len());
                for (i, t) in new.tumors.iter().enumerate() {
                    match validate_new_items(
                        &dict,
                        ParentElement::Tumor,
                        t,
                        &format!("tumors[{i}]"),
                    ) {
                        Ok(items) => tumor_items.push(items),
                        Err(p) => problems.extend(p),
                    }
                }
                let patient_items = match patient_items {
                    Some(items) if problems.is_empty() => items,
                    _ => return Err(AppError::Invalid(problems)),
                };
                if access.registrar && tumor_items.is_empty() {
                    return Err(AppError::Forbidden {
                        reason:
                            "a registrar's new patient needs a tumor of one of their facilities"
                                .into(),
                    });
                }
                for t in &tumor_items {
                    access.check_new_tumor(t)?;
                }
                let stamp = access.stamp(now);
                let (id, tumor_ids) = insert_new_abstract(
                    conn,
                    dict.version(),
                    &patient_items,
                    &tumor_items,
                    &stamp,
                )?;
                facts.id = Some(id.0);
                facts.items = patient_items.keys().cloned().collect();
                if !tumor_ids.is_empty() {
                    facts.detail = Some(format!(
                        "tumors created: {}",
                        tumor_ids
                            .iter()
                            .map(|t| t.0.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                }
                let patient = load::<PatientRecord>(conn, id)?;
                let mut saved = with_own_tumors(conn, patient, false, &access.scope)?;
                saved.edits = registry.edits_on_save(conn, id, &access.scope)?;
                Ok(saved)
            },
        )
        .await
    }

    /// Adds a tumor to a live patient.
    pub async fn create_tumor(
        &self,
        ctx: &RequestContext,
        patient: PatientId,
        dictionary_version: Option<String>,
        items: ItemsInput,
    ) -> Result<Saved<TumorRecord>, AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            kind: Some(EntityKind::Tumor),
            detail: Some(format!("patient {}", patient.0)),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::WritePatientData,
            "tumor.create",
            facts,
            move |conn, facts| {
                let p: PatientRecord = load_visible(conn, patient, &access.scope)?;
                if p.tombstone.is_some() {
                    return Err(AppError::Deleted {
                        kind: EntityKind::Patient,
                        id: patient.0,
                    });
                }
                let dict = registry.dictionary(dictionary_version.as_deref())?;
                let items = validate_new_items(&dict, ParentElement::Tumor, &items, "tumor")
                    .map_err(AppError::Invalid)?;
                access.check_new_tumor(&items)?;
                let id = insert_tumor_with_history(
                    conn,
                    patient,
                    dict.version(),
                    &items,
                    &access.stamp(now),
                )?;
                facts.id = Some(id.0);
                facts.items = items.keys().cloned().collect();
                let record = load::<TumorRecord>(conn, id)?;
                let edits = registry.edits_on_save(conn, patient, &access.scope)?;
                Ok(Saved { record, edits })
            },
        )
        .await
    }

    /// A patient with its tumors (soft-deleted tumors only when asked). A registrar sees only
    /// the tumors of their facilities.
    pub async fn get_patient(
        &self,
        ctx: &RequestContext,
        id: PatientId,
        include_deleted_tumors: bool,
    ) -> Result<PatientWithTumors, AppError> {
        let access = Access::of(ctx);
        let facts = AuditFacts::about(EntityKind::Patient, id.0);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "patient.read",
            facts,
            move |conn, _| {
                let patient: PatientRecord = load_visible(conn, id, &access.scope)?;
                with_own_tumors(conn, patient, include_deleted_tumors, &access.scope)
            },
        )
        .await
    }

    /// A tumor.
    pub async fn get_tumor(
        &self,
        ctx: &RequestContext,
        id: TumorId,
    ) -> Result<TumorRecord, AppError> {
        let access = Access::of(ctx);
        let facts = AuditFacts::about(EntityKind::Tumor, id.0);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "tumor.read",
            facts,
            move |conn, _| load_visible::<TumorRecord>(conn, id, &access.scope),
        )
        .await
    }

    /// Applies a patch to a patient read at version `expected`.
    pub async fn update_patient(
        &self,
        ctx: &RequestContext,
        id: PatientId,
        expected: RowVersion,
        patch: Patch,
    ) -> Result<Saved<PatientRecord>, AppError> {
        self.update_record::<PatientRecord>(ctx, id, expected, patch)
            .await
    }

    /// Applies a patch to a tumor read at version `expected`.
    pub async fn update_tumor(
        &self,
        ctx: &RequestContext,
        id: TumorId,
        expected: RowVersion,
        patch: Patch,
    ) -> Result<Saved<TumorRecord>, AppError> {
        self.update_record::<TumorRecord>(ctx, id, expected, patch)
            .await
    }

    async fn update_record<R: Versioned>(
        &self,
        ctx: &RequestContext,
        id: R::Id,
        expected: RowVersion,
        patch: Patch,
    ) -> Result<Saved<R>, AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts::about(R::KIND, R::raw_id(id));
        self.audited(
            ctx,
            Permission::WritePatientData,
            R::UPDATE_ACTION,
            facts,
            move |conn, facts| {
                let current: R = load_writable(conn, id, expected, &access.scope)?;
                let (version, items) = registry.patched(
                    current.dictionary_version(),
                    current.items(),
                    &patch,
                    R::LEVEL,
                )?;
                access.check_fixed_item::<R>(current.items(), &items)?;
                let changes = diff(current.items(), &items);
                if changes.is_empty() && version == current.dictionary_version() {
                    return Ok(Saved {
                        record: current,
                        edits: None,
                    });
                }
                facts.items = changes.iter().map(|c| c.item.clone()).collect();
                let change = Change {
                    action: VersionAction::Update,
                    dictionary_version: &version,
                    write: Write::Items(&items),
                    changes: &changes,
                    reason: None,
                };
                let record = write_change::<R>(conn, id, expected, &change, &access.stamp(now))?;
                let edits = registry.edits_on_save(conn, record.patient(), &access.scope)?;
                Ok(Saved { record, edits })
            },
        )
        .await
    }

    /// The items after `patch`, and the dictionary version they were checked against. Moving to
    /// another dictionary version re-checks every item under the new version.
    fn patched(
        &self,
        current_version: &str,
        current: &ItemMap,
        patch: &Patch,
        level: ParentElement,
    ) -> Result<(String, ItemMap), AppError> {
        let record = match level {
            ParentElement::Patient => "patient",
            _ => "tumor",
        };
        match patch.dictionary_version.as_deref() {
            Some(v) if v != current_version => {
                let dict = self.dictionary(Some(v))?;
                let mut all: ItemsInput = current
                    .iter()
                    .map(|(k, v)| (k.clone(), ItemInput::Text(v.clone())))
                    .collect();
                all.retain(|(k, _)| !patch.items.iter().any(|(p, _)| p == k));
                all.extend(patch.items.iter().cloned());
                let items =
                    validate_new_items(&dict, level, &all, record).map_err(AppError::Invalid)?;
                Ok((dict.version().to_owned(), items))
            }
            _ => {
                let dict = self.dictionary(Some(current_version))?;
                let items = apply_patch(&dict, level, current, &patch.items, record)
                    .map_err(AppError::Invalid)?;
                Ok((current_version.to_owned(), items))
            }
        }
    }

    /// Soft-deletes a patient read at version `expected`: a tombstone with the reason.
    pub async fn delete_patient(
        &self,
        ctx: &RequestContext,
        id: PatientId,
        expected: RowVersion,
        reason: String,
    ) -> Result<PatientRecord, AppError> {
        self.delete_record::<PatientRecord>(ctx, id, expected, reason)
            .await
    }

    /// Soft-deletes a tumor read at version `expected`: a tombstone with the reason.
    pub async fn delete_tumor(
        &self,
        ctx: &RequestContext,
        id: TumorId,
        expected: RowVersion,
        reason: String,
    ) -> Result<TumorRecord, AppError> {
        self.delete_record::<TumorRecord>(ctx, id, expected, reason)
            .await
    }

    async fn delete_record<R: Versioned>(
        &self,
        ctx: &RequestContext,
        id: R::Id,
        expected: RowVersion,
        reason: String,
    ) -> Result<R, AppError> {
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts::about(R::KIND, R::raw_id(id));
        self.audited(
            ctx,
            Permission::WritePatientData,
            R::DELETE_ACTION,
            facts,
            move |conn, _| {
                let reason = checked_reason(&reason)?;
                let current: R = load_writable(conn, id, expected, &access.scope)?;
                let change = Change {
                    action: VersionAction::Delete,
                    dictionary_version: current.dictionary_version(),
                    write: Write::Tombstone(&reason),
                    changes: &[],
                    reason: Some(&reason),
                };
                write_change::<R>(conn, id, expected, &change, &access.stamp(now))
            },
        )
        .await
    }

    /// The full history of a patient or tumor, oldest first.
    pub async fn history(
        &self,
        ctx: &RequestContext,
        kind: EntityKind,
        id: i64,
    ) -> Result<Vec<VersionEntry>, AppError> {
        let access = Access::of(ctx);
        let action = match kind {
            EntityKind::Patient => "patient.history",
            EntityKind::Tumor => "tumor.history",
        };
        let facts = AuditFacts::about(kind, id);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            action,
            facts,
            move |conn, _| {
                match kind {
                    EntityKind::Patient => {
                        load_visible::<PatientRecord>(conn, PatientId(id), &access.scope)?;
                    }
                    EntityKind::Tumor => {
                        load_visible::<TumorRecord>(conn, TumorId(id), &access.scope)?;
                    }
                }
                Ok(q::history_of(conn, kind, id)?)
            },
        )
        .await
    }

    /// Sets a patient back to the items it had at version `to`, as a new `revert` version.
    pub async fn revert_patient(
        &self,
        ctx: &RequestContext,
        id: PatientId,
        expected: RowVersion,
        to: RowVersion,
    ) -> Result<PatientRecord, AppError> {
        self.revert_record::<PatientRecord>(ctx, id, expected, to)
            .await
    }

    /// Sets a tumor back to the items it had at version `to`, as a new `revert` version.
    pub async fn revert_tumor(
        &self,
        ctx: &RequestContext,
        id: TumorId,
        expected: RowVersion,
        to: RowVersion,
    ) -> Result<TumorRecord, AppError> {
        self.revert_record::<TumorRecord>(ctx, id, expected, to)
            .await
    }

    async fn revert_record<R: Versioned>(
        &self,
        ctx: &RequestContext,
        id: R::Id,
        expected: RowVersion,
        to: RowVersion,
    ) -> Result<R, AppError> {
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts::about(R::KIND, R::raw_id(id));
        self.audited(
            ctx,
            Permission::WritePatientData,
            R::REVERT_ACTION,
            facts,
            move |conn, facts| {
                let current: R = load_writable(conn, id, expected, &access.scope)?;
                let (version, items) =
                    state_at(conn, R::KIND, R::raw_id(id), to, current.version())?;
                access.check_fixed_item::<R>(current.items(), &items)?;
                let changes = diff(current.items(), &items);
                facts.items = changes.iter().map(|c| c.item.clone()).collect();
                let reason = format!("reverted to version {to}");
                let change = Change {
                    action: VersionAction::Revert,
                    dictionary_version: &version,
                    write: Write::Items(&items),
                    changes: &changes,
                    reason: Some(&reason),
                };
                write_change::<R>(conn, id, expected, &change, &access.stamp(now))
            },
        )
        .await
    }

    /// One page of live patients with their live tumors, filtered by their tumors (and, for a
    /// registrar, by their facilities).
    pub async fn list_patients(
        &self,
        ctx: &RequestContext,
        filter: FilterInput,
        after: Option<PatientId>,
        limit: i64,
    ) -> Result<Page<PatientWithTumors>, AppError> {
        let access = Access::of(ctx);
        let registry = self.clone();
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "patient.list",
            AuditFacts::default(),
            move |conn, facts| {
                let filter = registry.scoped_filter(filter, limit, &access)?;
                let mut patients = q::list_patients(conn, &filter, after, limit.saturating_add(1))?;
                let next_after = next_cursor(&mut patients, limit, |p| p.id.0);
                facts.detail = Some(format!("{} patients", patients.len()));
                Ok(Page {
                    items: with_tumors(conn, patients, &access.scope)?,
                    next_after,
                })
            },
        )
        .await
    }

    /// One page of live tumors, filtered (and, for a registrar, by their facilities).
    pub async fn list_tumors(
        &self,
        ctx: &RequestContext,
        filter: FilterInput,
        after: Option<TumorId>,
        limit: i64,
    ) -> Result<Page<TumorRecord>, AppError> {
        let access = Access::of(ctx);
        let registry = self.clone();
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "tumor.list",
            AuditFacts::default(),
            move |conn, facts| {
                let filter = registry.scoped_filter(filter, limit, &access)?;
                let mut tumors = q::list_tumors(conn, &filter, after, limit.saturating_add(1))?;
                let next_after = next_cursor(&mut tumors, limit, |t| t.id.0);
                facts.detail = Some(format!("{} tumors", tumors.len()));
                Ok(Page {
                    items: tumors,
                    next_after,
                })
            },
        )
        .await
    }

    /// Live patients that match a person search, with their live tumors.
    pub async fn search_people(
        &self,
        ctx: &RequestContext,
        input: PersonInput,
        limit: i64,
    ) -> Result<Vec<PatientWithTumors>, AppError> {
        let access = Access::of(ctx);
        let registry = self.clone();
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "patient.search",
            AuditFacts::default(),
            move |conn, facts| {
                let query = registry.person_query(input)?;
                check_page_size(limit)?;
                let scope: Option<Vec<String>> = access
                    .scope
                    .facilities()
                    .map(|f| f.iter().cloned().collect());
                let patients = q::search_people(conn, &query, scope.as_deref(), limit)?;
                facts.detail = Some(format!("{} patients", patients.len()));
                with_tumors(conn, patients, &access.scope)
            },
        )
        .await
    }
}

impl Registry {
    /// A listing's filter, checked (after the caller's role was), limited to its facilities.
    pub(crate) fn scoped_filter(
        &self,
        input: FilterInput,
        limit: i64,
        access: &Access,
    ) -> Result<TumorFilter, AppError> {
        check_page_size(limit)?;
        let mut filter = self.tumor_filter(input)?;
        filter.scope = access
            .scope
            .facilities()
            .map(|f| f.iter().cloned().collect());
        Ok(filter)
    }
}

/// What the caller may see and change, taken from its account for the work in a transaction.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    scope: FacilityScope,
    registrar: bool,
    actor: Option<String>,
}

impl Access {
    pub(crate) fn of(ctx: &RequestContext) -> Self {
        match &ctx.principal {
            Some(p) => Self {
                scope: p.scope.clone(),
                registrar: p.role == Role::Registrar,
                actor: Some(p.login.clone()),
            },
            None => Self {
                scope: FacilityScope::All,
                registrar: false,
                actor: ctx.system.as_ref().map(|s| format!("system:{s}")),
            },
        }
    }

    /// The facilities the caller may see.
    pub(crate) fn scope(&self) -> &FacilityScope {
        &self.scope
    }

    /// Who the caller is, for history rows and batches.
    pub(crate) fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// Whether the caller may see a job (import batch) sent by `owner`: staff who see every
    /// facility see every job; others only their own.
    pub(crate) fn sees_job_of(&self, owner: Option<&str>) -> bool {
        matches!(self.scope, FacilityScope::All) || (owner.is_some() && owner == self.actor())
    }

    /// The owner to list jobs of: none (every job) for staff who see every facility.
    pub(crate) fn job_owner_filter(&self) -> Option<String> {
        match self.scope {
            FacilityScope::All => None,
            _ => Some(self.actor.clone().unwrap_or_default()),
        }
    }

    /// The stamp of a change made now by this caller.
    pub(crate) fn stamp(&self, now: NaiveDateTime) -> Stamp {
        Stamp {
            at: now,
            actor: self.actor.clone(),
        }
    }

    /// A new tumor must be of a facility the caller may see.
    pub(crate) fn check_new_tumor(&self, items: &ItemMap) -> Result<(), AppError> {
        if self
            .scope
            .can_see(items.get("reportingFacility").map(String::as_str))
        {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                reason: "reportingFacility: a new tumor must be of one of your facilities".into(),
            })
        }
    }

    /// A registrar may not change a record's identifying item (a patient's Patient ID Number,
    /// a tumor's Reporting Facility): that moves the record out of the registrar's reach or
    /// onto another person.
    fn check_fixed_item<R: Versioned>(
        &self,
        before: &ItemMap,
        after: &ItemMap,
    ) -> Result<(), AppError> {
        let item = R::FIXED_FOR_REGISTRARS;
        if self.registrar && before.get(item) != after.get(item) {
            return Err(AppError::Forbidden {
                reason: format!("{item}: a registrar may not change it"),
            });
        }
        Ok(())
    }
}

pub(crate) fn check_page_size(limit: i64) -> Result<(), AppError> {
    if PAGE_SIZES.contains(&limit) {
        Ok(())
    } else {
        Err(AppError::invalid(
            Problem::new(
                "page_size_out_of_range",
                format!(
                    "limit must be from {} to {}",
                    PAGE_SIZES.start(),
                    PAGE_SIZES.end()
                ),
            )
            .for_item("limit"),
        ))
    }
}

/// Cuts a page fetched with one extra row back to `limit`, returning the cursor for the next.
fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Option<i64> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(id)
    } else {
        None
    }
}

fn checked_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    let problem = if reason.is_empty() {
        Some("a reason is required")
    } else if reason.chars().count() > MAX_REASON_CHARS {
        Some("the reason is longer than 1000 characters")
    } else if reason
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Some("the reason contains a control character")
    } else {
        None
    };
    match problem {
        Some(p) => Err(AppError::invalid(
            Problem::new("invalid_reason", p).for_item("reason"),
        )),
        None => Ok(reason.to_owned()),
    }
}

/// What a change writes on the record itself.
enum Write<'a> {
    /// New items.
    Items(&'a ItemMap),
    /// A tombstone with this reason.
    Tombstone(&'a str),
}

/// One change to write: what it does to the record, and the facts of its history row.
struct Change<'a> {
    action: VersionAction,
    dictionary_version: &'a str,
    write: Write<'a>,
    changes: &'a [ItemChange],
    reason: Option<&'a str>,
}

/// Writes a change made from version `expected` (new items, or the tombstone of a delete) and
/// its history row, then reads the record back.
fn write_change<R: Versioned>(
    conn: &mut AnyConnection,
    id: R::Id,
    expected: RowVersion,
    change: &Change<'_>,
    stamp: &Stamp,
) -> Result<R, AppError> {
    let now = stamp.at;
    let written = match change.write {
        Write::Items(items) => {
            R::update_versioned(conn, id, expected, change.dictionary_version, items, now)?
        }
        Write::Tombstone(reason) => R::tombstone_versioned(conn, id, expected, reason, now)?,
    };
    if !written {
        return Err(lost_race::<R>(conn, id, expected));
    }
    record_version(
        conn,
        R::KIND,
        R::raw_id(id),
        expected.next(),
        change.action,
        change.dictionary_version,
        change.changes,
        change.reason,
        stamp,
    )?;
    load(conn, id)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one history row has this many facts"
)]
fn record_version(
    conn: &mut AnyConnection,
    kind: EntityKind,
    entity_id: i64,
    version: RowVersion,
    action: VersionAction,
    dictionary_version: &str,
    changes: &[ItemChange],
    reason: Option<&str>,
    stamp: &Stamp,
) -> Result<(), AppError> {
    q::insert_version(
        conn,
        &NewVersion {
            kind,
            entity_id,
            version,
            action,
            dictionary_version,
            changes,
            reason,
            actor: stamp.actor.as_deref(),
            at: stamp.at,
        },
    )?;
    Ok(())
}

/// When a change is made and by whom, for its history rows.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    /// When (UTC).
    pub at: NaiveDateTime,
    /// Who: a login, `system:COMMAND`, or `import:BATCH`.
    pub actor: Option<String>,
}

/// Inserts a new patient and its tumors, each at version 1 with its `create` history row.
pub(crate) fn insert_new_abstract(
    conn: &mut AnyConnection,
    dictionary_version: &str,
    patient_items: &ItemMap,
    tumor_items: &[ItemMap],
    stamp: &Stamp,
) -> Result<(PatientId, Vec<TumorId>), AppError> {
    let id = q::insert_patient(conn, dictionary_version, patient_items, stamp.at)?;
    record_version(
        conn,
        EntityKind::Patient,
        id.0,
        RowVersion::FIRST,
        VersionAction::Create,
        dictionary_version,
        &diff(&ItemMap::new(), patient_items),
        None,
        stamp,
    )?;
    let mut tumor_ids = Vec::with_capacity(tumor_items.len());
    for items in tumor_items {
        tumor_ids.push(insert_tumor_with_history(
            conn,
            id,
            dictionary_version,
            items,
            stamp,
        )?);
    }
    Ok((id, tumor_ids))
}

/// Inserts a new patient with its tumors, at version 1, like [`insert_new_abstract`], but
/// leaves their history rows in `history` for the caller to write with others
/// ([`q::insert_created_versions`]): an import writes thousands of records in one transaction.
pub(crate) fn insert_new_abstract_deferring_history(
    conn: &mut AnyConnection,
    dictionary_version: &str,
    patient_items: &ItemMap,
    tumor_items: &[ItemMap],
    at: NaiveDateTime,
    history: &mut Vec<q::CreatedVersion>,
) -> Result<(), AppError> {
    let id = q::insert_patient(conn, dictionary_version, patient_items, at)?;
    history.push(q::CreatedVersion::new(
        EntityKind::Patient,
        id.0,
        dictionary_version,
        &diff(&ItemMap::new(), patient_items),
    )?);
    for items in tumor_items {
        let tumor = q::insert_tumor(conn, id, dictionary_version, items, at)?;
        history.push(q::CreatedVersion::new(
            EntityKind::Tumor,
            tumor.0,
            dictionary_version,
            &diff(&ItemMap::new(), items),
        )?);
    }
    Ok(())
}

fn insert_tumor_with_history(
    conn: &mut AnyConnection,
    patient: PatientId,
    version: &str,
    items: &ItemMap,
    stamp: &Stamp,
) -> Result<TumorId, AppError> {
    let id = q::insert_tumor(conn, patient, version, items, stamp.at)?;
    record_version(
        conn,
        EntityKind::Tumor,
        id.0,
        RowVersion::FIRST,
        VersionAction::Create,
        version,
        &diff(&ItemMap::new(), items),
        None,
        stamp,
    )?;
    Ok(id)
}

/// The items (and their dictionary version) a record had at version `to`.
fn state_at(
    conn: &mut AnyConnection,
    kind: EntityKind,
    id: i64,
    to: RowVersion,
    current: RowVersion,
) -> Result<(String, ItemMap), AppError> {
    if to < RowVersion::FIRST || to > current {
        return Err(AppError::invalid(
            Problem::new(
                "unknown_version",
                format!("version must be from 1 to {current}"),
            )
            .for_item("version"),
        ));
    }
    let history = q::history_of(conn, kind, id)?;
    let upto: Vec<&VersionEntry> = history.iter().filter(|v| v.version <= to).collect();
    let dictionary_version = upto
        .last()
        .map(|v| v.dictionary_version.clone())
        .unwrap_or_default();
    let items = replay(upto.iter().map(|v| v.changes.as_slice()));
    Ok((dictionary_version, items))
}

/// A patient with those of its tumors the caller may see.
/// The tumors of `patients` that `scope` lets the caller see (soft-deleted ones only when
/// asked), in id order.
pub(crate) fn visible_tumors(
    conn: &mut AnyConnection,
    patients: &[PatientId],
    include_deleted: bool,
    scope: &FacilityScope,
) -> Result<Vec<TumorRecord>, AppError> {
    Ok(q::tumors_of_patients(conn, patients, include_deleted)?
        .into_iter()
        .filter(|t| scope.can_see(t.items.get("reportingFacility").map(String::as_str)))
        .collect())
}

fn with_own_tumors(
    conn: &mut AnyConnection,
    patient: PatientRecord,
    include_deleted_tumors: bool,
    scope: &FacilityScope,
) -> Result<PatientWithTumors, AppError> {
    let tumors = visible_tumors(conn, &[patient.id], include_deleted_tumors, scope)?;
    Ok(PatientWithTumors {
        patient,
        tumors,
        edits: None,
    })
}

/// Attaches each patient's live tumors, with one query for the whole page.
pub(crate) fn with_tumors(
    conn: &mut AnyConnection,
    patients: Vec<PatientRecord>,
    scope: &FacilityScope,
) -> Result<Vec<PatientWithTumors>, AppError> {
    let ids: Vec<PatientId> = patients.iter().map(|p| p.id).collect();
    let mut by_patient: std::collections::HashMap<PatientId, Vec<TumorRecord>> =
        std::collections::HashMap::new();
    for t in visible_tumors(conn, &ids, false, scope)? {
        by_patient.entry(t.patient_id).or_default().push(t);
    }
    Ok(patients
        .into_iter()
        .map(|patient| PatientWithTumors {
            edits: None,
            tumors: by_patient.remove(&patient.id).unwrap_or_default(),
            patient,
        })
        .collect())
}
