//! What patients and tumors share as versioned records: found by id, changed only from the
//! version the caller read, each change written with its history row in one transaction.
//! The use cases in `abstracts` are written once over this trait.

use super::AppError;
use crate::core::abstracts::{
    EntityKind, ItemMap, PatientId, PatientRecord, RowVersion, TumorId, TumorRecord,
};
use crate::core::naaccr::ParentElement;
use crate::store::abstracts as q;
use crate::store::{AnyConnection, StoreError};
use chrono::NaiveDateTime;

/// A kind of abstract changed through versioned writes.
pub trait Versioned: Sized + Send + 'static {
    /// Its id type.
    type Id: Copy + Send + 'static;
    /// Patient or tumor.
    const KIND: EntityKind;
    /// The dictionary level its items belong to.
    const LEVEL: ParentElement;

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
    /// Whether it is soft-deleted.
    fn is_deleted(&self) -> bool;
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
    ($record:ty, $id:ty, $kind:ident, $find:path, $update:path, $tombstone:path) => {
        impl Versioned for $record {
            type Id = $id;
            const KIND: EntityKind = EntityKind::$kind;
            const LEVEL: ParentElement = ParentElement::$kind;

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
            fn is_deleted(&self) -> bool {
                self.tombstone.is_some()
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
    q::find_patient,
    q::update_patient_versioned,
    q::tombstone_patient_versioned
);
impl_versioned!(
    TumorRecord,
    TumorId,
    Tumor,
    q::find_tumor,
    q::update_tumor_versioned,
    q::tombstone_tumor_versioned
);

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
) -> Result<R, AppError> {
    let current: R = load(conn, id)?;
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
