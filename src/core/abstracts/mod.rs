//! Patients and tumors as sets of NAACCR items: validation of incoming items against the
//! dictionary, change sets (what changed, old and new value) and versions (ETags).
//!
//! Pure: knows nothing of HTTP or SQL. The store keeps what this module computes.

mod changes;
mod ids;
mod index;
mod items;
mod record;

pub use changes::{ItemChange, VersionAction, diff, replay};
pub use ids::{EntityKind, PatientId, RowVersion, TumorId, etag, parse_etag};
pub use index::{DiagnosisRange, PatientIndex, TumorIndex, name_key};
pub use items::{ItemInput, ItemMap, apply_patch, validate_new_items};
pub use record::{PatientRecord, Tombstone, TumorRecord, VersionEntry};
