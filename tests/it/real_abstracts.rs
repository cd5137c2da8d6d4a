//! Abstracts made by other tools go in and come out unchanged. The fixtures are the first 25
//! patients of ../shared/naaccr/samples/synthetic-10k.xml.gz (NAACCR 26) and of
//! naaccr-xml-sample-v250-abstract-100.xml.gz (NAACCR 25), converted item for item to JSON.
//! The reference Java reader (imsweb/naaccr-xml 12.3) reads both files with 0 validation
//! errors, so every item must pass our validation too, and read back byte for byte.

use crate::backend_tests;
use crate::harness::app;
use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tumor_registry::http::HttpSettings;

pub fn fixture(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/abstracts")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

backend_tests! {
    async fn abstracts_from_another_tool_are_valid_and_read_back_unchanged(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        for (file, version) in [
            ("synthetic-v260-first25.json", "260"),
            ("sample-v250-abstract-first25.json", "250"),
        ] {
            for (n, patient) in fixture(file).into_iter().enumerate() {
                let mut body = patient.clone();
                body["dictionaryVersion"] = json!(version);
                let created = app.json(Method::POST, "/api/v1/patients", body).await;
                assert_eq!(created.status, StatusCode::CREATED, "{file} patient {n}: {}", created.body);
                let id = created.body["id"].as_i64().unwrap();
                let read = app.get(&format!("/api/v1/patients/{id}")).await;
                assert_eq!(read.body["items"], patient["items"], "{file} patient {n}");
                let tumors: Vec<&Value> = read.body["tumors"].as_array().unwrap().iter().map(|t| &t["items"]).collect();
                let sent: Vec<&Value> = patient["tumors"].as_array().unwrap().iter().map(|t| &t["items"]).collect();
                assert_eq!(tumors, sent, "{file} patient {n}");
            }
        }
    }
}
