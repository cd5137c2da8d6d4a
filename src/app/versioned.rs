//! What patients and tumors share as versioned records: found by id, changed only from the
//! version the caller read, each change written with its history row in one transaction.
//! The use cases in `abstracts` are written once over this trait.

use super::AppError;
use crate::core::abstracts::{
    EntityKind, ItemMap, PatientId, PatientRecord, RowVersion, TumorId, TumorRecord,
};
use crate::core::auth::FacilityScope;
use crate::core::naaccr::ParentElement;
use crate::store::abstracts as q;
use crate::store::{AnyConnection, StoreError};
use chrono::NaiveDateTime;
use std::collections::BTreeSet;

/// A kind of abstract changed through versioned writes.
pub trait Versioned: Sized + Send + 'static {
    /// Its id type.
    type Id: Copy + Send + 'static;
    /// Patient or tumor.
    const KIND: EntityKind;
    /// The dictionary level its items belong to.
    const LEVEL: ParentElement;
    /// Audit action names of its changes.
    const UPDATE_ACTION: &'static str;
    /// Audit action of a soft delete.
    const DELETE_ACTION: &'static str;
    /// Audit action of a revert.
    const REVERT_ACTION: &'static str;
    /// The item a registrar may not change (it ties the record to a person or a facility).
    const FIXED_FOR_REGISTRARS: &'static str;

    /// The id as stored.
    fn raw_id(id: Self::Id) -> i64;
    /// Reads the record, deleted or not.
    fn find(conn: &mut AnyConnection, id: Self::Id) -> Result<Option<Self>, StoreError>;
    /// Its current version.
    fn version(&self) -> RowVersion;
    /// The dictionary version its items were validated against.
    fn dictionary_version(&self) -> &str;
    /// Its items.
    fn items(&self) -> &ItemMap;
    /// The patient it is (or belongs to).
    fn patient(&self) -> crate::core::abstracts::PatientId;
    /// Whether it is soft-deleted.
    fn is_deleted(&self) -> bool;
    /// Whether a caller limited to `facilities` may see it.
    fn visible_to(
        &self,
        conn: &mut AnyConnection,
        facilities: &BTreeSet<String>,
    ) -> Result<bool, StoreError>;
    /// Replaces its items if it is still at `expected`.
    fn update_versioned(
        conn: &mut AnyConnection,
        id: Self::Id,
        expected: RowVersion,
        dictionary_version: &str,
        items: &ItemMap,
        now: NaiveDateTime,
    ) -> Result<bool, StoreError>;
    /// Sets its tombstone if it is still at `expected`.
    fn tombstone_versioned(
        conn: &mut AnyConnection,
        id: Self::Id,
        expected: RowVersion,
        reason: &str,
        now: NaiveDateTime,
    ) -> Result<bool, StoreError>;
}

/// Patients and tumors implement [`Versioned`] the same way, each over its own queries.
macro_rules! impl_versioned {
    ($record:ty, $id:ty, $kind:ident, $prefix:literal, $fixed:literal, $patient:ident, $visible:path, $find:path, $update:path, $tombstone:path) => {
        impl Versioned for $record {
            type Id = $id;
            const KIND: EntityKind = EntityKind::$kind;
            const LEVEL: ParentElement = ParentElement::$kind;
            const UPDATE_ACTION: &'static str = concat!($prefix, ".update");
            const DELETE_ACTION: &'static str = concat!($prefix, ".delete");
            const REVERT_ACTION: &'static str = concat!($prefix, ".revert");
            const FIXED_FOR_REGISTRARS: &'static str = $fixed;

            fn raw_id(id: $id) -> i64 {
                id.0
            }
            fn find(conn: &mut AnyConnection, id: $id) -> Result<Option<Self>, StoreError> {
                $find(conn, id)
            }
            fn version(&self) -> RowVersion {
                self.version
            }
            fn dictionary_version(&self) -> &str {
                &self.dictionary_version
            }
            fn items(&self) -> &ItemMap {
                &self.items
            }
            fn patient(&self) -> crate::core::abstracts::PatientId {
                self.$patient
            }
            fn is_deleted(&self) -> bool {
                self.tombstone.is_some()
            }
            fn visible_to(
                &self,
                conn: &mut AnyConnection,
                facilities: &BTreeSet<String>,
            ) -> Result<bool, StoreError> {
                $visible(self, conn, facilities)
            }
            fn update_versioned(
                conn: &mut AnyConnection,
                id: $id,
                expected: RowVersion,
                dictionary_version: &str,
                items: &ItemMap,
                now: NaiveDateTime,
            ) -> Result<bool, StoreError> {
                $update(conn, id, expected, dictionary_version, items, now)
            }
            fn tombstone_versioned(
                conn: &mut AnyConnection,
                id: $id,
                expected: RowVersion,
                reason: &str,
                now: NaiveDateTime,
            ) -> Result<bool, StoreError> {
                $tombstone(conn, id, expected, reason, now)
            }
        }
    };
}

impl_versioned!(
    PatientRecord,
    PatientId,
    Patient,
    "patient",
    "patientIdNumber",
    id,
    patient_visible,
    q::find_patient,
    q::update_patient_versioned,
    q::tombstone_patient_versioned
);
impl_versioned!(
    TumorRecord,
    TumorId,
    Tumor,
    "tumor",
    "reportingFacility",
    patient_id,
    tumor_visible,
    q::find_tumor,
    q::update_tumor_versioned,
    q::tombstone_tumor_versioned
);

/// A patient is visible to a caller limited to some facilities when one of its live tumors was
/// reported by one of them.
fn patient_visible(
    p: &PatientRecord,
    conn: &mut AnyConnection,
    facilities: &BTreeSet<String>,
) -> Result<bool, StoreError> {
    q::patient_has_tumor_of(conn, p.id, facilities)
}

/// A tumor is visible to a caller limited to some facilities when it was reported by one.
fn tumor_visible(
    t: &TumorRecord,
    _conn: &mut AnyConnection,
    facilities: &BTreeSet<String>,
) -> Result<bool, StoreError> {
    Ok(t.items
        .get("reportingFacility")
        .is_some_and(|f| facilities.contains(f)))
}

/// The record, if the caller's scope lets it see it; `OutOfScope` (answered as not found)
/// otherwise.
pub fn load_visible<R: Versioned>(
    conn: &mut AnyConnection,
    id: R::Id,
    scope: &FacilityScope,
) -> Result<R, AppError> {
    let record: R = load(conn, id)?;
    if let Some(facilities) = scope.facilities()
        && !record.visible_to(conn, facilities)?
    {
        return Err(AppError::OutOfScope {
            kind: R::KIND,
            id: R::raw_id(id),
        });
    }
    Ok(record)
}

/// The record, or `NotFound`.
pub fn load<R: Versioned>(conn: &mut AnyConnection, id: R::Id) -> Result<R, AppError> {
    R::find(conn, id)?.ok_or(AppError::NotFound {
        kind: R::KIND,
        id: R::raw_id(id),
    })
}

/// The record, if the caller's version is current and it is not deleted.
pub fn load_writable<R: Versioned>(
    conn: &mut AnyConnection,
    id: R::Id,
    expected: RowVersion,
    scope: &FacilityScope,
) -> Result<R, AppError> {
    let current: R = load_visible(conn, id, scope)?;
    if current.version() != expected {
        return Err(AppError::VersionConflict {
            kind: R::KIND,
            expected,
            current: current.version(),
        });
    }
    if current.is_deleted() {
        return Err(AppError::Deleted {
            kind: R::KIND,
            id: R::raw_id(id),
        });
    }
    Ok(current)
}

/// The conflict to report when a versioned write matched no row: another transaction changed
/// the record after this one read it, so the version is read again (a new statement sees the
/// other's commit) to tell the caller where the record is now.
pub fn lost_race<R: Versioned>(
    conn: &mut AnyConnection,
    id: R::Id,
    expected: RowVersion,
) -> AppError {
    match load::<R>(conn, id) {
        Ok(now) => AppError::VersionConflict {
            kind: R::KIND,
            expected,
            current: now.version(),
        },
        Err(e) => e,
    }
}
