//! Aggregate reports over the API, on both backends: central staff see every count; a
//! researcher never sees a count from 1 to 15, nor anything that lets one be worked out from
//! the report and the coarser reports of the same data (the subtraction attack below).

use crate::backend_tests;
use crate::harness::{add_account, app};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use std::collections::HashMap;
use tumor_registry::core::auth::Role;
use tumor_registry::http::HttpSettings;

const OPTIONS: (i32, i32) = (2015, 2022);

fn synthetic(n: usize, seed: u64) -> (Vec<u8>, tumor_registry::core::synth::SynthOptions) {
    let tables = tumor_registry::app::synth::builtin_tables().unwrap();
    let dictionaries = crate::harness::dictionaries();
    let dictionary = dictionaries.get("260").unwrap();
    let options = tumor_registry::core::synth::SynthOptions {
        patients: n,
        first_dx_year: OPTIONS.0,
        last_dx_year: OPTIONS.1,
        study_cutoff: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
        duplicates_rate: 0.0,
    };
    let xml = tumor_registry::app::synth::write_synthetic(
        &tables,
        dictionary,
        &options,
        seed,
        Vec::new(),
        |_| {},
    )
    .unwrap();
    (xml, options)
}

/// The published counts of an incidence answer: key (joined `by` values) -> count (None:
/// hidden).
fn counts(answer: &Value) -> HashMap<String, Option<u64>> {
    answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = r["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("|");
            (key, r["count"].as_u64())
        })
        .collect()
}

backend_tests! {
    async fn researchers_get_reports_from_which_no_small_count_can_be_worked_out(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (xml, options) = synthetic(700, 9);
        let up = app
            .send(TestRequest::post().uri("/api/v1/imports?mode=all").insert_header(("Content-Type", "application/xml")).set_payload(xml))
            .await;
        assert_eq!(up.status, 202, "{}", up.body);
        let batch = up.body["id"].as_i64().unwrap();
        let mut done = false;
        for _ in 0..3000 {
            let a = app.get(&format!("/api/v1/imports/{batch}")).await;
            if a.body["status"] == "imported" { done = true; break; }
            assert!(["queued", "importing"].contains(&a.body["status"].as_str().unwrap()), "{}", a.body);
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(done);
        // No population yet: a clear refusal.
        let none = app.json(Method::POST, "/api/v1/reports/incidence", json!({"by": ["sex"]})).await;
        assert_eq!(none.status, 422, "{}", none.body);
        assert_eq!(none.body["error"]["details"][0]["code"], "no_population");
        let tables = tumor_registry::app::synth::builtin_tables().unwrap();
        let shares: Vec<f64> = tumor_registry::app::stats::standard_population("us2000").unwrap().groups.iter().map(|g| g.1).collect();
        let mut age = [0.0; 19];
        age.copy_from_slice(&shares);
        let rows = tumor_registry::core::synth::population(&tables, &options, &age)
            .into_iter()
            .map(|r| tumor_registry::app::stats::PopulationRow {
                year: r.year, county: r.county, sex: r.sex,
                age_group: tumor_registry::core::stats::incidence::AGE_GROUPS_19[r.age_group].to_owned(),
                population: r.population as f64,
            })
            .collect();
        app.registry.import_population(rows).await.unwrap();

        let by = json!({"by": ["site-group", "sex"]});
        let full = app.json(Method::POST, "/api/v1/reports/incidence", by.clone()).await;
        assert_eq!(full.status, 200, "{}", full.body);
        assert_eq!(full.body["suppression"]["applied"], false);
        assert_eq!(full.body["standard"], "us2000");
        assert_eq!(full.body["ci"], "tiwari");
        let truth = counts(&full.body);
        assert!(truth.values().any(|c| matches!(c, Some(1..=15))), "the data has small cells to hide");

        add_account(&app.registry, "researcher", Role::Researcher, &[]).await;
        app.login_as("researcher").await;
        let fine = app.json(Method::POST, "/api/v1/reports/incidence", by).await;
        assert_eq!(fine.status, 200, "{}", fine.body);
        assert_eq!(fine.body["suppression"]["applied"], true);
        assert_eq!(fine.body["suppression"]["threshold"], 15);
        let shown = counts(&fine.body);
        for (key, c) in &shown {
            assert!(!matches!(c, Some(1..=15)), "{key}: {c:?} shown to a researcher");
            if let Some(c) = c {
                assert_eq!(Some(*c), truth[key], "{key}: a shown count is the true count");
            }
        }
        for r in fine.body["rows"].as_array().unwrap() {
            if r["suppressed"] == true {
                assert!(r["rate"].is_null() && r["crude_rate"].is_null() && r["lower"].is_null(), "{r}");
            }
        }
        // The coarser reports a researcher can also ask for.
        let by_site = counts(&app.json(Method::POST, "/api/v1/reports/incidence", json!({"by": ["site-group"]})).await.body);
        let by_sex = counts(&app.json(Method::POST, "/api/v1/reports/incidence", json!({"by": ["sex"]})).await.body);
        let all = counts(&app.json(Method::POST, "/api/v1/reports/incidence", json!({"by": []})).await.body);
        // Subtraction attack: any margin with exactly one hidden cell gives it away.
        let mut recovered = Vec::new();
        let cells: Vec<(&str, &str, Option<u64>)> = shown.iter().map(|(k, c)| {
            let (s, x) = k.split_once('|').unwrap();
            (s, x, *c)
        }).collect();
        for (margin, value) in by_site.iter().map(|(k, v)| (("site", k.clone()), *v))
            .chain(by_sex.iter().map(|(k, v)| (("sex", k.clone()), *v)))
        {
            let Some(total) = value else { continue };
            let members: Vec<&(&str, &str, Option<u64>)> = cells.iter()
                .filter(|(s, x, _)| if margin.0 == "site" { *s == margin.1 } else { *x == margin.1 })
                .collect();
            let hidden: Vec<_> = members.iter().filter(|m| m.2.is_none()).collect();
            if hidden.len() == 1 {
                let known: u64 = members.iter().filter_map(|m| m.2).sum();
                recovered.push((hidden[0].0.to_owned(), hidden[0].1.to_owned(), total - known));
            }
        }
        if let Some(Some(grand)) = all.get("") {
            let hidden_sites: Vec<_> = by_site.iter().filter(|(_, v)| v.is_none()).collect();
            assert_ne!(hidden_sites.len(), 1, "one hidden site total would follow from the grand total {grand}");
        }
        assert!(recovered.is_empty(), "recovered {recovered:?}");

        // Survival by site group: no group of 1-15 cases, and its curve is gone.
        let surv = app.json(Method::POST, "/api/v1/reports/survival", json!({"groupBy": "site-group", "timeUnit": "months", "times": [12, 36, 60], "cutoff": "2024-12-31"})).await;
        assert_eq!(surv.status, 200, "{}", surv.body);
        assert_eq!(surv.body["method"], "km");
        let groups = surv.body["groups"].as_array().unwrap();
        assert!(groups.iter().any(|g| g["suppressed"] == true), "small groups exist in 700 patients");
        for g in groups {
            assert!(!matches!(g["n"].as_u64(), Some(1..=15)), "{g}");
            for r in g["rows"].as_array().unwrap() {
                assert!(!matches!(r["n_risk"].as_u64(), Some(1..=15)), "{r}");
            }
            if g["suppressed"] == true {
                assert!(g["n"].is_null() && g["rows"].as_array().unwrap().is_empty());
            }
        }
        assert!(surv.body.get("excluded").is_none_or(|e| e.as_object().unwrap().is_empty()));

        // Formats.
        let csv = app.send(TestRequest::post().uri("/api/v1/reports/incidence?format=csv").set_json(json!({"by": ["sex"]}))).await;
        assert_eq!(csv.status, 200);
        assert!(csv.raw.starts_with(b"sex,count,population,crude_rate,rate,se,lower,upper\n"));
        let png = app.send(TestRequest::post().uri("/api/v1/reports/survival?format=png").set_json(json!({"groupBy": "sex", "cutoff": "2024-12-31"}))).await;
        assert_eq!(png.status, 200);
        assert_eq!(&png.raw[..4], b"\x89PNG");
        let bad = app.json(Method::POST, "/api/v1/reports/survival", json!({"method": "cox"})).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.body["error"]["details"][0]["item"], "method");
    }
}
