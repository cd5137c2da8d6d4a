//! Edits over the API, on both backends: every save answers what the edit set run on save
//! finds (with the tumor concerned), a registry may make that set refuse saves (nothing
//! written), and any set can be run on demand over a stored patient.
//!
//! Expected failures come from the standard's description of the edits
//! (shared/edits-tables/standard-edits-logic.md): SEER IF39 refuses in situ behavior (2) with
//! primary site C809; SEER IF25 refuses choriocarcinoma (9100/3) of the breast (C509); the IARC
//! Sex/Topography check refuses a male with an ovarian site (C569).

use crate::abstracts_api::two_tumor_patient;
use crate::backend_tests;
use crate::harness::{app, app_with};
use actix_web::http::Method;
use serde_json::{Value, json};
use tumor_registry::http::HttpSettings;

/// The example patient of the API tests, complete enough to pass the abstracting set: from
/// 2018 a tumor needs its Schema ID (SEER IFN2823; 00480 breast, 00200 colon and rectum).
fn clean_patient() -> Value {
    let mut p = two_tumor_patient();
    p["tumors"][0]["items"]["schemaId"] = json!("00480");
    p["tumors"][1]["items"]["schemaId"] = json!("00200");
    p
}

fn failures(report: &Value) -> Vec<(String, Option<i64>)> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["edit"].as_str().unwrap().to_owned(),
                f["tumorId"].as_i64(),
            )
        })
        .collect()
}

backend_tests! {
    async fn a_save_answers_what_the_edits_find_with_the_tumor_concerned(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", clean_patient()).await;
        assert_eq!(created.status, 201, "{}", created.body);
        // The example patient passes the abstracting set.
        assert_eq!(created.body["edits"]["set"], "abstracting");
        assert_eq!(created.body["edits"]["failures"], json!([]), "{}", created.body["edits"]);

        // An in situ tumor of an unknown primary site: IF39 fails on that tumor.
        let id = created.body["id"].as_i64().unwrap();
        let tumor = created.body["tumors"][1]["id"].as_i64().unwrap();
        let etag = created.body["tumors"][1]["etag"].as_str().unwrap().to_owned();
        let changed = app
            .json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tumor}"), &etag,
                json!({"items": {"primarySite": "C809", "behaviorCodeIcdO3": "2", "histologicTypeIcdO3": "8010"}}))
            .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        let edits = &changed.body["edits"];
        assert!(failures(edits).contains(&("IF39".to_owned(), Some(tumor))), "{edits}");
        let if39 = edits["failures"].as_array().unwrap().iter().find(|f| f["edit"] == "IF39").unwrap();
        assert_eq!(if39["message"], "Behavior 2 (in situ) is not possible with Primary Site C809");
        assert_eq!(if39["severity"], "error");
        assert_eq!(if39["items"], json!(["behaviorCodeIcdO3", "primarySite"]));
        assert!(edits["errors"].as_u64().unwrap() >= 1);

        // Saved all the same (the default set does not block), and seen on demand too.
        let on_demand = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits"), json!(null)).await;
        assert_eq!(on_demand.status, 200, "{}", on_demand.body);
        assert_eq!(failures(&on_demand.body), failures(edits));
    }

    async fn any_set_runs_on_demand_and_an_unknown_set_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let mut patient = two_tumor_patient();
        patient["items"]["sexAssignedAtBirth"] = json!("1");
        patient["tumors"][0]["items"]["primarySite"] = json!("C569");
        patient["tumors"][0]["items"]["laterality"] = json!("1");
        let created = app.json(Method::POST, "/api/v1/patients", patient).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        let tumor = created.body["tumors"][0]["id"].as_i64().unwrap();
        let iarc = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits?set=iarc"), json!(null)).await;
        assert_eq!(iarc.status, 200, "{}", iarc.body);
        assert_eq!(iarc.body["set"], "iarc");
        assert!(failures(&iarc.body).contains(&("IARC-SEX-TOPO".to_owned(), Some(tumor))), "{}", iarc.body);
        let unknown = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits?set=strictest"), json!(null)).await;
        assert_eq!(unknown.status, 422);
        assert_eq!(unknown.body["error"]["details"][0]["code"], "unknown_edit_set");
        let missing = app.json(Method::POST, "/api/v1/patients/999/edits", json!(null)).await;
        assert_eq!(missing.status, 404);
    }

    async fn a_blocking_set_refuses_a_failing_save_and_writes_nothing(db: TestDb) {
        let app = app_with(&db, HttpSettings::default(), |r| {
            r.with_edits_on_save(Some("abstracting".into()), true)
        })
        .await;
        let mut patient = clean_patient();
        patient["tumors"][0]["items"]["histologicTypeIcdO3"] = json!("9100");
        let before = db.fingerprint();
        let refused = app.json(Method::POST, "/api/v1/patients", patient).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(refused.code(), "edits_failed");
        let details = refused.body["error"]["details"].as_array().unwrap();
        assert!(details.iter().any(|d| d["code"] == "IF25"
            && d["problem"] == "Primary Site C509 with Histology/Behavior 9100/3 is not on the SEER site/type list: review, and set Over-ride Site/Type if it is right"),
            "{}", refused.body);
        assert_eq!(db.fingerprint(), before, "nothing was written");

        // Reviewed and over-ridden, the same abstract is accepted.
        let mut reviewed = clean_patient();
        reviewed["tumors"][0]["items"]["histologicTypeIcdO3"] = json!("9100");
        reviewed["tumors"][0]["items"]["overRideSiteType"] = json!("1");
        let accepted = app.json(Method::POST, "/api/v1/patients", reviewed).await;
        assert_eq!(accepted.status, 201, "{}", accepted.body);
        assert_eq!(accepted.body["edits"]["errors"], 0);
    }

    async fn without_edits_on_save_the_answer_has_none(db: TestDb) {
        let app = app_with(&db, HttpSettings::default(), |r| r.with_edits_on_save(None, false)).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        assert_eq!(created.status, 201);
        assert!(created.body.get("edits").is_none(), "{}", created.body);
    }
}
