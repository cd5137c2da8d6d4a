//! Exporting abstracts as NAACCR XML: patients in id order, page by page, each with its tumors
//! that match the filter, written by the streaming writer. Memory does not grow with the
//! registry's size.

use super::abstracts::Access;
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::search::FilterInput;
use super::{AppError, Registry};
use crate::core::abstracts::{ItemMap, PatientId};
use crate::core::auth::Permission;
use crate::core::naaccr::dictionary::{RecordType, SpecVersion};
use crate::core::naaccr::xml::{
    ControlChars, Item, NaaccrWriter, Patient, RootAttributes, Tumor, WriteError, WriterOptions,
};
use crate::store::abstracts as q;
use serde::Serialize;
use std::io::Write;
use std::sync::Arc;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Which tumors (and so which patients).
    pub filter: FilterInput,
    /// The file's record type: items outside it are left out (an incidence file `I` carries no
    /// confidential item).
    pub record_type: RecordType,
    /// The NAACCR version of the file; only records validated against it are written.
    pub dictionary_version: String,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Patients written.
    pub patients: u64,
    /// Tumors written.
    pub tumors: u64,
    /// Patients left out because they were validated against another NAACCR version.
    pub skipped_other_version: u64,
}

/// Patients read per page.
const PAGE: i64 = 500;

/// Items of a stored record as the XML writer takes them.
pub(crate) fn items(map: &ItemMap) -> Vec<Item> {
    map.iter()
        .map(|(k, v)| Item {
            naaccr_id: Arc::from(k.as_str()),
            value: v.clone(),
            line: 0,
            column: 0,
        })
        .collect()
}

fn write_failed(e: WriteError) -> AppError {
    AppError::Internal(format!("export: {e}"))
}

impl Registry {
    /// Writes the abstracts chosen by `request` to `out` as NAACCR XML; `progress` is called
    /// with the number of patients written so far. Audited as one `export` event.
    pub async fn export<W: Write + Send + 'static>(
        &self,
        ctx: &RequestContext,
        request: ExportRequest,
        out: W,
        mut progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<(ExportSummary, W), AppError> {
        let registry = self.clone();
        let access = Access::of(ctx);
        let facts = AuditFacts::default();
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "export",
            facts,
            move |conn, facts| {
                let dictionary = registry.dictionary(Some(&request.dictionary_version))?;
                let filter = registry.scoped_filter(request.filter.clone(), PAGE, &access)?;
                let root = RootAttributes {
                    base_dictionary_uri: format!(
                        "http://naaccr.org/naaccrxml/naaccr-dictionary-{}.xml",
                        dictionary.version()
                    ),
                    user_dictionary_uris: dictionary
                        .user_dictionaries()
                        .iter()
                        .map(|d| d.uri().to_owned())
                        .collect(),
                    time_generated: Some(registry.now().and_utc().fixed_offset()),
                    specification_version: SpecVersion::V1_8,
                };
                let options = WriterOptions {
                    record_type: request.record_type,
                    control_chars: ControlChars::Refuse,
                };
                let mut writer =
                    NaaccrWriter::new(out, &dictionary, &root, options).map_err(write_failed)?;
                let mut summary = ExportSummary::default();
                let mut after: Option<PatientId> = None;
                loop {
                    let page = q::list_patients(conn, &filter, after, PAGE)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id);
                    let ids: Vec<PatientId> = page.iter().map(|p| p.id).collect();
                    let mut tumors = q::tumors_matching(conn, &filter, &ids)?
                        .into_iter()
                        .peekable();
                    for (index, p) in page.into_iter().enumerate() {
                        let mine: Vec<_> =
                            std::iter::from_fn(|| tumors.next_if(|t| t.patient_id == p.id))
                                .collect();
                        let same_version = p.dictionary_version == dictionary.version()
                            && mine
                                .iter()
                                .all(|t| t.dictionary_version == dictionary.version());
                        if !same_version {
                            summary.skipped_other_version += 1;
                            continue;
                        }
                        let patient = Patient {
                            index,
                            items: items(&p.items),
                            tumors: mine
                                .iter()
                                .enumerate()
                                .map(|(i, t)| Tumor {
                                    index: i,
                                    items: items(&t.items),
                                    ..Tumor::default()
                                })
                                .collect(),
                            ..Patient::default()
                        };
                        writer.write_patient(&patient).map_err(write_failed)?;
                        summary.patients += 1;
                        summary.tumors += mine.len() as u64;
                        progress(summary.patients);
                    }
                }
                let out = writer.finish().map_err(write_failed)?;
                facts.detail = Some(format!(
                    "{} patients, {} tumors, record type {}",
                    summary.patients,
                    summary.tumors,
                    request.record_type.as_str()
                ));
                Ok((summary, out))
            },
        )
        .await
    }
}
