//! Identifier and version newtypes, and the ETags built from them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The registry's internal id of a patient (not the NAACCR Patient ID Number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatientId(pub i64);

/// The registry's internal id of a tumor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TumorId(pub i64);

/// The version of a patient or tumor: 1 when created, one more with every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RowVersion(pub i64);

impl RowVersion {
    /// The version every new record starts at.
    pub const FIRST: RowVersion = RowVersion(1);

    /// The version after this one.
    #[must_use]
    pub fn next(self) -> RowVersion {
        RowVersion(self.0.saturating_add(1))
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for TumorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for RowVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which kind of abstract a version row or an ETag belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A patient record (patient-level items).
    Patient,
    /// A tumor record (tumor-level items).
    Tumor,
}

impl EntityKind {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Patient => "patient",
            EntityKind::Tumor => "tumor",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(EntityKind::Patient),
            "tumor" => Some(EntityKind::Tumor),
            _ => None,
        }
    }

    fn etag_prefix(self) -> char {
        match self {
            EntityKind::Patient => 'p',
            EntityKind::Tumor => 't',
        }
    }
}

/// The strong ETag of one version of one record, quotes included: `"p12-v3"`.
///
/// It names the kind and id as well as the version, so an ETag read from one record can never
/// match another record that happens to be at the same version (RFC 9110 section 8.8.3).
pub fn etag(kind: EntityKind, id: i64, version: RowVersion) -> String {
    format!("\"{}{}-v{}\"", kind.etag_prefix(), id, version.0)
}

/// The version named by an `If-Match` value for this record, if it names this record at all.
///
/// Accepts one entity tag or a comma-separated list (RFC 9110 section 13.1.1); a weak tag
/// (`W/"..."`) never matches, since If-Match uses the strong comparison. `*` is not a version:
/// a registry must not let a client overwrite a record it has not read.
pub fn parse_etag(header: &str, kind: EntityKind, id: i64) -> Option<RowVersion> {
    let prefix = format!("\"{}{}-v", kind.etag_prefix(), id);
    for tag in header.split(',').map(str::trim) {
        let version = tag
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(|num| num.parse::<i64>().ok());
        if let Some(v) = version {
            return Some(RowVersion(v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_round_trips_and_names_its_record() {
        let tag = etag(EntityKind::Tumor, 42, RowVersion(7));
        assert_eq!(tag, "\"t42-v7\"");
        assert_eq!(parse_etag(&tag, EntityKind::Tumor, 42), Some(RowVersion(7)));
        assert_eq!(parse_etag(&tag, EntityKind::Tumor, 4), None);
        assert_eq!(parse_etag(&tag, EntityKind::Patient, 42), None);
    }

    #[test]
    fn weak_etags_never_match_and_lists_are_searched() {
        assert_eq!(parse_etag("W/\"p1-v1\"", EntityKind::Patient, 1), None);
        assert_eq!(
            parse_etag("\"p2-v1\", \"p1-v9\"", EntityKind::Patient, 1),
            Some(RowVersion(9))
        );
        assert_eq!(parse_etag("*", EntityKind::Patient, 1), None);
        assert_eq!(parse_etag("\"p1-vx\"", EntityKind::Patient, 1), None);
    }
}
