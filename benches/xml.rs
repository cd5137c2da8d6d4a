//! NAACCR XML: read, read + validate, and write, of two files decompressed into memory first
//! (so that the figures are the parser's, not the disk's or gzip's):
//! - `xml_10k`: the 10,000-patient synthetic sample made by another tool
//!   (tests/fixtures/naaccr-samples/synthetic-10k.xml.gz, 77.3 MB, 1,048,823 items);
//! - `xml_100k`: 100,000 patients from `tumor-registry synth` (seed 11), ~265 MB.
//!
//! Throughput is in bytes of XML. `read` checks the structure and that every item is known and
//! at its level; `read_and_validate` also checks every value against its data type and length.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::{BufReader, Read};
use tumor_registry::app::Dictionaries;
use tumor_registry::core::naaccr::xml::{
    ControlChars, MaybeGzip, NaaccrReader, NaaccrWriter, Patient, ReaderOptions, RootAttributes,
    WriterOptions,
};

fn sample_10k() -> Option<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/naaccr-samples/synthetic-10k.xml.gz"
    );
    let file = std::fs::File::open(path).ok()?;
    let mut input = MaybeGzip::detect(BufReader::new(file)).ok()?;
    let mut xml = Vec::new();
    input.read_to_end(&mut xml).ok()?;
    Some(xml)
}

fn synthetic_100k(dictionaries: &Dictionaries) -> Option<Vec<u8>> {
    let tables = tumor_registry::app::synth::builtin_tables().ok()?;
    let options = tumor_registry::core::synth::SynthOptions {
        patients: 100_000,
        ..tumor_registry::core::synth::SynthOptions::default()
    };
    let set = dictionaries.get("260")?;
    tumor_registry::app::synth::write_synthetic(&tables, set, &options, 11, Vec::new(), |_| {}).ok()
}

fn bench_file(group: &mut BenchmarkGroup<'_, WallTime>, xml: &[u8], dictionaries: &Dictionaries) {
    let provider = |v: &str| dictionaries.get(v).cloned();
    group.throughput(Throughput::Bytes(xml.len() as u64));
    for (name, check_values) in [("read", false), ("read_and_validate", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let options = ReaderOptions {
                    check_values,
                    ..ReaderOptions::default()
                };
                let Ok(mut reader) =
                    NaaccrReader::new(BufReader::with_capacity(64 * 1024, xml), &provider, options)
                else {
                    return;
                };
                let mut patient = Patient::default();
                let mut items = 0usize;
                while let Ok(true) = reader.read_patient_into(&mut patient) {
                    items += patient.items.len() + patient.problems.len();
                }
                black_box(items);
            })
        });
    }

    // Writing: the patients are read once, then written again and again.
    let Ok(mut reader) =
        NaaccrReader::new(BufReader::new(xml), &provider, ReaderOptions::default())
    else {
        return;
    };
    let root = reader.root().clone();
    let mut patients = Vec::new();
    while let Ok(Some(p)) = reader.next_patient() {
        patients.push(p);
    }
    let set = reader.dictionaries().clone();
    let attrs = RootAttributes {
        base_dictionary_uri: root.base_dictionary_uri.clone(),
        user_dictionary_uris: root.user_dictionary_uris.clone(),
        time_generated: root.time_generated,
        specification_version: root.specification_version,
    };
    group.bench_function("write", |b| {
        b.iter(|| {
            let out = Vec::with_capacity(xml.len() + (1 << 20));
            let options = WriterOptions {
                record_type: root.record_type,
                control_chars: ControlChars::Refuse,
            };
            let Ok(mut writer) = NaaccrWriter::new(out, &set, &attrs, options) else {
                return;
            };
            let _ = writer.write_root_items(&root.items);
            for p in &patients {
                let _ = writer.write_patient(p);
            }
            black_box(writer.finish().map(|w| w.len()).unwrap_or_default());
        })
    });
}

fn bench(c: &mut Criterion) {
    let Ok(dictionaries) = Dictionaries::load(&[]) else {
        return;
    };
    if let Some(xml) = sample_10k() {
        let mut group = c.benchmark_group("xml_10k");
        group.sample_size(10);
        bench_file(&mut group, &xml, &dictionaries);
        group.finish();
    }
    if let Some(xml) = synthetic_100k(&dictionaries) {
        let mut group = c.benchmark_group("xml_100k");
        group.sample_size(10);
        bench_file(&mut group, &xml, &dictionaries);
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
