//! Synthetic NAACCR data: the generator of `core::synth` over the tables shipped in
//! `schemas/synth/`, written as NAACCR XML (NAACCR 26, record type A).

use crate::core::naaccr::dictionary::{DictionarySet, RecordType, SpecVersion};
use crate::core::naaccr::xml::{
    ControlChars, Item, NaaccrWriter, Patient, RootAttributes, Tumor, WriteError, WriterOptions,
};
use crate::core::synth::{
    SynthError, SynthOptions, SynthSources, SynthTables, SyntheticPatient, generate,
};
use std::io::Write;
use std::sync::Arc;

/// The generator's tables, built into the binary from `schemas/synth/`.
pub fn builtin_tables() -> Result<SynthTables, SynthError> {
    SynthTables::parse(&SynthSources {
        site_groups: include_str!("../../schemas/synth/site_groups.csv"),
        tumor_mix: include_str!("../../schemas/synth/tumor_mix.csv"),
        paired_sites: include_str!("../../schemas/synth/paired_sites.csv"),
        places: include_str!("../../schemas/synth/places.csv"),
        first_names_female: include_str!("../../schemas/synth/first_names_female.txt"),
        first_names_male: include_str!("../../schemas/synth/first_names_male.txt"),
        last_names: include_str!("../../schemas/synth/last_names.txt"),
        nicknames: include_str!("../../schemas/synth/nicknames.csv"),
        streets: include_str!("../../schemas/synth/streets.txt"),
        street_suffixes: include_str!("../../schemas/synth/street_suffixes.txt"),
        causes_of_death: include_str!("../../schemas/synth/causes_of_death.csv"),
    })?
    .with_schemas(
        include_str!("../../schemas/tables/schema_ids.csv"),
        include_str!("../../schemas/tables/schema_selection.csv"),
    )
}

/// The NAACCR version the generator's items belong to.
pub const SYNTH_NAACCR_VERSION: &str = "260";

fn items(pairs: Vec<(String, String)>) -> Vec<Item> {
    pairs
        .into_iter()
        .map(|(id, value)| Item {
            naaccr_id: Arc::from(id),
            value,
            line: 0,
            column: 0,
        })
        .collect()
}

/// A synthetic patient as the XML writer (and the statistics) take it.
pub fn to_patient(index: usize, p: SyntheticPatient) -> Patient {
    Patient {
        index,
        items: items(p.items),
        tumors: p
            .tumors
            .into_iter()
            .enumerate()
            .map(|(i, t)| Tumor {
                index: i,
                items: items(t),
                ..Tumor::default()
            })
            .collect(),
        ..Patient::default()
    }
}

/// Writes `options.patients` synthetic patients, reproducibly from `seed`, as NAACCR XML to
/// `out`; `progress` is called with the count written so far. The output carries no generation
/// time, so the same seed gives the same bytes.
pub fn write_synthetic<W: Write>(
    tables: &SynthTables,
    dictionary: &DictionarySet,
    options: &SynthOptions,
    seed: u64,
    out: W,
    mut progress: impl FnMut(usize),
) -> Result<W, WriteError> {
    let root = RootAttributes {
        base_dictionary_uri: format!(
            "http://naaccr.org/naaccrxml/naaccr-dictionary-{SYNTH_NAACCR_VERSION}.xml"
        ),
        user_dictionary_uris: Vec::new(),
        time_generated: None,
        specification_version: SpecVersion::V1_8,
    };
    let mut writer = NaaccrWriter::new(
        out,
        dictionary,
        &root,
        WriterOptions {
            record_type: RecordType::A,
            control_chars: ControlChars::Refuse,
        },
    )?;
    for (i, p) in generate(tables, options, seed).enumerate() {
        writer.write_patient(&to_patient(i, p))?;
        progress(i + 1);
    }
    writer.finish()
}
