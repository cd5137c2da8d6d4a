//! Creating and reading an abstract through the store (the app use cases, as the HTTP handlers
//! call them) on SQLite (a temporary file, WAL) and on PostgreSQL when `TEST_DATABASE_URL`
//! reaches one. The abstract is a real one: patient 1 of the synthetic 10k file (NAACCR 26,
//! ~100 items with its tumor).

// Benchmarks read fixed fixtures of this repository, not user input.
#![allow(clippy::indexing_slicing)]

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tumor_registry::app::abstracts::NewPatient;
use tumor_registry::app::auth::RequestContext;
use tumor_registry::core::abstracts::{ItemInput, PatientId};

fn first_patient() -> NewPatient {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/abstracts/synthetic-v260-first25.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let p = value.get(0).cloned().unwrap_or_default();
    let items = |v: &serde_json::Value| -> Vec<(String, ItemInput)> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            ItemInput::Text(v.as_str().unwrap_or_default().to_owned()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    NewPatient {
        dictionary_version: Some("260".into()),
        items: items(&p["items"]),
        tumors: p["tumors"]
            .as_array()
            .map(|ts| ts.iter().map(|t| items(&t["items"])).collect())
            .unwrap_or_default(),
    }
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    let Some(registry) = common::registry_for(name, url) else {
        return;
    };
    // The command line's context: no token to check; every request still writes its audit event.
    let ctx = RequestContext::system("bench");
    let patient = first_patient();
    let mut group = c.benchmark_group(format!("store_{name}"));
    group.bench_function("create_patient_with_tumor", |b| {
        b.iter(|| {
            let r = runtime.block_on(registry.create_patient(&ctx, patient.clone()));
            black_box(r.is_ok())
        })
    });
    let Ok(created) = runtime.block_on(registry.create_patient(&ctx, patient.clone())) else {
        return;
    };
    let id: PatientId = created.patient.id;
    group.bench_function("read_patient_with_tumors", |b| {
        b.iter(|| {
            let r = runtime.block_on(registry.get_patient(&ctx, id, false));
            black_box(r.is_ok())
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    common::on_each_backend(|name, url| bench_backend(c, name, url));
}

criterion_group!(benches, bench);
criterion_main!(benches);
