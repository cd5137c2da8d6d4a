//! Statistics on 1,000,000 synthetic patients (`tumor-registry synth`, seed 21, diagnosed
//! 2010-2024, followed to 2025; ~1.07 million tumors): the cases are taken from the abstracts
//! once (SEER survival time per tumor), then Kaplan-Meier, Ederer II relative survival and
//! Pohar-Perme net survival (US life table) over every tumor with a survival time, and an
//! age-adjusted incidence table by site group x sex x year (US 2000 standard, Tiwari
//! intervals). One thread.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tumor_registry::app::stats::{
    Case, CaseOptions, Dim, GroupBy, IncidenceRequest, Population, PopulationRow, TimeUnit,
    cases_of, incidence_report, site_recode, standard_population, us_rate_table,
};
use tumor_registry::app::synth::to_patient;
use tumor_registry::core::stats::Observation;
use tumor_registry::core::stats::incidence::{AGE_GROUPS_19, RateCi};
use tumor_registry::core::stats::km::KaplanMeier;
use tumor_registry::core::stats::relative::{RelMethod, RelObservation, estimate};
use tumor_registry::core::synth::{SynthOptions, generate, population};

const PATIENTS: usize = 1_000_000;

fn cases() -> (Vec<Case>, Population) {
    let Ok(tables) = tumor_registry::app::synth::builtin_tables() else {
        return (Vec::new(), Population::default());
    };
    let Ok(recode) = site_recode() else {
        return (Vec::new(), Population::default());
    };
    let options = SynthOptions {
        patients: PATIENTS,
        ..SynthOptions::default()
    };
    let case_options = CaseOptions {
        cutoff: options.study_cutoff,
        today: options.study_cutoff,
        presumed_alive: false,
        first_primary_only: false,
        group_by: GroupBy::None,
    };
    let mut out = Vec::with_capacity(PATIENTS * 11 / 10);
    for (i, p) in generate(&tables, &options, 21).enumerate() {
        out.extend(cases_of(&to_patient(i, p), &recode, &case_options));
    }
    let shares: Vec<f64> = standard_population("us2000")
        .map(|s| s.groups.iter().map(|g| g.1).collect())
        .unwrap_or_default();
    let mut age = [0.0; 19];
    for (a, s) in age.iter_mut().zip(&shares) {
        *a = *s;
    }
    let rows: Vec<PopulationRow> = population(&tables, &options, &age)
        .into_iter()
        .map(|r| PopulationRow {
            year: r.year,
            county: r.county,
            sex: r.sex,
            age_group: AGE_GROUPS_19
                .get(r.age_group)
                .copied()
                .unwrap_or("85+")
                .to_owned(),
            population: r.population as f64,
        })
        .collect();
    (out, Population::from_rows(&rows))
}

fn bench(c: &mut Criterion) {
    let (cases, pop) = cases();
    let usable: Vec<&Case> = cases.iter().filter(|c| c.excluded.is_none()).collect();
    let obs: Vec<Observation> = usable
        .iter()
        .filter_map(|c| c.observation(TimeUnit::Days))
        .collect();
    let rel: Vec<RelObservation> = usable.iter().filter_map(|c| c.rel_observation()).collect();
    let Ok(table) = us_rate_table() else { return };
    eprintln!(
        "{} tumors, {} with a survival time, {} for relative survival",
        cases.len(),
        obs.len(),
        rel.len()
    );
    let mut g = c.benchmark_group("stats_1m_patients");
    g.sample_size(10);
    g.bench_function("kaplan_meier", |b| {
        b.iter(|| black_box(KaplanMeier::fit(black_box(&obs))))
    });
    g.bench_function("ederer2", |b| {
        b.iter(|| black_box(estimate(black_box(&rel), &table, RelMethod::EdererII)))
    });
    g.bench_function("pohar_perme", |b| {
        b.iter(|| black_box(estimate(black_box(&rel), &table, RelMethod::PoharPerme)))
    });
    let Some(standard) = standard_population("us2000") else {
        return;
    };
    let request = IncidenceRequest {
        by: vec![Dim::SiteGroup, Dim::Sex, Dim::Year],
        years: None,
        standard,
        ci: RateCi::Tiwari,
    };
    g.bench_function("age_adjusted_site_sex_year", |b| {
        b.iter(|| black_box(incidence_report(black_box(&cases), &pop, &request)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
