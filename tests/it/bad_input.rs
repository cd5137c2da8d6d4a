//! Bad input: each kind gets a 4xx JSON error naming the item and the problem, and leaves the
//! database exactly as it was (compared row by row before and after, on both backends).

use crate::abstracts_api::two_tumor_patient;
use crate::backend_tests;
use crate::harness::{Answer, TestDb, app};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use tumor_registry::http::HttpSettings;

/// A patient with one tumor to aim at; returns (patient id, patient ETag, tumor id, tumor ETag).
async fn seed(
    app: &crate::harness::TestApp<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
            Error = actix_web::Error,
        >,
    >,
) -> (i64, String, i64, String) {
    let created = app
        .json(Method::POST, "/api/v1/patients", two_tumor_patient())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let pid = created.body["id"].as_i64().unwrap();
    let tid = created.body["tumors"][0]["id"].as_i64().unwrap();
    let tag = created.body["tumors"][0]["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    (pid, created.etag(), tid, tag)
}

/// Asserts the answer is the error envelope with this status and code, and, when `item` is
/// given, that a detail names that item.
fn assert_error(a: &Answer, status: StatusCode, code: &str, item: Option<&str>) {
    assert_eq!(a.status, status, "body: {}", a.body);
    assert_eq!(a.code(), code, "body: {}", a.body);
    let message = a.body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "an error needs a message: {}", a.body);
    if let Some(item) = item {
        let details = a.body["error"]["details"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            details
                .iter()
                .any(|d| d["item"] == item && d["problem"].as_str().is_some_and(|p| !p.is_empty())),
            "no detail names {item}: {}",
            a.body
        );
    }
}

/// The codes of the details, in order.
fn detail_codes(a: &Answer) -> Vec<String> {
    a.body["error"]["details"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn patient_with(items: Value) -> Value {
    let mut p = two_tumor_patient();
    for (k, v) in items.as_object().unwrap() {
        p["items"][k] = v.clone();
    }
    p
}

fn tumor_with(items: Value) -> Value {
    let mut p = two_tumor_patient();
    for (k, v) in items.as_object().unwrap() {
        p["tumors"][1]["items"][k] = v.clone();
    }
    p
}

/// Posts a new patient that must be refused; checks the error and that nothing was written.
async fn refuse_create(db: &TestDb, body: Value, code: &str, item: &str) -> Answer {
    let app = app(db, HttpSettings::default()).await;
    seed(&app).await;
    let before = db.fingerprint();
    let a = app.json(Method::POST, "/api/v1/patients", body).await;
    assert_error(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some(item),
    );
    assert!(
        detail_codes(&a).iter().any(|c| c == code),
        "{code} not in {}",
        a.body
    );
    assert_eq!(
        db.fingerprint(),
        before,
        "a refused request wrote to the database"
    );
    a
}

backend_tests! {
    async fn a_value_longer_than_its_item_is_refused(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"primarySite": "C5090"})), "value_too_long", "primarySite").await;
    }

    async fn a_value_shorter_than_a_fixed_length_item_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"patientIdNumber": "0042"})), "value_too_short", "patientIdNumber").await;
    }

    async fn letters_in_a_digits_item_are_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"patientIdNumber": "00A00042"})), "not_digits", "patientIdNumber").await;
    }

    async fn lower_case_in_an_alpha_item_is_refused(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"addrAtDxState": "nm"})), "not_alpha", "addrAtDxState").await;
    }

    async fn february_31st_is_not_a_date(db: TestDb) {
        let a = refuse_create(&db, patient_with(json!({"dateOfBirth": "20230231"})), "invalid_date", "dateOfBirth").await;
        // The message names the rule, never the value sent.
        assert!(!a.body.to_string().contains("20230231"), "{}", a.body);
    }

    async fn month_13_is_not_a_date(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"dateOfDiagnosis": "20231301"})), "invalid_date", "dateOfDiagnosis").await;
    }

    async fn february_29th_outside_a_leap_year_is_not_a_date(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"dateOfDiagnosis": "20230229"})), "invalid_date", "dateOfDiagnosis").await;
    }

    async fn an_unknown_naaccr_id_is_refused(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"primarySit": "C509"})), "unknown_item", "primarySit").await;
    }

    async fn a_tumor_item_sent_on_the_patient_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"primarySite": "C509"})), "wrong_level", "primarySite").await;
    }

    async fn a_patient_item_sent_on_a_tumor_is_refused(db: TestDb) {
        refuse_create(&db, tumor_with(json!({"nameLast": "Rivera"})), "wrong_level", "nameLast").await;
    }

    async fn a_root_level_item_sent_on_the_patient_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"registryId": "0000001234"})), "wrong_level", "registryId").await;
    }

    async fn an_unknown_dictionary_version_is_refused(db: TestDb) {
        let mut body = two_tumor_patient();
        body["dictionaryVersion"] = json!("999");
        refuse_create(&db, body, "unknown_dictionary_version", "dictionaryVersion").await;
    }

    async fn a_nul_character_in_a_text_item_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"nameLast": "Ri\u{0}vera"})), "control_character", "nameLast").await;
    }

    async fn an_escape_character_in_a_text_item_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"nameLast": "Ri\u{1b}vera"})), "control_character", "nameLast").await;
    }

    async fn a_leading_space_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"nameLast": " Rivera"})), "value_starts_with_space", "nameLast").await;
    }

    async fn a_number_instead_of_a_string_is_refused(db: TestDb) {
        refuse_create(&db, patient_with(json!({"vitalStatus": 1})), "not_a_string", "vitalStatus").await;
    }

    async fn an_item_sent_twice_is_refused_not_silently_dropped(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint();
        let a = app.send(TestRequest::post().uri("/api/v1/patients")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(r#"{"items": {"nameLast": "Rivera", "nameLast": "Riviera"}}"#)).await;
        assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("nameLast"));
        assert_eq!(detail_codes(&a), vec!["duplicate_item"]);
        assert_eq!(db.fingerprint(), before);
    }

    async fn one_bad_tumor_refuses_the_whole_patient_and_every_problem_is_listed(db: TestDb) {
        let mut body = two_tumor_patient();
        body["items"]["dateOfBirth"] = json!("19581301");
        body["tumors"][1]["items"]["primarySite"] = json!("C5090");
        body["tumors"][1]["items"]["laterality"] = json!("X");
        let a = refuse_create(&db, body, "value_too_long", "primarySite").await;
        let records: Vec<String> = a.body["error"]["details"].as_array().unwrap().iter()
            .map(|d| format!("{}:{}", d["record"].as_str().unwrap(), d["item"].as_str().unwrap())).collect();
        // In the order sent (json! sorts an object's keys).
        assert_eq!(records, vec!["patient:dateOfBirth", "tumors[1]:laterality", "tumors[1]:primarySite"]);
    }

    async fn an_update_without_if_match_is_refused_with_428(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (pid, _, _, _) = seed(&app).await;
        let before = db.fingerprint();
        let a = app.json(Method::PATCH, &format!("/api/v1/patients/{pid}"), json!({"items": {"vitalStatus": "0"}})).await;
        assert_error(&a, StatusCode::PRECONDITION_REQUIRED, "precondition_required", None);
        let star = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), "*", json!({"items": {"vitalStatus": "0"}})).await;
        assert_error(&star, StatusCode::PRECONDITION_REQUIRED, "precondition_required", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_stale_etag_is_rejected_with_412_and_nothing_is_written(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (pid, etag, _, _) = seed(&app).await;
        let ok = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &etag, json!({"items": {"vitalStatus": "0"}})).await;
        assert_eq!(ok.status, StatusCode::OK);
        let before = db.fingerprint();
        let a = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &etag, json!({"items": {"vitalStatus": "1"}})).await;
        assert_error(&a, StatusCode::PRECONDITION_FAILED, "precondition_failed", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn an_etag_of_another_record_is_rejected_with_412(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (pid, _, _, tumor_etag) = seed(&app).await;
        let before = db.fingerprint();
        let a = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &tumor_etag, json!({"items": {"vitalStatus": "0"}})).await;
        assert_error(&a, StatusCode::PRECONDITION_FAILED, "precondition_failed", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn an_invalid_update_writes_nothing(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (_, _, tid, tag) = seed(&app).await;
        let before = db.fingerprint();
        let a = app.json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &tag,
            json!({"items": {"primarySite": "C504", "dateOfDiagnosis": "20190230"}})).await;
        assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("dateOfDiagnosis"));
        assert_eq!(db.fingerprint(), before);
    }

    async fn malformed_json_is_refused_with_400(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint();
        let a = app.send(TestRequest::post().uri("/api/v1/patients")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(r#"{"items": {"nameLast": "Rivera""#)).await;
        assert_error(&a, StatusCode::BAD_REQUEST, "malformed_json", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn an_unknown_body_field_is_refused_with_400(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint();
        let a = app.json(Method::POST, "/api/v1/patients", json!({"itemz": {"nameLast": "Rivera"}})).await;
        assert_error(&a, StatusCode::BAD_REQUEST, "invalid_body", None);
        assert!(a.body["error"]["message"].as_str().unwrap().contains("itemz"));
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_body_that_is_not_json_is_refused_with_415(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint();
        let a = app.send(TestRequest::post().uri("/api/v1/patients")
            .insert_header(("Content-Type", "text/plain"))
            .set_payload(r#"{"items": {}}"#)).await;
        assert_error(&a, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_body_over_the_size_limit_is_refused_with_413(db: TestDb) {
        let app = app(&db, HttpSettings { max_body_bytes: 2048, ..HttpSettings::default() }).await;
        let before = db.fingerprint();
        let text = "x".repeat(3000);
        let a = app.json(Method::POST, "/api/v1/patients", json!({"items": {"textRemarks": text}})).await;
        assert_error(&a, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn an_unknown_patient_id_answers_404(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (pid, etag, _, _) = seed(&app).await;
        let before = db.fingerprint();
        let missing = pid + 1000;
        let a = app.get(&format!("/api/v1/patients/{missing}")).await;
        assert_error(&a, StatusCode::NOT_FOUND, "not_found", None);
        let tag = etag.replace(&format!("p{pid}-"), &format!("p{missing}-"));
        let b = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{missing}"), &tag, json!({"items": {}})).await;
        assert_error(&b, StatusCode::NOT_FOUND, "not_found", None);
        let c = app.json(Method::POST, &format!("/api/v1/patients/{missing}/tumors"), json!({"items": {"primarySite": "C509"}})).await;
        assert_error(&c, StatusCode::NOT_FOUND, "not_found", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_non_numeric_id_answers_400(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.get("/api/v1/patients/abc").await;
        assert_error(&a, StatusCode::BAD_REQUEST, "invalid_path", None);
    }

    async fn a_page_size_out_of_range_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        for limit in ["0", "501", "-3"] {
            let a = app.get(&format!("/api/v1/patients?limit={limit}")).await;
            assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("limit"));
        }
        let b = app.get("/api/v1/patients?limit=many").await;
        assert_error(&b, StatusCode::BAD_REQUEST, "invalid_query", None);
        let c = app.get("/api/v1/patients?primarysite=C509").await;
        assert_error(&c, StatusCode::BAD_REQUEST, "invalid_query", None);
    }

    async fn invalid_filters_are_refused_not_answered_empty(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.get("/api/v1/patients?primarySite=C5090").await;
        assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("primarySite"));
        let b = app.get("/api/v1/tumors?diagnosisFrom=20191301").await;
        assert_error(&b, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("diagnosisFrom"));
        let c = app.json(Method::POST, "/api/v1/patients/search", json!({})).await;
        assert_error(&c, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", None);
        let d = app.json(Method::POST, "/api/v1/patients/search", json!({"nameLast": "--"})).await;
        assert_error(&d, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("nameLast"));
    }

    async fn a_delete_without_a_reason_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (_, _, tid, tag) = seed(&app).await;
        let before = db.fingerprint();
        let a = app.json_if_match(Method::DELETE, &format!("/api/v1/tumors/{tid}"), &tag, json!({"reason": "  "})).await;
        assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("reason"));
        let b = app.json_if_match(Method::DELETE, &format!("/api/v1/tumors/{tid}"), &tag, json!({})).await;
        assert_error(&b, StatusCode::BAD_REQUEST, "invalid_body", None);
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_revert_to_a_version_that_never_was_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let (pid, etag, _, _) = seed(&app).await;
        let before = db.fingerprint();
        for v in [0, 2, 99] {
            let a = app.json_if_match(Method::POST, &format!("/api/v1/patients/{pid}/revert"), &etag, json!({"version": v})).await;
            assert_error(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some("version"));
        }
        assert_eq!(db.fingerprint(), before);
    }

    async fn unknown_routes_and_wrong_methods_answer_in_the_envelope(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.get("/api/v1/patientz").await;
        assert_error(&a, StatusCode::NOT_FOUND, "route_not_found", None);
        let b = app.send(TestRequest::put().uri("/api/v1/patients/1")).await;
        assert_error(&b, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
        assert_eq!(b.header("allow").as_deref(), Some("GET, PATCH, DELETE"));
    }
}
