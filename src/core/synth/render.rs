//! Writes a typed [`Person`] as NAACCR v26 items (naaccrId, value) in dictionary formats:
//! dates `CCYYMMDD`, codes left-zero-padded to their length.

use chrono::NaiveDate;

use super::SyntheticPatient;
use super::model::{Grade, Person, Vital, age_on};

fn date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn item(id: &str, value: impl Into<String>) -> (String, String) {
    (id.to_owned(), value.into())
}

/// Sequence Number--Central [380] for each tumor (tumors sorted by diagnosis date): in situ and
/// malignant tumors count in 00-59 (00 = the only one, else 01, 02... in date order), benign and
/// borderline in 60-87 (60 = the only one, else 61, 62...), per the NAACCR item definition.
fn sequence_numbers(behaviors: &[u8]) -> Vec<String> {
    let malignant = behaviors.iter().filter(|&&b| b >= 2).count();
    let benign = behaviors.len() - malignant;
    let (mut m, mut b) = (0u32, 0u32);
    behaviors
        .iter()
        .map(|&beh| {
            if beh >= 2 {
                m += 1;
                if malignant == 1 {
                    "00".to_owned()
                } else {
                    format!("{m:02}")
                }
            } else {
                b += 1;
                if benign == 1 {
                    "60".to_owned()
                } else {
                    format!("{:02}", 60 + b)
                }
            }
        })
        .collect()
}

/// The record for one person under the given patient number and duplicate link.
pub(super) fn render(
    p: &Person,
    patient_number: usize,
    duplicate_of: Option<usize>,
) -> SyntheticPatient {
    let (vital, cause, icd_rev) = match &p.vital {
        Vital::Alive { .. } => ("1", "0000".to_owned(), "0"),
        Vital::Dead { cause, .. } => ("0", cause.clone(), "1"),
    };
    let mut items = vec![
        item(
            "patientIdNumber",
            format!("{:08}", patient_number % 100_000_000),
        ),
        item("sexAssignedAtBirth", p.sex.code()),
        item("race1", format!("{:02}", p.race1)),
        item("race2", "88"),
        item("race3", "88"),
        item("race4", "88"),
        item("race5", "88"),
        item("spanishHispanicOrigin", p.hispanic.to_string()),
        item("socialSecurityNumber", p.ssn.clone()),
        item("nameLast", p.last.clone()),
        item("nameFirst", p.first.clone()),
    ];
    if !p.middle.is_empty() {
        items.push(item("nameMiddle", p.middle.clone()));
    }
    items.extend([
        item("dateOfBirth", date(p.dob)),
        item("birthplaceState", p.birthplace_state.clone()),
        item("birthplaceCountry", "USA"),
        item("telephone", p.phone.clone()),
        item("addrCurrentNoStreet", p.street.clone()),
        item("addrCurrentCity", p.place.city.clone()),
        item("addrCurrentState", p.place.state.clone()),
        item("addrCurrentPostalCode", p.place.postal_code.clone()),
        item("countyCurrent", p.place.county_fips.clone()),
        item("vitalStatus", vital),
        item("dateOfLastContact", date(p.vital.last_contact())),
        item("causeOfDeath", cause),
        item("icdRevisionNumber", icd_rev),
    ]);

    let behaviors: Vec<u8> = p.tumors.iter().map(|t| t.kind.behavior).collect();
    let tumors = p
        .tumors
        .iter()
        .zip(sequence_numbers(&behaviors))
        .enumerate()
        .map(|(i, (t, seq))| {
            let mut v = vec![
                item("tumorRecordNumber", format!("{:02}", i + 1)),
                item("sequenceNumberCentral", seq),
                item("dateOfDiagnosis", date(t.dx)),
                item("primarySite", t.kind.primary_site.clone()),
                item("histologicTypeIcdO3", t.kind.histology.to_string()),
                item("behaviorCodeIcdO3", t.kind.behavior.to_string()),
                item("laterality", t.laterality.to_string()),
                item("ageAtDiagnosis", format!("{:03}", age_on(p.dob, t.dx))),
                item("maritalStatusAtDx", t.marital.to_string()),
                item("diagnosticConfirmation", t.confirmation.to_string()),
                item("typeOfReportingSource", t.reporting_source.to_string()),
                item("reportingFacility", t.facility.clone()),
                item("addrAtDxNoStreet", p.street.clone()),
                item("addrAtDxCity", p.place.city.clone()),
                item("addrAtDxState", p.place.state.clone()),
                item("addrAtDxPostalCode", p.place.postal_code.clone()),
                item("addrAtDxCountry", "USA"),
                item("countyAtDx", p.place.county_fips.clone()),
                item("stateAtDxGeocode2020", p.place.state_fips.clone()),
                item("countyAtDxGeocode2020", p.place.county_fips.clone()),
            ];
            if let Some(schema) = &t.schema {
                v.push(item("schemaId", schema.schema_id.clone()));
                if !schema.discriminator_1.is_empty() {
                    v.push(item("schemaDiscriminator1", schema.discriminator_1.clone()));
                }
                if !schema.discriminator_2.is_empty() {
                    v.push(item("schemaDiscriminator2", schema.discriminator_2.clone()));
                }
            }
            match t.grade {
                Grade::Legacy(g) => v.push(item("grade", g.to_string())),
                Grade::Since2018(Some((c, path))) => {
                    v.push(item("gradeClinical", c.to_string()));
                    v.push(item("gradePathological", path.to_string()));
                }
                Grade::Since2018(None) => {}
            }
            v
        })
        .collect();
    SyntheticPatient {
        items,
        tumors,
        duplicate_of,
    }
}

#[cfg(test)]
mod tests {
    use super::sequence_numbers;

    #[test]
    fn sequence_numbers_follow_the_naaccr_series() {
        assert_eq!(sequence_numbers(&[3]), ["00"]);
        assert_eq!(sequence_numbers(&[3, 2]), ["01", "02"]);
        assert_eq!(sequence_numbers(&[0]), ["60"]);
        assert_eq!(sequence_numbers(&[3, 1, 0]), ["00", "61", "62"]);
    }
}
