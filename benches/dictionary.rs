//! Validating whole abstracts against the NAACCR v26 dictionary: the first 25 patients of the
//! 10,000-patient synthetic file (tests/fixtures/abstracts/synthetic-v260-first25.json, 2,720
//! items), every item checked for existence, level, length, data type and calendar dates.

// Benchmarks read fixed fixtures of this repository, not user input.
#![allow(clippy::indexing_slicing)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tumor_registry::app::Dictionaries;
use tumor_registry::core::abstracts::{ItemInput, validate_new_items};
use tumor_registry::core::naaccr::ParentElement;

type Items = Vec<(String, ItemInput)>;

fn load_fixture() -> Vec<(Items, Vec<Items>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/abstracts/synthetic-v260-first25.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let items = |v: &serde_json::Value| -> Items {
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
    value
        .as_array()
        .map(|patients| {
            patients
                .iter()
                .map(|p| {
                    let tumors = p["tumors"]
                        .as_array()
                        .map(|ts| ts.iter().map(|t| items(&t["items"])).collect())
                        .unwrap_or_default();
                    (items(&p["items"]), tumors)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let Ok(dictionaries) = Dictionaries::load(&[]) else {
        return;
    };
    let Some(dict) = dictionaries.get("260").cloned() else {
        return;
    };
    let patients = load_fixture();
    let item_count: usize = patients
        .iter()
        .map(|(p, ts)| p.len() + ts.iter().map(Vec::len).sum::<usize>())
        .sum();

    let mut group = c.benchmark_group("validate_abstract");
    group.throughput(Throughput::Elements(item_count as u64));
    group.bench_function(BenchmarkId::new("v26_items", item_count), |b| {
        b.iter(|| {
            for (patient, tumors) in &patients {
                let p = validate_new_items(&dict, ParentElement::Patient, patient, "patient");
                black_box(p.is_ok());
                for t in tumors {
                    let r = validate_new_items(&dict, ParentElement::Tumor, t, "tumor");
                    black_box(r.is_ok());
                }
            }
        })
    });
    group.finish();

    c.bench_function("load_base_dictionaries_v24_v25_v26", |b| {
        b.iter(|| black_box(Dictionaries::load(&[]).is_ok()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
