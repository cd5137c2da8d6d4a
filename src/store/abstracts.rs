//! Queries on patients, tumors and their version history. One function per query, named for
//! what it does, each taking `&mut AnyConnection` so that callers compose them in one
//! transaction.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::{abstract_versions, patients, tumors};
use crate::core::abstracts::{
    DiagnosisRange, EntityKind, ItemChange, ItemMap, PatientId, PatientIndex, PatientRecord,
    RowVersion, Tombstone, TumorId, TumorIndex, TumorRecord, VersionAction, VersionEntry,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

diesel::define_sql_function! {
    /// Length of a text in characters (same name and meaning in PostgreSQL and SQLite).
    fn length(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Integer>;
}

type PatientRow = (
    i64,
    i64,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
);

const PATIENT_COLUMNS: (
    patients::id,
    patients::row_version,
    patients::dictionary_version,
    patients::items,
    patients::created_at,
    patients::updated_at,
    patients::deleted_at,
    patients::deleted_reason,
) = (
    patients::id,
    patients::row_version,
    patients::dictionary_version,
    patients::items,
    patients::created_at,
    patients::updated_at,
    patients::deleted_at,
    patients::deleted_reason,
);

type TumorRow = (
    i64,
    i64,
    i64,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
);

const TUMOR_COLUMNS: (
    tumors::id,
    tumors::patient_id,
    tumors::row_version,
    tumors::dictionary_version,
    tumors::items,
    tumors::created_at,
    tumors::updated_at,
    tumors::deleted_at,
    tumors::deleted_reason,
) = (
    tumors::id,
    tumors::patient_id,
    tumors::row_version,
    tumors::dictionary_version,
    tumors::items,
    tumors::created_at,
    tumors::updated_at,
    tumors::deleted_at,
    tumors::deleted_reason,
);

fn items_to_text(items: &ItemMap) -> Result<String, StoreError> {
    serde_json::to_string(items).map_err(|e| StoreError::Corrupt {
        what: "item set",
        reason: e.to_string(),
    })
}

fn items_from_text(text: &str) -> Result<ItemMap, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: "item set",
        reason: e.to_string(),
    })
}

fn tombstone(at: Option<NaiveDateTime>, reason: Option<String>) -> Option<Tombstone> {
    at.map(|at| Tombstone {
        at,
        reason: reason.unwrap_or_default(),
    })
}

fn patient_from_row(row: PatientRow) -> Result<PatientRecord, StoreError> {
    let (id, version, dictionary_version, items, created_at, updated_at, deleted_at, reason) = row;
    Ok(PatientRecord {
        id: PatientId(id),
        version: RowVersion(version),
        dictionary_version,
        items: items_from_text(&items)?,
        created_at,
        updated_at,
        tombstone: tombstone(deleted_at, reason),
    })
}

fn tumor_from_row(row: TumorRow) -> Result<TumorRecord, StoreError> {
    let (
        id,
        patient_id,
        version,
        dictionary_version,
        items,
        created_at,
        updated_at,
        deleted_at,
        reason,
    ) = row;
    Ok(TumorRecord {
        id: TumorId(id),
        patient_id: PatientId(patient_id),
        version: RowVersion(version),
        dictionary_version,
        items: items_from_text(&items)?,
        created_at,
        updated_at,
        tombstone: tombstone(deleted_at, reason),
    })
}

/// Inserts a new patient at version 1 and returns its id.
pub fn insert_patient(
    conn: &mut AnyConnection,
    dictionary_version: &str,
    items: &ItemMap,
    now: NaiveDateTime,
) -> Result<PatientId, StoreError> {
    let ix = PatientIndex::from_items(items);
    let id = diesel::insert_into(patients::table)
        .values((
            patients::row_version.eq(RowVersion::FIRST.0),
            patients::dictionary_version.eq(dictionary_version),
            patients::items.eq(items_to_text(items)?),
            patients::patient_id_number.eq(ix.patient_id_number),
            patients::name_last.eq(ix.name_last),
            patients::name_first.eq(ix.name_first),
            patients::name_last_key.eq(ix.name_last_key),
            patients::name_first_key.eq(ix.name_first_key),
            patients::date_of_birth.eq(ix.date_of_birth),
            patients::sex.eq(ix.sex),
            patients::vital_status.eq(ix.vital_status),
            patients::date_of_last_contact.eq(ix.date_of_last_contact),
            patients::created_at.eq(now),
            patients::updated_at.eq(now),
        ))
        .returning(patients::id)
        .get_result::<i64>(conn)?;
    Ok(PatientId(id))
}

/// Inserts a new tumor of `patient` at version 1 and returns its id.
pub fn insert_tumor(
    conn: &mut AnyConnection,
    patient: PatientId,
    dictionary_version: &str,
    items: &ItemMap,
    now: NaiveDateTime,
) -> Result<TumorId, StoreError> {
    let ix = TumorIndex::from_items(items);
    let id = diesel::insert_into(tumors::table)
        .values((
            tumors::patient_id.eq(patient.0),
            tumors::row_version.eq(RowVersion::FIRST.0),
            tumors::dictionary_version.eq(dictionary_version),
            tumors::items.eq(items_to_text(items)?),
            tumors::primary_site.eq(ix.primary_site),
            tumors::histologic_type_icd_o3.eq(ix.histologic_type_icd_o3),
            tumors::behavior_code_icd_o3.eq(ix.behavior_code_icd_o3),
            tumors::date_of_diagnosis.eq(ix.date_of_diagnosis),
            tumors::sequence_number_hospital.eq(ix.sequence_number_hospital),
            tumors::sequence_number_central.eq(ix.sequence_number_central),
            tumors::laterality.eq(ix.laterality),
            tumors::reporting_facility.eq(ix.reporting_facility),
            tumors::addr_at_dx_state.eq(ix.addr_at_dx_state),
            tumors::county_at_dx.eq(ix.county_at_dx),
            tumors::created_at.eq(now),
            tumors::updated_at.eq(now),
        ))
        .returning(tumors::id)
        .get_result::<i64>(conn)?;
    Ok(TumorId(id))
}

/// The patient with this id, deleted or not.
pub fn find_patient(
    conn: &mut AnyConnection,
    id: PatientId,
) -> Result<Option<PatientRecord>, StoreError> {
    patients::table
        .filter(patients::id.eq(id.0))
        .select(PATIENT_COLUMNS)
        .first::<PatientRow>(conn)
        .optional()?
        .map(patient_from_row)
        .transpose()
}

/// The tumor with this id, deleted or not.
pub fn find_tumor(
    conn: &mut AnyConnection,
    id: TumorId,
) -> Result<Option<TumorRecord>, StoreError> {
    tumors::table
        .filter(tumors::id.eq(id.0))
        .select(TUMOR_COLUMNS)
        .first::<TumorRow>(conn)
        .optional()?
        .map(tumor_from_row)
        .transpose()
}

/// The tumors of these patients, in id order; soft-deleted ones only when asked.
pub fn tumors_of_patients(
    conn: &mut AnyConnection,
    patient_ids: &[PatientId],
    include_deleted: bool,
) -> Result<Vec<TumorRecord>, StoreError> {
    let ids: Vec<i64> = patient_ids.iter().map(|p| p.0).collect();
    let mut query = tumors::table
        .filter(tumors::patient_id.eq_any(ids))
        .select(TUMOR_COLUMNS)
        .order(tumors::id.asc())
        .into_boxed();
    if !include_deleted {
        query = query.filter(tumors::deleted_at.is_null());
    }
    query
        .load::<TumorRow>(conn)?
        .into_iter()
        .map(tumor_from_row)
        .collect()
}

/// Replaces a patient's items if it is still at `expected`; false when it was not (someone
/// else changed it, or it does not exist).
pub fn update_patient_versioned(
    conn: &mut AnyConnection,
    id: PatientId,
    expected: RowVersion,
    dictionary_version: &str,
    items: &ItemMap,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let ix = PatientIndex::from_items(items);
    let n = diesel::update(
        patients::table.filter(
            patients::id
                .eq(id.0)
                .and(patients::row_version.eq(expected.0)),
        ),
    )
    .set((
        patients::row_version.eq(expected.next().0),
        patients::dictionary_version.eq(dictionary_version),
        patients::items.eq(items_to_text(items)?),
        patients::patient_id_number.eq(ix.patient_id_number),
        patients::name_last.eq(ix.name_last),
        patients::name_first.eq(ix.name_first),
        patients::name_last_key.eq(ix.name_last_key),
        patients::name_first_key.eq(ix.name_first_key),
        patients::date_of_birth.eq(ix.date_of_birth),
        patients::sex.eq(ix.sex),
        patients::vital_status.eq(ix.vital_status),
        patients::date_of_last_contact.eq(ix.date_of_last_contact),
        patients::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Replaces a tumor's items if it is still at `expected`; false when it was not.
pub fn update_tumor_versioned(
    conn: &mut AnyConnection,
    id: TumorId,
    expected: RowVersion,
    dictionary_version: &str,
    items: &ItemMap,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let ix = TumorIndex::from_items(items);
    let n = diesel::update(
        tumors::table.filter(tumors::id.eq(id.0).and(tumors::row_version.eq(expected.0))),
    )
    .set((
        tumors::row_version.eq(expected.next().0),
        tumors::dictionary_version.eq(dictionary_version),
        tumors::items.eq(items_to_text(items)?),
        tumors::primary_site.eq(ix.primary_site),
        tumors::histologic_type_icd_o3.eq(ix.histologic_type_icd_o3),
        tumors::behavior_code_icd_o3.eq(ix.behavior_code_icd_o3),
        tumors::date_of_diagnosis.eq(ix.date_of_diagnosis),
        tumors::sequence_number_hospital.eq(ix.sequence_number_hospital),
        tumors::sequence_number_central.eq(ix.sequence_number_central),
        tumors::laterality.eq(ix.laterality),
        tumors::reporting_facility.eq(ix.reporting_facility),
        tumors::addr_at_dx_state.eq(ix.addr_at_dx_state),
        tumors::county_at_dx.eq(ix.county_at_dx),
        tumors::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks a patient deleted with a reason if it is still at `expected`; false when it was not.
pub fn tombstone_patient_versioned(
    conn: &mut AnyConnection,
    id: PatientId,
    expected: RowVersion,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        patients::table.filter(
            patients::id
                .eq(id.0)
                .and(patients::row_version.eq(expected.0)),
        ),
    )
    .set((
        patients::row_version.eq(expected.next().0),
        patients::deleted_at.eq(Some(now)),
        patients::deleted_reason.eq(Some(reason)),
        patients::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks a tumor deleted with a reason if it is still at `expected`; false when it was not.
pub fn tombstone_tumor_versioned(
    conn: &mut AnyConnection,
    id: TumorId,
    expected: RowVersion,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        tumors::table.filter(tumors::id.eq(id.0).and(tumors::row_version.eq(expected.0))),
    )
    .set((
        tumors::row_version.eq(expected.next().0),
        tumors::deleted_at.eq(Some(now)),
        tumors::deleted_reason.eq(Some(reason)),
        tumors::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A new history row: what one change did to one record.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Patient or tumor.
    pub kind: EntityKind,
    /// The record's id.
    pub entity_id: i64,
    /// The version the change produced.
    pub version: RowVersion,
    /// What kind of change.
    pub action: VersionAction,
    /// The dictionary version after the change.
    pub dictionary_version: &'a str,
    /// The items changed.
    pub changes: &'a [ItemChange],
    /// The reason given, if any.
    pub reason: Option<&'a str>,
    /// Who, once known.
    pub actor: Option<&'a str>,
    /// When (UTC).
    pub at: NaiveDateTime,
}

/// Appends one history row.
pub fn insert_version(conn: &mut AnyConnection, v: &NewVersion<'_>) -> Result<(), StoreError> {
    let changes = serde_json::to_string(v.changes).map_err(|e| StoreError::Corrupt {
        what: "change set",
        reason: e.to_string(),
    })?;
    diesel::insert_into(abstract_versions::table)
        .values((
            abstract_versions::entity_kind.eq(v.kind.as_str()),
            abstract_versions::entity_id.eq(v.entity_id),
            abstract_versions::version.eq(v.version.0),
            abstract_versions::action.eq(v.action.as_str()),
            abstract_versions::dictionary_version.eq(v.dictionary_version),
            abstract_versions::changes.eq(changes),
            abstract_versions::reason.eq(v.reason),
            abstract_versions::actor.eq(v.actor),
            abstract_versions::changed_at.eq(v.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The history row of a record just created, kept to be written with others in one statement
/// (an import writes thousands of records in one transaction: one statement per history row
/// would be a database round trip each).
#[derive(Debug, Clone)]
pub struct CreatedVersion {
    /// Patient or tumor.
    pub kind: EntityKind,
    /// The record's id.
    pub entity_id: i64,
    /// The dictionary version.
    pub dictionary_version: String,
    /// The change set, as stored (JSON).
    pub changes: String,
}

impl CreatedVersion {
    /// The creation of `entity_id` with `changes`.
    pub fn new(
        kind: EntityKind,
        entity_id: i64,
        dictionary_version: &str,
        changes: &[ItemChange],
    ) -> Result<Self, StoreError> {
        Ok(Self {
            kind,
            entity_id,
            dictionary_version: dictionary_version.to_owned(),
            changes: serde_json::to_string(changes).map_err(|e| StoreError::Corrupt {
                what: "change set",
                reason: e.to_string(),
            })?,
        })
    }
}

/// Appends the version-1 history rows of records just created, by `actor` at `at`, in
/// statements of up to 500 rows.
pub fn insert_created_versions(
    conn: &mut AnyConnection,
    rows: &[CreatedVersion],
    actor: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let row = |v: &CreatedVersion| {
        (
            abstract_versions::entity_kind.eq(v.kind.as_str()),
            abstract_versions::entity_id.eq(v.entity_id),
            abstract_versions::version.eq(RowVersion::FIRST.0),
            abstract_versions::action.eq(VersionAction::Create.as_str()),
            abstract_versions::dictionary_version.eq(v.dictionary_version.clone()),
            abstract_versions::changes.eq(v.changes.clone()),
            abstract_versions::reason.eq(None::<String>),
            abstract_versions::actor.eq(actor.map(str::to_owned)),
            abstract_versions::changed_at.eq(at),
        )
    };
    match conn {
        // Multi-row VALUES: one round trip per 500 rows.
        AnyConnection::Postgresql(pg) => {
            for chunk in rows.chunks(500) {
                let values: Vec<_> = chunk.iter().map(row).collect();
                diesel::insert_into(abstract_versions::table)
                    .values(values)
                    .execute(pg)?;
            }
        }
        // In process: a statement costs no round trip, and diesel has no batch insert here.
        AnyConnection::Sqlite(lite) => {
            for v in rows {
                diesel::insert_into(abstract_versions::table)
                    .values(row(v))
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

type VersionRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

/// A record's whole history, oldest first.
pub fn history_of(
    conn: &mut AnyConnection,
    kind: EntityKind,
    entity_id: i64,
) -> Result<Vec<VersionEntry>, StoreError> {
    let rows = abstract_versions::table
        .filter(
            abstract_versions::entity_kind
                .eq(kind.as_str())
                .and(abstract_versions::entity_id.eq(entity_id)),
        )
        .order(abstract_versions::version.asc())
        .select((
            abstract_versions::version,
            abstract_versions::action,
            abstract_versions::dictionary_version,
            abstract_versions::changes,
            abstract_versions::reason,
            abstract_versions::actor,
            abstract_versions::changed_at,
        ))
        .load::<VersionRow>(conn)?;
    rows.into_iter()
        .map(
            |(version, action, dictionary_version, changes, reason, actor, changed_at)| {
                Ok(VersionEntry {
                    version: RowVersion(version),
                    action: VersionAction::parse(&action).ok_or_else(|| StoreError::Corrupt {
                        what: "version action",
                        reason: format!("unknown action '{action}'"),
                    })?,
                    dictionary_version,
                    changes: serde_json::from_str(&changes).map_err(|e| StoreError::Corrupt {
                        what: "change set",
                        reason: e.to_string(),
                    })?,
                    reason,
                    actor,
                    changed_at,
                })
            },
        )
        .collect()
}

/// Filters for listing patients by their tumors. Every set filter must hold for one tumor.
#[derive(Debug, Clone, Default)]
pub struct TumorFilter {
    /// Primary site codes (ICD-O-3 topography, e.g. C509), any of which matches.
    pub primary_sites: Vec<String>,
    /// Diagnosis date range.
    pub diagnosis: Option<DiagnosisRange>,
    /// Reporting facility.
    pub facility: Option<String>,
    /// The caller's facilities, when it is limited to some: only their tumors count.
    pub scope: Option<Vec<String>>,
}

impl TumorFilter {
    fn is_empty(&self) -> bool {
        self.primary_sites.is_empty()
            && self.diagnosis.as_ref().is_none_or(DiagnosisRange::is_open)
            && self.facility.is_none()
            && self.scope.is_none()
    }
}

/// Applies a [`TumorFilter`] to a boxed query over tumors (joined or not): live tumors of live
/// patients only, then each filter that is set.
macro_rules! filter_tumors {
    ($query:expr, $filter:expr) => {{
        let filter: &TumorFilter = $filter;
        let mut q = $query
            .filter(tumors::deleted_at.is_null())
            .filter(patients::deleted_at.is_null());
        if !filter.primary_sites.is_empty() {
            q = q.filter(tumors::primary_site.eq_any(filter.primary_sites.clone()));
        }
        if let Some(facility) = &filter.facility {
            q = q.filter(tumors::reporting_facility.eq(facility.clone()));
        }
        if let Some(scope) = &filter.scope {
            q = q.filter(tumors::reporting_facility.eq_any(scope.clone()));
        }
        if let Some(range) = filter.diagnosis.as_ref().filter(|r| !r.is_open()) {
            let [(l8, f8, t8), (l6, f6, t6), (l4, f4, t4)] = range.bounds();
            let d = tumors::date_of_diagnosis;
            q = q.filter(
                length(d)
                    .eq(l8)
                    .and(d.ge(f8))
                    .and(d.le(t8))
                    .or(length(d).eq(l6).and(d.ge(f6)).and(d.le(t6)))
                    .or(length(d).eq(l4).and(d.ge(f4)).and(d.le(t4))),
            );
        }
        q
    }};
}

/// One page of live patients in id order after `after`, filtered by their tumors: up to
/// `limit` records. With a filter, the matching patient ids are found first (one indexed
/// query over tumors), then those patients are read.
pub fn list_patients(
    conn: &mut AnyConnection,
    filter: &TumorFilter,
    after: Option<PatientId>,
    limit: i64,
) -> Result<Vec<PatientRecord>, StoreError> {
    let after = after.map_or(0, |a| a.0);
    let mut q = patients::table
        .filter(patients::deleted_at.is_null())
        .filter(patients::id.gt(after))
        .select(PATIENT_COLUMNS)
        .order(patients::id.asc())
        .limit(limit)
        .into_boxed();
    if !filter.is_empty() {
        let ids: Vec<i64> = filter_tumors!(
            tumors::table.inner_join(patients::table).into_boxed(),
            filter
        )
        .filter(tumors::patient_id.gt(after))
        .select(tumors::patient_id)
        .distinct()
        .order(tumors::patient_id.asc())
        .limit(limit)
        .load(conn)?;
        q = q.filter(patients::id.eq_any(ids));
    }
    q.load::<PatientRow>(conn)?
        .into_iter()
        .map(patient_from_row)
        .collect()
}

/// One page of live tumors of live patients in id order after `after`, filtered: up to
/// `limit` records.
pub fn list_tumors(
    conn: &mut AnyConnection,
    filter: &TumorFilter,
    after: Option<TumorId>,
    limit: i64,
) -> Result<Vec<TumorRecord>, StoreError> {
    filter_tumors!(
        tumors::table.inner_join(patients::table).into_boxed(),
        filter
    )
    .filter(tumors::id.gt(after.map_or(0, |a| a.0)))
    .select(TUMOR_COLUMNS)
    .order(tumors::id.asc())
    .limit(limit)
    .load::<TumorRow>(conn)?
    .into_iter()
    .map(tumor_from_row)
    .collect()
}

/// The live tumors of these patients that match `filter`, in id order (exports).
pub fn tumors_matching(
    conn: &mut AnyConnection,
    filter: &TumorFilter,
    patient_ids: &[PatientId],
) -> Result<Vec<TumorRecord>, StoreError> {
    let ids: Vec<i64> = patient_ids.iter().map(|p| p.0).collect();
    filter_tumors!(
        tumors::table.inner_join(patients::table).into_boxed(),
        filter
    )
    .filter(tumors::patient_id.eq_any(ids))
    .select(TUMOR_COLUMNS)
    .order(tumors::id.asc())
    .load::<TumorRow>(conn)?
    .into_iter()
    .map(tumor_from_row)
    .collect()
}

/// What a person search looks for; unset fields match anything. Names match by folded prefix.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// Folded last-name prefix (see `core::abstracts::name_key`).
    pub name_last_key: Option<String>,
    /// Folded first-name prefix.
    pub name_first_key: Option<String>,
    /// Exact date of birth (NAACCR form).
    pub date_of_birth: Option<String>,
    /// Exact Patient ID Number.
    pub patient_id_number: Option<String>,
}

/// Applies a [`PersonQuery`] to a boxed query over patients (joined or not).
macro_rules! filter_people {
    ($query:expr, $person:expr) => {{
        let person: &PersonQuery = $person;
        let mut q = $query.filter(patients::deleted_at.is_null());
        // Keys hold only A-Z and 0-9 (see `name_key`), so they need no LIKE escaping.
        if let Some(k) = &person.name_last_key {
            q = q.filter(patients::name_last_key.like(format!("{k}%")));
        }
        if let Some(k) = &person.name_first_key {
            q = q.filter(patients::name_first_key.like(format!("{k}%")));
        }
        if let Some(d) = &person.date_of_birth {
            q = q.filter(patients::date_of_birth.eq(d.clone()));
        }
        if let Some(p) = &person.patient_id_number {
            q = q.filter(patients::patient_id_number.eq(p.clone()));
        }
        q
    }};
}

/// Live patients matching a person search, in id order, up to `limit`; when `scope` is given,
/// only patients with a live tumor of one of those facilities.
pub fn search_people(
    conn: &mut AnyConnection,
    query: &PersonQuery,
    scope: Option<&[String]>,
    limit: i64,
) -> Result<Vec<PatientRecord>, StoreError> {
    let ids: Vec<i64> = match scope {
        None => filter_people!(patients::table.into_boxed(), query)
            .select(patients::id)
            .order(patients::id.asc())
            .limit(limit)
            .load(conn)?,
        Some(scope) => filter_people!(
            tumors::table.inner_join(patients::table).into_boxed(),
            query
        )
        .filter(tumors::deleted_at.is_null())
        .filter(tumors::reporting_facility.eq_any(scope.to_vec()))
        .select(patients::id)
        .distinct()
        .order(patients::id.asc())
        .limit(limit)
        .load(conn)?,
    };
    patients::table
        .filter(patients::id.eq_any(ids))
        .select(PATIENT_COLUMNS)
        .order(patients::id.asc())
        .load::<PatientRow>(conn)?
        .into_iter()
        .map(patient_from_row)
        .collect()
}

/// Whether the patient has a live tumor reported by one of `facilities`.
pub fn patient_has_tumor_of(
    conn: &mut AnyConnection,
    patient: PatientId,
    facilities: &std::collections::BTreeSet<String>,
) -> Result<bool, StoreError> {
    let n = tumors::table
        .filter(tumors::patient_id.eq(patient.0))
        .filter(tumors::deleted_at.is_null())
        .filter(tumors::reporting_facility.eq_any(facilities.iter().cloned().collect::<Vec<_>>()))
        .count()
        .get_result::<i64>(conn)?;
    Ok(n > 0)
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut AnyConnection) -> Result<(), StoreError> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
        .get_result::<i32>(conn)
        .map(|_| ())
        .map_err(StoreError::from)
}

/// A text dump of every patient and tumor row, in id order.
pub fn fingerprint_of_abstracts(conn: &mut AnyConnection) -> Result<String, StoreError> {
    let p = patients::table
        .select(PATIENT_COLUMNS)
        .order(patients::id.asc())
        .load::<PatientRow>(conn)?;
    let t = tumors::table
        .select(TUMOR_COLUMNS)
        .order(tumors::id.asc())
        .load::<TumorRow>(conn)?;
    Ok(format!("{p:?}\n{t:?}"))
}

/// A text dump of every abstract and history row, in id order: tests compare it before and
/// after a rejected request to prove that nothing was written.
pub fn fingerprint(conn: &mut AnyConnection) -> Result<String, StoreError> {
    let abstracts = fingerprint_of_abstracts(conn)?;
    let v = abstract_versions::table
        .select((
            abstract_versions::id,
            abstract_versions::entity_kind,
            abstract_versions::entity_id,
            abstract_versions::version,
            abstract_versions::changes,
        ))
        .order(abstract_versions::id.asc())
        .load::<(i64, String, i64, i64, String)>(conn)?;
    Ok(format!("{abstracts}\n{v:?}"))
}
