//! The items copied into indexed columns, so that searches, filters, edits and statistics need
//! not open every record's item set. Which items are indexed is a storage choice, not a
//! dictionary fact: their definitions still come from the dictionary.

use super::items::ItemMap;
use crate::core::naaccr::NaaccrDate;

/// Indexed copies of a patient's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientIndex {
    /// Patient ID Number (NAACCR #20).
    pub patient_id_number: Option<String>,
    /// Name--Last (#2230).
    pub name_last: Option<String>,
    /// Name--First (#2240).
    pub name_first: Option<String>,
    /// Name--Last folded for search, see [`name_key`].
    pub name_last_key: Option<String>,
    /// Name--First folded for search.
    pub name_first_key: Option<String>,
    /// Date of Birth (#240).
    pub date_of_birth: Option<String>,
    /// Sex: Sex Assigned at Birth (#225, `sexAssignedAtBirth`) from NAACCR v26, Sex (#220) before.
    pub sex: Option<String>,
    /// Vital Status (#1760).
    pub vital_status: Option<String>,
    /// Date of Last Contact (#1750).
    pub date_of_last_contact: Option<String>,
}

impl PatientIndex {
    /// The indexed copies of `items`.
    pub fn from_items(items: &ItemMap) -> Self {
        let get = |id: &str| items.get(id).cloned();
        let name_last = get("nameLast");
        let name_first = get("nameFirst");
        Self {
            patient_id_number: get("patientIdNumber"),
            name_last_key: name_last.as_deref().map(name_key),
            name_first_key: name_first.as_deref().map(name_key),
            name_last,
            name_first,
            date_of_birth: get("dateOfBirth"),
            sex: get("sexAssignedAtBirth").or_else(|| get("sex")),
            vital_status: get("vitalStatus"),
            date_of_last_contact: get("dateOfLastContact"),
        }
    }
}

/// Indexed copies of a tumor's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TumorIndex {
    /// Primary Site (#400).
    pub primary_site: Option<String>,
    /// Histologic Type ICD-O-3 (#522).
    pub histologic_type_icd_o3: Option<String>,
    /// Behavior Code ICD-O-3 (#523).
    pub behavior_code_icd_o3: Option<String>,
    /// Date of Diagnosis (#390).
    pub date_of_diagnosis: Option<String>,
    /// Sequence Number--Hospital (#560).
    pub sequence_number_hospital: Option<String>,
    /// Sequence Number--Central (#380).
    pub sequence_number_central: Option<String>,
    /// Laterality (#410).
    pub laterality: Option<String>,
    /// Reporting Facility (#540).
    pub reporting_facility: Option<String>,
    /// Addr at DX--State (#80).
    pub addr_at_dx_state: Option<String>,
    /// County at DX (#90).
    pub county_at_dx: Option<String>,
}

impl TumorIndex {
    /// The indexed copies of `items`.
    pub fn from_items(items: &ItemMap) -> Self {
        let get = |id: &str| items.get(id).cloned();
        Self {
            primary_site: get("primarySite"),
            histologic_type_icd_o3: get("histologicTypeIcdO3"),
            behavior_code_icd_o3: get("behaviorCodeIcdO3"),
            date_of_diagnosis: get("dateOfDiagnosis"),
            sequence_number_hospital: get("sequenceNumberHospital"),
            sequence_number_central: get("sequenceNumberCentral"),
            laterality: get("laterality"),
            reporting_facility: get("reportingFacility"),
            addr_at_dx_state: get("addrAtDxState"),
            county_at_dx: get("countyAtDx"),
        }
    }
}

/// A name folded for search: upper case, letters and digits only, so that "O'Brien",
/// "o brien" and "OBRIEN" find each other. Accented Latin letters keep their base letter.
pub fn name_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_uppercase)
        .map(fold_accent)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn fold_accent(c: char) -> char {
    match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'Ç' => 'C',
        'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'Ñ' => 'N',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
        'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        other => other,
    }
}

/// A range of diagnosis dates for filtering, inclusive at both ends.
///
/// A partial date (year only, or year and month) is in the range when the part that is known
/// falls within the range cut to the same precision: a tumor diagnosed "2019" is in
/// 2019-06-01..2019-06-30, since it may have been diagnosed then. The store compares the stored
/// text to [`DiagnosisRange::bounds`] by length: each pair is (stored length, from, to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisRange {
    from: Option<NaaccrDate>,
    to: Option<NaaccrDate>,
}

impl DiagnosisRange {
    /// A range from `from` to `to`, either end open.
    pub fn new(from: Option<NaaccrDate>, to: Option<NaaccrDate>) -> Self {
        Self { from, to }
    }

    /// True when neither end is set.
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// For stored values of 8, 6 and 4 characters, the inclusive text bounds to compare with.
    pub fn bounds(&self) -> [(i32, String, String); 3] {
        let low = self.from.as_ref().map(lower_full).unwrap_or_default();
        let high = self
            .to
            .as_ref()
            .map(upper_full)
            .unwrap_or_else(|| "99999999".to_owned());
        [8usize, 6, 4].map(|n| {
            (
                i32::try_from(n).unwrap_or(8),
                low.chars().take(n).collect(),
                high.chars().take(n).collect(),
            )
        })
    }
}

fn lower_full(d: &NaaccrDate) -> String {
    format!(
        "{:04}{:02}{:02}",
        d.year(),
        d.month().unwrap_or(1),
        d.day().unwrap_or(1)
    )
}

fn upper_full(d: &NaaccrDate) -> String {
    format!(
        "{:04}{:02}{:02}",
        d.year(),
        d.month().unwrap_or(12),
        d.day().unwrap_or(31)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_ignore_case_punctuation_and_accents() {
        assert_eq!(name_key("O'Brien"), "OBRIEN");
        assert_eq!(name_key("o brien"), "OBRIEN");
        assert_eq!(name_key("Núñez-García"), "NUNEZGARCIA");
    }
}
