//! Dictionaries over HTTP and from files. Known answers come from the NAACCR dictionary files
//! themselves and the item counts in ../shared/naaccr/README.md.

use crate::harness::{Backend, TestDb, app};
use actix_web::http::StatusCode;
use std::path::{Path, PathBuf};
use tumor_registry::app::Dictionaries;
use tumor_registry::http::HttpSettings;

#[actix_web::test]
async fn the_three_base_dictionaries_are_listed_with_their_item_counts() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    let a = app.get("/api/v1/dictionaries").await;
    assert_eq!(a.status, StatusCode::OK);
    let list = a.body["dictionaries"].as_array().unwrap();
    let summary: Vec<(String, u64, bool)> = list
        .iter()
        .map(|d| {
            (
                d["version"].as_str().unwrap().to_owned(),
                d["itemCount"].as_u64().unwrap(),
                d["default"].as_bool().unwrap(),
            )
        })
        .collect();
    // ../shared/naaccr/README.md: v24 783 items, v25 780, v26 771 (5 / 49 / 717 by level).
    assert_eq!(
        summary,
        vec![
            ("240".to_owned(), 783, false),
            ("250".to_owned(), 780, false),
            ("260".to_owned(), 771, true),
        ]
    );
    let v26 = &list[2];
    assert_eq!(
        v26["itemsByLevel"],
        serde_json::json!({"NaaccrData": 5, "Patient": 49, "Tumor": 717})
    );
    assert_eq!(
        v26["baseDictionaryUri"],
        "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml"
    );
    assert_eq!(v26["specificationVersion"], "1.8");
}

#[actix_web::test]
async fn an_item_definition_is_read_from_the_dictionary() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    let a = app
        .get("/api/v1/dictionaries/260/items/dateOfDiagnosis")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // From naaccr-dictionary-260.xml: <ItemDef naaccrId="dateOfDiagnosis" naaccrNum="390" ...
    assert_eq!(a.body["naaccrNum"], 390);
    assert_eq!(a.body["naaccrName"], "Date of Diagnosis");
    assert_eq!(a.body["length"], 8);
    assert_eq!(a.body["dataType"], "date");
    assert_eq!(a.body["parentXmlElement"], "Tumor");
    assert_eq!(
        a.body["recordTypes"],
        serde_json::json!(["A", "M", "C", "I"])
    );
    assert_eq!(a.body["padding"], "none");
    assert_eq!(a.body["allowUnlimitedText"], false);
    // Sex became Sex Assigned at Birth (#225) in v26; v25 still has sex (#220).
    assert_eq!(
        app.get("/api/v1/dictionaries/260/items/sex").await.status,
        StatusCode::NOT_FOUND
    );
    let sex = app.get("/api/v1/dictionaries/250/items/sex").await;
    assert_eq!(sex.body["naaccrNum"], 220);
    let missing = app.get("/api/v1/dictionaries/999/items/sex").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
}

fn state_dictionaries() -> Vec<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/user-dictionaries/states-v250");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn twenty_one_state_dictionaries_load_and_the_two_broken_ones_are_refused_by_name() {
    let files = state_dictionaries();
    assert_eq!(files.len(), 23);
    let mut loaded = 0;
    let mut refused = Vec::new();
    for f in &files {
        match Dictionaries::load(std::slice::from_ref(f)) {
            Ok(d) => {
                loaded += 1;
                let v25 = d.get("250").unwrap();
                assert_eq!(v25.user_dictionaries().len(), 1, "{}", f.display());
                assert!(v25.item_count() > 780, "{} added no item", f.display());
            }
            Err(e) => refused.push((
                f.file_name().unwrap().to_string_lossy().into_owned(),
                e.to_string(),
            )),
        }
    }
    assert_eq!(loaded, 21, "refused: {refused:?}");
    let names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "CO-NAACCR-Dictionary-250-v1.0.xml",
            "KS_NAACCR_Dictionary_V25.xml"
        ]
    );
    // Each message names the file, the item and the rule broken.
    let (_, co) = &refused[0];
    assert!(
        co.contains("CO-NAACCR-Dictionary-250-v1.0.xml") && co.contains("leftBlank"),
        "{co}"
    );
    let (_, ks) = &refused[1];
    assert!(
        ks.contains("KS_NAACCR_Dictionary_V25.xml")
            && ks.contains("StudyID1")
            && ks.contains("lower-case"),
        "{ks}"
    );
}
