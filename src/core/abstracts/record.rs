//! Stored abstracts as the rest of the program sees them: items plus identity, version and,
//! for a soft-deleted record, its tombstone.

use super::changes::{ItemChange, VersionAction};
use super::ids::{PatientId, RowVersion, TumorId};
use super::items::ItemMap;
use chrono::NaiveDateTime;

/// Why and when a record was soft-deleted. The items are kept: nothing is ever lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// When it was deleted (UTC).
    pub at: NaiveDateTime,
    /// The reason the user gave.
    pub reason: String,
}

/// A patient as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRecord {
    /// Internal id.
    pub id: PatientId,
    /// Current version (bumped by every change).
    pub version: RowVersion,
    /// The NAACCR dictionary version the items were validated against (e.g. "260").
    pub dictionary_version: String,
    /// Patient-level items.
    pub items: ItemMap,
    /// When the record was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Set when the record is soft-deleted.
    pub tombstone: Option<Tombstone>,
}

/// A tumor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TumorRecord {
    /// Internal id.
    pub id: TumorId,
    /// The patient it belongs to.
    pub patient_id: PatientId,
    /// Current version (bumped by every change).
    pub version: RowVersion,
    /// The NAACCR dictionary version the items were validated against.
    pub dictionary_version: String,
    /// Tumor-level items.
    pub items: ItemMap,
    /// When the record was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Set when the record is soft-deleted.
    pub tombstone: Option<Tombstone>,
}

/// One entry of a record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version this entry produced.
    pub version: RowVersion,
    /// What kind of change it was.
    pub action: VersionAction,
    /// The dictionary version the record was validated against after the change.
    pub dictionary_version: String,
    /// Each item changed, with its old and new value.
    pub changes: Vec<ItemChange>,
    /// The reason given (deletes, reverts), if any.
    pub reason: Option<String>,
    /// Who made the change, once authentication is in place.
    pub actor: Option<String>,
    /// When (UTC).
    pub changed_at: NaiveDateTime,
}
