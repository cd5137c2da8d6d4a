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
        // SEER's schema selection puts 9100 of the breast in Soft Tissue Trunk and Extremities.
        reviewed["tumors"][0]["items"]["schemaId"] = json!("00410");
        let accepted = app.json(Method::POST, "/api/v1/patients", reviewed).await;
        assert_eq!(accepted.status, 201, "{}", accepted.body);
        assert_eq!(accepted.body["edits"]["errors"], 0);
    }

    // IARC's Behaviour/Topography check finds in situ behaviour rare in the CNS
    // (standard-edits-logic.md E3); "rare" results are confirmed by a person with a reason.
    async fn a_rare_combination_is_confirmed_with_a_reason_and_the_confirmation_can_be_withdrawn(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let mut patient = two_tumor_patient();
        patient["tumors"][0]["items"]["primarySite"] = json!("C719");
        patient["tumors"][0]["items"]["histologicTypeIcdO3"] = json!("9380");
        patient["tumors"][0]["items"]["behaviorCodeIcdO3"] = json!("2");
        patient["tumors"][0]["items"]["laterality"] = json!("0");
        let created = app.json(Method::POST, "/api/v1/patients", patient).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        let tumor = created.body["tumors"][0]["id"].as_i64().unwrap();
        let iarc_url = format!("/api/v1/patients/{id}/edits?set=iarc");
        let run_iarc = || app.json(Method::POST, &iarc_url, json!(null));
        let before = run_iarc().await;
        assert!(failures(&before.body).contains(&("IARC-BEH-TOPO".to_owned(), Some(tumor))), "{}", before.body);
        assert!(before.body.get("confirmed").is_none(), "{}", before.body);

        let url = format!("/api/v1/tumors/{tumor}/edit-confirmations");
        // A reason is required; an edit with an over-ride item is not confirmed this way.
        let blank = app.json(Method::POST, &url, json!({"edit": "IARC-BEH-TOPO", "reason": "  "})).await;
        assert_eq!(blank.status, 422, "{}", blank.body);
        assert_eq!(blank.body["error"]["details"][0]["code"], "reason_required");
        let flagged = app.json(Method::POST, &url, json!({"edit": "IF39", "reason": "reviewed"})).await;
        assert_eq!(flagged.status, 422, "{}", flagged.body);
        assert_eq!(flagged.body["error"]["details"][0]["code"], "edit_not_confirmable");
        let unknown_tumor = app.json(Method::POST, "/api/v1/tumors/999/edit-confirmations",
            json!({"edit": "IARC-BEH-TOPO", "reason": "reviewed"})).await;
        assert_eq!(unknown_tumor.status, 404);

        let reason = "Pathology reviewed: glioma in situ confirmed by the neuropathologist";
        let confirmed = app.json(Method::POST, &url, json!({"edit": "IARC-BEH-TOPO", "reason": reason})).await;
        assert_eq!(confirmed.status, 201, "{}", confirmed.body);
        assert_eq!(confirmed.body["edit"], "IARC-BEH-TOPO");
        assert_eq!(confirmed.body["tumorId"], tumor);
        assert_eq!(confirmed.body["reason"], reason);
        assert_eq!(confirmed.body["confirmedBy"], "central");

        // The edit no longer fails on that tumor; the report says who confirmed it and why.
        let after = run_iarc().await;
        assert!(!failures(&after.body).iter().any(|(e, _)| e == "IARC-BEH-TOPO"), "{}", after.body);
        assert_eq!(after.body["confirmed"][0]["edit"], "IARC-BEH-TOPO", "{}", after.body);
        assert_eq!(after.body["confirmed"][0]["reason"], reason);

        // Confirming again replaces the reason; the old confirmation is kept, withdrawn.
        let again = app.json(Method::POST, &url, json!({"edit": "IARC-BEH-TOPO", "reason": "Second review agrees"})).await;
        assert_eq!(again.status, 201, "{}", again.body);
        let all = app.json(Method::GET, &format!("{url}?all=true"), json!(null)).await;
        assert_eq!(all.status, 200, "{}", all.body);
        let rows = all.body.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{}", all.body);
        assert_eq!(rows[0]["reason"], reason);
        assert_eq!(rows[0]["withdrawnBy"], "central");
        assert!(rows[1].get("withdrawnAt").is_none());
        let in_force = app.json(Method::GET, &url, json!(null)).await;
        assert_eq!(in_force.body.as_array().unwrap().len(), 1);

        // Withdrawn, the edit fails again; a second withdrawal finds nothing.
        let withdrawn = app.json(Method::DELETE, &format!("{url}/IARC-BEH-TOPO"), json!(null)).await;
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
        assert_eq!(withdrawn.body["withdrawnBy"], "central");
        let back = run_iarc().await;
        assert!(failures(&back.body).contains(&("IARC-BEH-TOPO".to_owned(), Some(tumor))), "{}", back.body);
        let twice = app.json(Method::DELETE, &format!("{url}/IARC-BEH-TOPO"), json!(null)).await;
        assert_eq!(twice.status, 404);
    }

    async fn without_edits_on_save_the_answer_has_none(db: TestDb) {
        let app = app_with(&db, HttpSettings::default(), |r| r.with_edits_on_save(None, false)).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        assert_eq!(created.status, 201);
        assert!(created.body.get("edits").is_none(), "{}", created.body);
    }
}

/// A registry edit: a tumor diagnosed in 2019 or later needs a Reporting Facility.
fn facility_edit() -> Value {
    json!({
        "id": "STATE-0001",
        "name": "Reporting Facility required from 2019 (state rule)",
        "agency": "State",
        "severity": "error",
        "sets": ["abstracting"],
        "skip": "empty(dateOfDiagnosis) or year(dateOfDiagnosis) < 2019",
        "condition": "present(reportingFacility)",
        "message": "Reporting Facility is required for a diagnosis in {dateOfDiagnosis}",
        "tests": [
            {"expect": "pass", "tumors": [{"dateOfDiagnosis": "20190301", "reportingFacility": "0000001234"}]},
            {"expect": "fail", "tumors": [{"dateOfDiagnosis": "20190301"}],
             "message": "Reporting Facility is required for a diagnosis in 20190301"},
            {"expect": "skip", "tumors": [{"dateOfDiagnosis": "2015"}]}
        ]
    })
}

backend_tests! {
    async fn a_custom_edit_is_written_tried_activated_and_retired_with_every_version_kept(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        // A stored abstract the edit will find: a 2022 tumor without a facility.
        let mut patient = clean_patient();
        patient["tumors"][1]["items"].as_object_mut().unwrap().remove("reportingFacility");
        let created = app.json(Method::POST, "/api/v1/patients", patient).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        let tumor = created.body["tumors"][1]["id"].as_i64().unwrap();

        let v1 = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": facility_edit(), "note": "state rule 2026-11"})).await;
        assert_eq!(v1.status, 201, "{}", v1.body);
        assert_eq!((v1.body["version"].as_i64(), v1.body["status"].as_str()), (Some(1), Some("draft")));
        assert_eq!(v1.body["createdBy"], "central");

        // A draft is not in service yet.
        let before = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits"), json!(null)).await;
        assert!(!failures(&before.body).iter().any(|(e, _)| e == "STATE-0001"));

        // Tried on the stored abstracts: one tumor fails it, one passes.
        let run = app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/versions/1/test", json!(null)).await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert_eq!((run.body["patients"].as_i64(), run.body["checked"].as_i64(), run.body["failed"].as_i64()), (Some(1), Some(2), Some(1)), "{}", run.body);
        assert_eq!(run.body["failures"][0]["tumorId"], tumor);
        assert_eq!(run.body["failures"][0]["message"], "Reporting Facility is required for a diagnosis in 2022");

        let active = app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/versions/1/activate", json!(null)).await;
        assert_eq!(active.status, 200, "{}", active.body);
        assert_eq!(active.body["status"], "active");
        let after = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits"), json!(null)).await;
        assert!(failures(&after.body).contains(&("STATE-0001".to_owned(), Some(tumor))), "{}", after.body);
        let listed = app.get("/api/v1/edits?set=abstracting").await;
        assert!(listed.body.as_array().unwrap().iter().any(|e| e["id"] == "STATE-0001"));

        // Version 2 (a warning now) supersedes version 1 when activated.
        let mut changed = facility_edit();
        changed["severity"] = json!("warning");
        let v2 = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": changed})).await;
        assert_eq!(v2.body["version"], 2);
        let a2 = app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/versions/2/activate", json!(null)).await;
        assert_eq!(a2.status, 200);
        let versions = app.get("/api/v1/custom-edits/STATE-0001").await;
        let statuses: Vec<&str> = versions.body.as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["superseded", "active"]);

        let retired = app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/retire", json!(null)).await;
        assert_eq!(retired.status, 200, "{}", retired.body);
        assert_eq!(retired.body["status"], "retired");
        let gone = app.json(Method::POST, &format!("/api/v1/patients/{id}/edits"), json!(null)).await;
        assert!(!failures(&gone.body).iter().any(|(e, _)| e == "STATE-0001"));
        assert_eq!(app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/retire", json!(null)).await.status, 404);
    }

    async fn a_broken_custom_edit_is_refused_with_its_place_and_nothing_changes(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let mut broken = facility_edit();
        broken["condition"] = json!("present(reportingFacility) and ageAtDiagnosis > 60");
        let a = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": broken})).await;
        assert_eq!(a.status, 422, "{}", a.body);
        let d = &a.body["error"]["details"][0];
        assert_eq!(d["item"], "condition");
        assert_eq!(d["code"], "text_compared_with_number");

        let mut wrong_example = facility_edit();
        wrong_example["tests"][1]["expect"] = json!("pass");
        let b = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": wrong_example})).await;
        assert_eq!(b.status, 422);
        assert_eq!(b.body["error"]["details"][0]["item"], "tests[1]");
        assert_eq!(b.body["error"]["details"][0]["code"], "edit_test_failed");

        let mut builtin = facility_edit();
        builtin["id"] = json!("IF25");
        let c = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": builtin})).await;
        assert_eq!(c.status, 422);
        assert_eq!(c.body["error"]["details"][0]["code"], "bad_edit_id");

        let mut unknown_dep = facility_edit();
        unknown_dep["depends"] = json!(["NOPE"]);
        let d2 = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": unknown_dep})).await;
        assert_eq!(d2.status, 422);
        assert_eq!(d2.body["error"]["details"][0]["item"], "depends");

        assert_eq!(app.get("/api/v1/custom-edits").await.body, json!([]));

        // An edit another depends on cannot be retired: the service keeps its edits.
        let base = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": facility_edit()})).await;
        assert_eq!(base.status, 201, "{}", base.body);
        app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/versions/1/activate", json!(null)).await;
        let dependent = json!({
            "id": "STATE-0002",
            "name": "Reporting Facility: ten digits (state rule)",
            "severity": "error",
            "sets": ["abstracting"],
            "depends": ["STATE-0001"],
            "skip": "empty(reportingFacility)",
            "condition": "match(reportingFacility, \"dddddddddd\")",
            "message": "Reporting Facility {reportingFacility} is not ten digits",
            "tests": [
                {"expect": "pass", "tumors": [{"dateOfDiagnosis": "2019", "reportingFacility": "0000001234"}]},
                {"expect": "fail", "tumors": [{"dateOfDiagnosis": "2019", "reportingFacility": "12AB"}],
                 "message": "Reporting Facility 12AB is not ten digits"}
            ]
        });
        let dep = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": dependent})).await;
        assert_eq!(dep.status, 201, "{}", dep.body);
        assert_eq!(app.json(Method::POST, "/api/v1/custom-edits/STATE-0002/versions/1/activate", json!(null)).await.status, 200);
        let refused = app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/retire", json!(null)).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(refused.body["error"]["details"][0]["code"], "unknown_dependency");
        let still = app.get("/api/v1/custom-edits/STATE-0001").await;
        assert_eq!(still.body[0]["status"], "active");
        let listed = app.get("/api/v1/edits").await;
        assert!(listed.body.as_array().unwrap().iter().any(|e| e["id"] == "STATE-0002"));
    }

    async fn only_central_staff_manage_edits(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.become_user("reg", tumor_registry::core::auth::Role::Registrar, &["0000001234"]).await;
        let a = app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": facility_edit()})).await;
        assert_eq!(a.status, 403);
        assert_eq!(app.get("/api/v1/custom-edits").await.status, 403);
        // Everyone may read which edits are in service.
        assert_eq!(app.get("/api/v1/edits?set=iarc").await.status, 200);
    }

    async fn active_custom_edits_are_put_in_service_when_the_registry_starts(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.json(Method::POST, "/api/v1/custom-edits", json!({"definition": facility_edit()})).await;
        app.json(Method::POST, "/api/v1/custom-edits/STATE-0001/versions/1/activate", json!(null)).await;
        // A fresh registry over the same database (a restart) knows only the built-in edits
        // until it loads the active custom ones.
        let restarted = crate::harness::registry(&db);
        assert!(!restarted.list_edits(None, None).unwrap().iter().any(|e| e.id == "STATE-0001"));
        assert_eq!(restarted.load_custom_edits().await.unwrap(), 1);
        assert!(restarted.list_edits(None, None).unwrap().iter().any(|e| e.id == "STATE-0001"));
    }
}

backend_tests! {
    async fn an_edit_run_over_the_database_stores_every_failure_by_edit(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        // Two patients: one clean, one whose second tumor is in situ at an unknown site (IF39).
        let clean = app.json(Method::POST, "/api/v1/patients", clean_patient()).await;
        assert_eq!(clean.status, 201);
        let mut bad = clean_patient();
        bad["items"]["patientIdNumber"] = json!("00000043");
        bad["tumors"][1]["items"]["primarySite"] = json!("C809");
        bad["tumors"][1]["items"]["behaviorCodeIcdO3"] = json!("2");
        bad["tumors"][1]["items"]["histologicTypeIcdO3"] = json!("8010");
        let created = app.json(Method::POST, "/api/v1/patients", bad).await;
        assert_eq!(created.status, 201);
        let patient = created.body["id"].as_i64().unwrap();
        let tumor = created.body["tumors"][1]["id"].as_i64().unwrap();

        let started = app.json(Method::POST, "/api/v1/edit-runs", json!({"set": "abstracting"})).await;
        assert_eq!(started.status, 202, "{}", started.body);
        let id = started.body["id"].as_i64().unwrap();
        let mut run = Value::Null;
        for _ in 0..3000 {
            run = app.get(&format!("/api/v1/edit-runs/{id}")).await.body;
            if run["status"] != "running" {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(run["status"], "done", "{run}");
        assert_eq!((run["patients"].as_i64(), run["tumors"].as_i64()), (Some(2), Some(4)));
        let by_edit: Vec<(String, i64)> = run["byEdit"].as_array().unwrap().iter()
            .map(|e| (e["edit"].as_str().unwrap().to_owned(), e["failures"].as_i64().unwrap())).collect();
        assert!(by_edit.contains(&("IF39".to_owned(), 1)), "{run}");
        assert_eq!(run["failures"].as_i64(), Some(by_edit.iter().map(|(_, n)| n).sum::<i64>()));

        let page = app.get(&format!("/api/v1/edit-runs/{id}/failures?edit=IF39")).await;
        assert_eq!(page.status, 200);
        let f = &page.body["items"][0];
        assert_eq!((f["patientId"].as_i64(), f["tumorId"].as_i64()), (Some(patient), Some(tumor)));
        assert_eq!(f["message"], "Behavior 2 (in situ) is not possible with Primary Site C809");
        assert_eq!(f["items"], json!(["behaviorCodeIcdO3", "primarySite"]));

        let runs = app.get("/api/v1/edit-runs").await;
        assert_eq!(runs.body[0]["id"], id);
        let unknown = app.json(Method::POST, "/api/v1/edit-runs", json!({"set": "nope"})).await;
        assert_eq!(unknown.status, 422);
        app.become_user("res", tumor_registry::core::auth::Role::Researcher, &[]).await;
        assert_eq!(app.get(&format!("/api/v1/edit-runs/{id}")).await.status, 403);
    }
}
