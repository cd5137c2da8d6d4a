//! Importing NAACCR XML into the database, on SQLite (a temporary file) and on PostgreSQL when
//! `TEST_DATABASE_URL` reaches one: files of 1,000 synthetic patients (`tumor-registry synth`,
//! a new seed for each, so that each is a new file), read, validated and written in one
//! transaction with their history rows and the batch's audit events. The 100,000-patient
//! import is timed as a whole command (see the README).

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use std::io::{BufReader, Cursor};
use std::time::{Duration, Instant};
use tumor_registry::app::auth::RequestContext;
use tumor_registry::app::imports::{ImportMode, ImportRequest};

const PATIENTS: usize = 1000;

fn synthetic(seed: u64) -> Vec<u8> {
    let (Ok(tables), Ok(dictionaries)) = (
        tumor_registry::app::synth::builtin_tables(),
        tumor_registry::app::Dictionaries::load(&[]),
    ) else {
        return Vec::new();
    };
    let Some(set) = dictionaries.get("260") else {
        return Vec::new();
    };
    let options = tumor_registry::core::synth::SynthOptions {
        patients: PATIENTS,
        ..tumor_registry::core::synth::SynthOptions::default()
    };
    tumor_registry::app::synth::write_synthetic(&tables, set, &options, seed, Vec::new(), |_| {})
        .unwrap_or_default()
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    let Some(registry) = common::registry_for(name, url) else {
        return;
    };
    let ctx = RequestContext::system("bench");
    let mut seed = 1000u64;
    let mut group = c.benchmark_group(format!("import_{name}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(PATIENTS as u64));
    group.bench_function("1000_patients", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                seed += 1;
                let xml = synthetic(seed);
                let sha256 = Sha256::digest(&xml)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let request = ImportRequest {
                    file_name: format!("bench-{seed}.xml"),
                    sha256,
                    mode: ImportMode::All,
                    dry_run: false,
                    file_size: xml.len() as u64,
                };
                let started = Instant::now();
                let input = BufReader::with_capacity(256 * 1024, Cursor::new(xml));
                let outcome = runtime.block_on(registry.import_file(&ctx, request, input, |_| {}));
                total += started.elapsed();
                if !matches!(&outcome, Ok(o) if o.patients_imported == PATIENTS as u64) {
                    eprintln!("import_{name}: not imported whole: {outcome:?}");
                }
            }
            total
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    common::on_each_backend(|name, url| bench_backend(c, name, url));
}

criterion_group!(benches, bench);
criterion_main!(benches);
