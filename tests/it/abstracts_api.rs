//! The whole life of an abstract over HTTP, on both backends: create, read, update with
//! If-Match, find, list with filters, history with old and new values, revert, soft delete.

use crate::backend_tests;
use crate::harness::app;
use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tumor_registry::http::HttpSettings;

/// A patient with two tumors, items valid in NAACCR v26 (values from the v26 dictionary's
/// definitions: primarySite is C + 3 digits, dates CCYYMMDD, facility a 10-digit code).
pub fn two_tumor_patient() -> Value {
    json!({
        "items": {
            "patientIdNumber": "00000042",
            "nameLast": "Rivera",
            "nameFirst": "Ana",
            "dateOfBirth": "19580314",
            "sexAssignedAtBirth": "2",
            "vitalStatus": "1",
            "dateOfLastContact": "20250601"
        },
        "tumors": [
            {"items": {
                "primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3",
                "dateOfDiagnosis": "20190412", "sequenceNumberCentral": "01", "laterality": "2",
                "reportingFacility": "0000001234", "addrAtDxState": "NM", "countyAtDx": "001"
            }},
            {"items": {
                "primarySite": "C187", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3",
                "dateOfDiagnosis": "2022", "sequenceNumberCentral": "02", "laterality": "0",
                "reportingFacility": "0000005678", "addrAtDxState": "NM", "countyAtDx": "001"
            }}
        ]
    })
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_i64().expect("id"))
        .collect()
}

backend_tests! {
    async fn a_patient_with_two_tumors_lives_its_whole_life_over_http(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;

        // Create.
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let pid = created.body["id"].as_i64().unwrap();
        assert_eq!(created.body["version"], 1);
        assert_eq!(created.body["dictionaryVersion"], "260");
        assert_eq!(created.body["items"]["nameLast"], "Rivera");
        let tumors = created.body["tumors"].as_array().unwrap();
        assert_eq!(tumors.len(), 2);
        let breast = tumors[0]["id"].as_i64().unwrap();
        let colon = tumors[1]["id"].as_i64().unwrap();
        assert_eq!(tumors[1]["items"]["dateOfDiagnosis"], "2022");

        // Read: the ETag header is the one in the body.
        let read = app.get(&format!("/api/v1/patients/{pid}")).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.etag(), read.body["etag"].as_str().unwrap());
        assert_eq!(read.header("cache-control").as_deref(), Some("no-store"));

        // Update with If-Match: change one item, remove another.
        let updated = app
            .json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &read.etag(),
                json!({"items": {"vitalStatus": "0", "dateOfLastContact": "20260101", "nameFirst": null}}))
            .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(updated.body["version"], 2);
        assert_eq!(updated.body["items"]["vitalStatus"], "0");
        assert!(updated.body["items"].get("nameFirst").is_none());
        assert_ne!(updated.etag(), read.etag());

        // The old ETag is now stale.
        let stale = app
            .json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &read.etag(),
                json!({"items": {"vitalStatus": "1"}}))
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

        // Person search by name (any case, prefix) and birth date, sent in a body.
        let found = app
            .json(Method::POST, "/api/v1/patients/search",
                json!({"nameLast": "rIV", "dateOfBirth": "19580314"}))
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert_eq!(ids(&found.body), vec![pid]);
        let none = app
            .json(Method::POST, "/api/v1/patients/search", json!({"nameLast": "Rivas"}))
            .await;
        assert_eq!(ids(&none.body), Vec::<i64>::new());

        // Filters: by site, by facility, by diagnosis range (a year-only date is in a range
        // inside its year), and the tumor listing.
        for (query, expect) in [
            ("primarySite=C509", vec![pid]),
            ("primarySite=C500,C187", vec![pid]),
            ("primarySite=C619", vec![]),
            ("facility=0000005678", vec![pid]),
            ("diagnosisFrom=20190101&diagnosisTo=20191231", vec![pid]),
            ("diagnosisFrom=20220601&diagnosisTo=20220630", vec![pid]),
            ("diagnosisFrom=20200101&diagnosisTo=20211231", vec![]),
        ] {
            let page = app.get(&format!("/api/v1/patients?{query}")).await;
            assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
            assert_eq!(ids(&page.body), expect, "{query}");
        }
        let t = app.get("/api/v1/tumors?diagnosisFrom=2022&diagnosisTo=2022").await;
        assert_eq!(ids(&t.body), vec![colon]);

        // History: version 1 (create) and 2 (update) with old and new values.
        let history = app.get(&format!("/api/v1/patients/{pid}/history")).await;
        assert_eq!(history.status, StatusCode::OK);
        let versions = history.body["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["action"], "create");
        assert_eq!(versions[1]["action"], "update");
        let changes = &versions[1]["changes"];
        assert_eq!(changes, &json!([
            {"item": "dateOfLastContact", "old": "20250601", "new": "20260101"},
            {"item": "nameFirst", "old": "Ana", "new": null},
            {"item": "vitalStatus", "old": "1", "new": "0"}
        ]));

        // Revert to version 1: a new version 3 whose items equal version 1's.
        let reverted = app
            .json_if_match(Method::POST, &format!("/api/v1/patients/{pid}/revert"), &updated.etag(),
                json!({"version": 1}))
            .await;
        assert_eq!(reverted.status, StatusCode::OK, "{}", reverted.body);
        assert_eq!(reverted.body["version"], 3);
        assert_eq!(reverted.body["items"], created.body["items"]);
        let history = app.get(&format!("/api/v1/patients/{pid}/history")).await;
        assert_eq!(history.body["versions"][2]["action"], "revert");
        assert_eq!(history.body["versions"][2]["reason"], "reverted to version 1");

        // Soft-delete a tumor with a reason: gone from the patient and the listings, kept
        // with its tombstone, and its history says why.
        let tumor = app.get(&format!("/api/v1/tumors/{colon}")).await;
        let deleted = app
            .send(actix_web::test::TestRequest::delete()
                .uri(&format!("/api/v1/tumors/{colon}"))
                .insert_header(("If-Match", tumor.etag()))
                .set_json(json!({"reason": "duplicate report of tumor 1"})))
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        assert_eq!(deleted.body["deleted"]["reason"], "duplicate report of tumor 1");
        let patient = app.get(&format!("/api/v1/patients/{pid}")).await;
        let live: Vec<i64> = patient.body["tumors"].as_array().unwrap().iter()
            .map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(live, vec![breast]);
        let all = app.get(&format!("/api/v1/patients/{pid}?includeDeleted=true")).await;
        assert_eq!(all.body["tumors"].as_array().unwrap().len(), 2);
        let still = app.get(&format!("/api/v1/tumors/{colon}")).await;
        assert_eq!(still.status, StatusCode::OK);
        assert_eq!(still.body["items"]["primarySite"], "C187");
        let th = app.get(&format!("/api/v1/tumors/{colon}/history")).await;
        assert_eq!(th.body["versions"][1]["action"], "delete");
        assert_eq!(th.body["versions"][1]["reason"], "duplicate report of tumor 1");
        let page = app.get("/api/v1/patients?primarySite=C187").await;
        assert_eq!(ids(&page.body), Vec::<i64>::new());

        // A deleted tumor cannot be changed.
        let again = app
            .json_if_match(Method::PATCH, &format!("/api/v1/tumors/{colon}"), &still.etag(),
                json!({"items": {"laterality": "1"}}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.code(), "record_deleted");
    }

    async fn pages_are_stable_and_cover_every_patient_once(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let mut created = Vec::new();
        for i in 0..7 {
            let mut p = two_tumor_patient();
            p["items"]["patientIdNumber"] = json!(format!("{:08}", i));
            let r = app.json(Method::POST, "/api/v1/patients", p).await;
            created.push(r.body["id"].as_i64().unwrap());
        }
        let mut seen = Vec::new();
        let mut uri = "/api/v1/patients?limit=3".to_owned();
        loop {
            let page = app.get(&uri).await;
            assert_eq!(page.status, StatusCode::OK);
            seen.extend(ids(&page.body));
            match page.body["nextAfter"].as_i64() {
                Some(after) => uri = format!("/api/v1/patients?limit=3&after={after}"),
                None => break,
            }
        }
        assert_eq!(seen, created);
    }

    async fn a_tumor_update_and_revert_keep_every_value(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let tid = created.body["tumors"][0]["id"].as_i64().unwrap();
        let t1 = app.get(&format!("/api/v1/tumors/{tid}")).await;
        let t2 = app
            .json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &t1.etag(),
                json!({"items": {"primarySite": "C504", "grade": "2"}}))
            .await;
        assert_eq!(t2.status, StatusCode::OK, "{}", t2.body);
        assert_eq!(t2.body["version"], 2);
        // A patch that changes nothing writes no version.
        let same = app
            .json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &t2.etag(),
                json!({"items": {"primarySite": "C504"}}))
            .await;
        assert_eq!(same.body["version"], 2);
        let back = app
            .json_if_match(Method::POST, &format!("/api/v1/tumors/{tid}/revert"), &t2.etag(),
                json!({"version": 1}))
            .await;
        assert_eq!(back.status, StatusCode::OK);
        assert_eq!(back.body["items"], t1.body["items"]);
        let h = app.get(&format!("/api/v1/tumors/{tid}/history")).await;
        assert_eq!(h.body["versions"][2]["changes"], json!([
            {"item": "grade", "old": "2", "new": null},
            {"item": "primarySite", "old": "C504", "new": "C509"}
        ]));
    }

    async fn a_deleted_patient_leaves_listings_and_search_but_keeps_its_record_and_history(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let pid = created.body["id"].as_i64().unwrap();
        let deleted = app
            .send(actix_web::test::TestRequest::delete()
                .uri(&format!("/api/v1/patients/{pid}"))
                .insert_header(("If-Match", created.etag()))
                .set_json(json!({"reason": "reported in error: not a reportable case"})))
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        assert_eq!(deleted.body["deleted"]["reason"], "reported in error: not a reportable case");
        assert_eq!(deleted.body["version"], 2);
        assert_eq!(ids(&app.get("/api/v1/patients").await.body), Vec::<i64>::new());
        assert_eq!(ids(&app.get("/api/v1/tumors").await.body), Vec::<i64>::new());
        let found = app.json(Method::POST, "/api/v1/patients/search", json!({"nameLast": "Rivera"})).await;
        assert_eq!(ids(&found.body), Vec::<i64>::new());
        // The record and its items are kept, and it can no longer be changed.
        let read = app.get(&format!("/api/v1/patients/{pid}")).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.body["items"], created.body["items"]);
        let again = app
            .json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &read.etag(),
                json!({"items": {"vitalStatus": "0"}}))
            .await;
        assert_eq!(again.code(), "record_deleted");
        let history = app.get(&format!("/api/v1/patients/{pid}/history")).await;
        assert_eq!(history.body["versions"][1]["action"], "delete");
        assert_eq!(history.body["versions"][1]["changes"], json!([]));
    }
}
