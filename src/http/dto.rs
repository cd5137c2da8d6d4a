//! The JSON shapes of the API and their conversions to and from the core types.

use crate::app::abstracts::{Page, PatientWithTumors};
use crate::core::abstracts::{
    EntityKind, ItemChange, ItemInput, PatientRecord, Tombstone, TumorRecord, VersionEntry, etag,
};
use crate::core::problem::Problem;
use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// NAACCR items of one record as sent: naaccrId to value (a string; null or "" removes the
/// item). Kept in the order sent, so that a key sent twice is reported, not silently dropped.
#[derive(Debug, Clone, Default, ToSchema)]
#[schema(value_type = BTreeMap<String, Option<String>>, example = json!({"primarySite": "C509", "laterality": "1"}))]
pub struct ItemsBody(pub Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for ItemsBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemsBody;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of naaccrId to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemsBody, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    out.push((k, v));
                }
                Ok(ItemsBody(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl ItemsBody {
    /// The items as core inputs, or the problems of keys sent twice.
    pub fn into_inputs(self, record: &str) -> Result<Vec<(String, ItemInput)>, Vec<Problem>> {
        let mut seen = std::collections::HashSet::new();
        let mut problems = Vec::new();
        let mut out = Vec::with_capacity(self.0.len());
        for (k, v) in self.0 {
            if !seen.insert(k.clone()) {
                problems.push(
                    Problem::new("duplicate_item", format!("{k} is sent more than once"))
                        .for_item(k)
                        .in_record(record),
                );
                continue;
            }
            let input = match v {
                serde_json::Value::String(s) => ItemInput::Text(s),
                serde_json::Value::Null => ItemInput::Null,
                serde_json::Value::Number(_) => ItemInput::NotText("a number"),
                serde_json::Value::Bool(_) => ItemInput::NotText("true or false"),
                serde_json::Value::Array(_) => ItemInput::NotText("a list"),
                serde_json::Value::Object(_) => ItemInput::NotText("an object"),
            };
            out.push((k, input));
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }
}

/// A new tumor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTumorBody {
    /// NAACCR version to validate against (default: the registry's default, "260").
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Tumor-level items.
    #[serde(default)]
    pub items: ItemsBody,
}

/// A new patient, with any number of tumors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPatientBody {
    /// NAACCR version to validate against (default "260"); applies to the tumors too.
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Patient-level items.
    #[serde(default)]
    pub items: ItemsBody,
    /// The patient's tumors.
    #[serde(default)]
    pub tumors: Vec<TumorItemsBody>,
}

/// The items of one tumor sent with a new patient.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TumorItemsBody {
    /// Tumor-level items.
    #[serde(default)]
    pub items: ItemsBody,
}

/// A change to a record (JSON merge patch of its items).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchBody {
    /// Move the record to this NAACCR version; every item is then checked against it.
    #[serde(default)]
    pub dictionary_version: Option<String>,
    /// Items to set (a string) or remove (null or "").
    #[serde(default)]
    pub items: ItemsBody,
}

/// Why a record is deleted.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteBody {
    /// The reason, kept with the tombstone and in the history (1 to 1000 characters).
    pub reason: String,
}

/// Which version to go back to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevertBody {
    /// The version whose items the record takes again (a revert is itself a new version).
    pub version: i64,
}

/// A person search. Names match by prefix, ignoring case, spaces, punctuation and accents;
/// at least one criterion is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonSearchBody {
    /// Last name or its beginning.
    #[serde(default)]
    pub name_last: Option<String>,
    /// First name or its beginning.
    #[serde(default)]
    pub name_first: Option<String>,
    /// Date of birth, CCYYMMDD.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// Patient ID Number, exact.
    #[serde(default)]
    pub patient_id_number: Option<String>,
    /// Most records returned (1-500, default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A soft delete: when and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneDto {
    /// When (UTC).
    pub deleted_at: DateTime<Utc>,
    /// The reason given.
    pub reason: String,
}

impl From<&Tombstone> for TombstoneDto {
    fn from(t: &Tombstone) -> Self {
        Self {
            deleted_at: t.at.and_utc(),
            reason: t.reason.clone(),
        }
    }
}

/// A tumor.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorDto {
    /// Internal id.
    pub id: i64,
    /// The patient's internal id.
    pub patient_id: i64,
    /// Current version.
    pub version: i64,
    /// The ETag to send in If-Match to change this version.
    pub etag: String,
    /// The NAACCR version the items were validated against.
    pub dictionary_version: String,
    /// Tumor-level items.
    pub items: BTreeMap<String, String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Present when the tumor is soft-deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<TombstoneDto>,
}

impl From<TumorRecord> for TumorDto {
    fn from(t: TumorRecord) -> Self {
        Self {
            id: t.id.0,
            patient_id: t.patient_id.0,
            version: t.version.0,
            etag: etag(EntityKind::Tumor, t.id.0, t.version),
            dictionary_version: t.dictionary_version,
            items: t.items,
            created_at: t.created_at.and_utc(),
            updated_at: t.updated_at.and_utc(),
            deleted: t.tombstone.as_ref().map(TombstoneDto::from),
        }
    }
}

/// A patient with its tumors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientDto {
    /// Internal id.
    pub id: i64,
    /// Current version.
    pub version: i64,
    /// The ETag to send in If-Match to change this version.
    pub etag: String,
    /// The NAACCR version the items were validated against.
    pub dictionary_version: String,
    /// Patient-level items.
    pub items: BTreeMap<String, String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Present when the patient is soft-deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<TombstoneDto>,
    /// The patient's tumors (soft-deleted ones only when asked for; a registrar sees those of
    /// their facilities). Absent in the answer to a change, which is about the patient alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumors: Option<Vec<TumorDto>>,
}

impl PatientDto {
    /// A patient with the given tumors (none: the answer to a change).
    pub fn new(p: PatientRecord, tumors: Option<Vec<TumorRecord>>) -> Self {
        Self {
            id: p.id.0,
            version: p.version.0,
            etag: etag(EntityKind::Patient, p.id.0, p.version),
            dictionary_version: p.dictionary_version,
            items: p.items,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
            deleted: p.tombstone.as_ref().map(TombstoneDto::from),
            tumors: tumors.map(|ts| ts.into_iter().map(TumorDto::from).collect()),
        }
    }
}

impl From<PatientWithTumors> for PatientDto {
    fn from(p: PatientWithTumors) -> Self {
        PatientDto::new(p.patient, Some(p.tumors))
    }
}

/// One page of patients.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientPage {
    /// The patients, in id order.
    pub items: Vec<PatientDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl From<Page<PatientWithTumors>> for PatientPage {
    fn from(p: Page<PatientWithTumors>) -> Self {
        Self {
            items: p.items.into_iter().map(PatientDto::from).collect(),
            next_after: p.next_after,
        }
    }
}

/// One page of tumors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorPage {
    /// The tumors, in id order.
    pub items: Vec<TumorDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl From<Page<TumorRecord>> for TumorPage {
    fn from(p: Page<TumorRecord>) -> Self {
        Self {
            items: p.items.into_iter().map(TumorDto::from).collect(),
            next_after: p.next_after,
        }
    }
}

/// Patients found by a person search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSearchResult {
    /// The patients, in id order.
    pub items: Vec<PatientDto>,
}

/// One item's change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeDto {
    /// naaccrId.
    pub item: String,
    /// Value before (absent: the item was added).
    pub old: Option<String>,
    /// Value after (absent: the item was removed).
    pub new: Option<String>,
}

impl From<ItemChange> for ChangeDto {
    fn from(c: ItemChange) -> Self {
        Self {
            item: c.item,
            old: c.old,
            new: c.new,
        }
    }
}

/// One version in a record's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    /// The version this change produced.
    pub version: i64,
    /// create, update, revert or delete.
    pub action: String,
    /// When (UTC).
    pub changed_at: DateTime<Utc>,
    /// The NAACCR version after the change.
    pub dictionary_version: String,
    /// The reason given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who made the change, once users exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Each item changed, with old and new value.
    pub changes: Vec<ChangeDto>,
}

impl From<VersionEntry> for VersionDto {
    fn from(v: VersionEntry) -> Self {
        Self {
            version: v.version.0,
            action: v.action.as_str().to_owned(),
            changed_at: v.changed_at.and_utc(),
            dictionary_version: v.dictionary_version,
            reason: v.reason,
            actor: v.actor,
            changes: v.changes.into_iter().map(ChangeDto::from).collect(),
        }
    }
}

/// A record's history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDto {
    /// patient or tumor.
    pub kind: String,
    /// The record's id.
    pub id: i64,
    /// Every version, oldest first.
    pub versions: Vec<VersionDto>,
}
