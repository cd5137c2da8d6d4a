//! NAACCR XML: read + validate, and write, of the 10,000-patient synthetic sample
//! (tests/fixtures/naaccr-samples/synthetic-10k.xml.gz, 77.3 MB uncompressed, 1,048,823 items),
//! decompressed into memory first so that the figures are the parser's, not the disk's or
//! gzip's. Throughput is in bytes of XML.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::{BufReader, Read};
use tumor_registry::app::Dictionaries;
use tumor_registry::core::naaccr::xml::{
    ControlChars, MaybeGzip, NaaccrReader, NaaccrWriter, Patient, ReaderOptions, RootAttributes,
    WriterOptions,
};

fn bench(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/naaccr-samples/synthetic-10k.xml.gz"
    );
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let Ok(mut input) = MaybeGzip::detect(BufReader::new(file)) else {
        return;
    };
    let mut xml = Vec::new();
    if input.read_to_end(&mut xml).is_err() {
        return;
    }
    let Ok(dictionaries) = Dictionaries::load(&[]) else {
        return;
    };
    let provider = |v: &str| dictionaries.get(v).cloned();

    let mut group = c.benchmark_group("xml_10k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("read_and_validate", |b| {
        b.iter(|| {
            let Ok(mut reader) = NaaccrReader::new(
                BufReader::with_capacity(64 * 1024, xml.as_slice()),
                &provider,
                ReaderOptions::default(),
            ) else {
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

    // Writing: the patients are read once, then written again and again.
    let Ok(mut reader) = NaaccrReader::new(
        BufReader::new(xml.as_slice()),
        &provider,
        ReaderOptions::default(),
    ) else {
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
