//! The edits engine: every built-in edit (validity of every item, allowed codes, the standard
//! inter-field edits and the IARC checks: `Engine::select_all`) over 100,000 synthetic patients
//! (`tumor-registry synth`, seed 11, ~106,000 tumors) read into memory first, single-threaded
//! and on every core (one engine shared, one frame per thread). Throughput in tumors.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::BufReader;
use tumor_registry::app::Dictionaries;
use tumor_registry::app::edits::EditEngines;
use tumor_registry::core::edits::engine::{Engine, RunCounts, Selection};
use tumor_registry::core::edits::lang::EvalEnv;
use tumor_registry::core::naaccr::xml::{NaaccrReader, Patient, ReaderOptions};

fn patients(dictionaries: &Dictionaries) -> Vec<Patient> {
    let Ok(tables) = tumor_registry::app::synth::builtin_tables() else {
        return Vec::new();
    };
    let Some(set) = dictionaries.get("260") else {
        return Vec::new();
    };
    let options = tumor_registry::core::synth::SynthOptions {
        patients: 100_000,
        ..tumor_registry::core::synth::SynthOptions::default()
    };
    let Ok(xml) =
        tumor_registry::app::synth::write_synthetic(&tables, set, &options, 11, Vec::new(), |_| {})
    else {
        return Vec::new();
    };
    let provider = |v: &str| dictionaries.get(v).cloned();
    let Ok(mut reader) = NaaccrReader::new(
        BufReader::new(xml.as_slice()),
        &provider,
        ReaderOptions::default(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok(Some(p)) = reader.next_patient() {
        out.push(p);
    }
    out
}

/// Runs the selection over `patients`; returns the failures found.
fn run(engine: &Engine, selection: &Selection, env: &EvalEnv, patients: &[Patient]) -> u64 {
    let mut frame = engine.frame();
    let mut failures = Vec::new();
    let mut counts = RunCounts::default();
    for p in patients {
        engine.load(
            &mut frame,
            p.items.iter().map(|i| (&*i.naaccr_id, i.value.as_str())),
            p.tumors
                .iter()
                .map(|t| t.items.iter().map(|i| (&*i.naaccr_id, i.value.as_str()))),
        );
        failures.clear();
        engine.run(&frame, selection, env, &mut failures, &mut counts, None);
    }
    counts.failures
}

fn bench(c: &mut Criterion) {
    let Ok(dictionaries) = Dictionaries::load(&[]) else {
        return;
    };
    let Ok(engines) = EditEngines::builtin(&dictionaries) else {
        return;
    };
    let Some(engine) = engines.engine(Some("260")) else {
        return;
    };
    let patients = patients(&dictionaries);
    let tumors: usize = patients.iter().map(|p| p.tumors.len()).sum();
    let selection = engine.select_all();
    let env = EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut group = c.benchmark_group("edits_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tumors as u64));
    group.bench_function("all_edits_1_thread", |b| {
        b.iter(|| black_box(run(engine, &selection, &env, &patients)))
    });
    group.bench_function(format!("all_edits_{threads}_threads"), |b| {
        b.iter(|| {
            let chunk = patients.len().div_ceil(threads).max(1);
            let total: u64 = std::thread::scope(|s| {
                let handles: Vec<_> = patients
                    .chunks(chunk)
                    .map(|part| s.spawn(|| run(engine, &selection, &env, part)))
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).sum()
            });
            black_box(total)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
