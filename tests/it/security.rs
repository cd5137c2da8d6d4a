//! Security: authentication, tokens, roles and facility scoping, throttling, and the audit
//! trail. Each negative test asserts the refusal and, where a write was attempted, that the
//! database is unchanged.

use crate::abstracts_api::two_tumor_patient;
use crate::backend_tests;
use crate::harness::{Answer, TEST_KEY, TEST_PASSWORD, add_account, app};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tumor_registry::app::audit::AuditVerdict;
use tumor_registry::core::audit::BrokenReason;
use tumor_registry::core::auth::Role;
use tumor_registry::http::HttpSettings;
use tumor_registry::store::{AnyConnection, StoreError};

/// Facility of tumor 1 of `two_tumor_patient()`; tumor 2 is of "0000005678".
const F1: &str = "0000001234";
const F2: &str = "0000005678";

fn assert_refused(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.code(), code, "{}", a.body);
}

/// Claims of a valid access token of the test app's current session, to be tampered with.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(claims: &Value, alg: Algorithm, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

backend_tests! {
    async fn a_request_without_a_token_is_refused_and_audited(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        *app.token.borrow_mut() = String::new();
        let a = app.get("/api/v1/patients").await;
        assert_refused(&a, StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
        let b = app.send(TestRequest::get().uri("/api/v1/patients").insert_header(("Authorization", "Basic Y2VudHJhbDp4"))).await;
        assert_refused(&b, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn a_malformed_token_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        *app.token.borrow_mut() = "not.a.jwt".into();
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn an_expired_token_is_refused_even_inside_the_crate_default_leeway(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        // 15 minutes and 30 seconds later: jsonwebtoken's default 60 s leeway would accept it.
        app.clock.advance(chrono::Duration::seconds(15 * 60 + 30));
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn a_token_just_inside_its_lifetime_is_accepted(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.clock.advance(chrono::Duration::seconds(15 * 60 - 1));
        assert_eq!(app.get("/api/v1/patients").await.status, StatusCode::OK);
    }

    async fn a_token_signed_by_another_key_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let claims = claims_of(&app.token.borrow());
        *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, b"another-key-another-key-another-k");
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn an_unsigned_alg_none_token_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let claims = claims_of(&app.token.borrow());
        use base64::Engine as _;
        let enc = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        *app.token.borrow_mut() = format!("{}.{}.", enc(&json!({"alg": "none", "typ": "JWT"})), enc(&claims));
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn a_token_with_another_algorithm_is_refused_even_with_the_right_key(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let claims = claims_of(&app.token.borrow());
        *app.token.borrow_mut() = sign(&claims, Algorithm::HS512, TEST_KEY);
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn a_token_for_another_audience_or_issuer_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let good = app.token.borrow().clone();
        for (claim, value) in [("aud", "another-api"), ("iss", "another-issuer")] {
            let mut claims = claims_of(&good);
            claims[claim] = json!(value);
            *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, TEST_KEY);
            assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        }
        // The untampered token still works: the refusals were about the claims.
        *app.token.borrow_mut() = good;
        assert_eq!(app.get("/api/v1/patients").await.status, StatusCode::OK);
    }

    async fn a_token_missing_a_required_claim_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let good = app.token.borrow().clone();
        for claim in ["sub", "exp", "nbf", "iat", "aud", "iss"] {
            let mut claims = claims_of(&good);
            claims.as_object_mut().unwrap().remove(claim);
            *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, TEST_KEY);
            assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }

    async fn a_token_not_yet_valid_or_of_another_type_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let good = app.token.borrow().clone();
        let mut early = claims_of(&good);
        early["nbf"] = json!(early["nbf"].as_i64().unwrap() + 60);
        let mut refresh_typed = claims_of(&good);
        refresh_typed["typ"] = json!("refresh");
        for claims in [early, refresh_typed] {
            *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, TEST_KEY);
            assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }

    async fn a_token_whose_subject_does_not_own_its_session_is_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let mut claims = claims_of(&app.token.borrow());
        claims["sub"] = json!("999");
        *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, TEST_KEY);
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        let mut claims = claims_of(&app.token.borrow());
        claims["sid"] = json!("no-such-session");
        *app.token.borrow_mut() = sign(&claims, Algorithm::HS256, TEST_KEY);
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn a_refresh_token_works_once_and_its_replay_ends_the_session(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let login = app.login_as("central").await;
        let first = login["refreshToken"].as_str().unwrap().to_owned();
        let r1 = app.json(Method::POST, "/api/v1/auth/refresh", json!({"refreshToken": first})).await;
        assert_eq!(r1.status, StatusCode::OK, "{}", r1.body);
        let second = r1.body["refreshToken"].as_str().unwrap().to_owned();
        assert_ne!(second, first);
        *app.token.borrow_mut() = r1.body["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/v1/patients").await.status, StatusCode::OK);
        // The first refresh token again: refused, and the whole family is revoked.
        let replay = app.json(Method::POST, "/api/v1/auth/refresh", json!({"refreshToken": first})).await;
        assert_refused(&replay, StatusCode::UNAUTHORIZED, "unauthorized");
        let next = app.json(Method::POST, "/api/v1/auth/refresh", json!({"refreshToken": second})).await;
        assert_refused(&next, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn logging_out_ends_the_access_and_refresh_tokens_at_once(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let login = app.login_as("central").await;
        let out = app.send(TestRequest::post().uri("/api/v1/auth/logout")).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        let r = app.json(Method::POST, "/api/v1/auth/refresh", json!({"refreshToken": login["refreshToken"]})).await;
        assert_refused(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    async fn disabling_an_account_ends_its_tokens_and_its_logins(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let central_token = app.token.borrow().clone();
        let central_id = 1;
        add_account(&app.registry, "boss", Role::Admin, &[]).await;
        app.login_as("boss").await;
        let d = app.send(TestRequest::post().uri(&format!("/api/v1/users/{central_id}/disable"))).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        assert_eq!(d.body["status"], "disabled");
        *app.token.borrow_mut() = central_token;
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::UNAUTHORIZED, "unauthorized");
        let login = app.json(Method::POST, "/api/v1/auth/login", json!({"login": "central", "password": TEST_PASSWORD})).await;
        assert_refused(&login, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }

    async fn a_wrong_password_and_an_unknown_account_get_the_same_answer(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let wrong = app.json(Method::POST, "/api/v1/auth/login", json!({"login": "central", "password": "not the password at all"})).await;
        let unknown = app.json(Method::POST, "/api/v1/auth/login", json!({"login": "nobody", "password": "not the password at all"})).await;
        assert_refused(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert_eq!(wrong.body, unknown.body);
    }

    async fn logins_are_throttled_after_repeated_failures_and_released_later(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let bad = json!({"login": "central", "password": "not the password at all"});
        for _ in 0..5 {
            let a = app.json(Method::POST, "/api/v1/auth/login", bad.clone()).await;
            assert_refused(&a, StatusCode::UNAUTHORIZED, "invalid_credentials");
        }
        // Even the right password is refused while the account is locked.
        let good = json!({"login": "central", "password": TEST_PASSWORD});
        let locked = app.json(Method::POST, "/api/v1/auth/login", good.clone()).await;
        assert_refused(&locked, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
        let wait: i64 = locked.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        app.clock.advance(chrono::Duration::seconds(wait));
        let after = app.json(Method::POST, "/api/v1/auth/login", good).await;
        assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    }

    async fn one_client_address_trying_many_accounts_is_throttled(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let from = |login: String| {
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .peer_addr("203.0.113.7:40000".parse().unwrap())
                .set_json(json!({"login": login, "password": "not the password at all"}))
        };
        // 20 failures from one address, each on another account (so no account locks).
        for i in 0..20 {
            let a = app.send(from(format!("user{i}"))).await;
            assert_refused(&a, StatusCode::UNAUTHORIZED, "invalid_credentials");
        }
        let a = app.send(from("central".into())).await;
        assert_refused(&a, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
        // Another address is not affected.
        let other = app
            .send(TestRequest::post().uri("/api/v1/auth/login").peer_addr("198.51.100.9:40000".parse().unwrap())
                .set_json(json!({"login": "central", "password": TEST_PASSWORD})))
            .await;
        assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    }

    async fn weak_passwords_are_refused(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        add_account(&app.registry, "boss", Role::Admin, &[]).await;
        app.login_as("boss").await;
        for (password, code) in [
            ("short-one", "password_too_short"),
            ("qwerty123456", "password_too_common"),
            ("my name is newuser!", "password_contains_login"),
        ] {
            let a = app.json(Method::POST, "/api/v1/users", json!({
                "login": "newuser", "role": "central", "password": password
            })).await;
            assert_refused(&a, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(a.body["error"]["details"][0]["code"], code, "{password}");
            assert!(!a.body.to_string().contains(password), "the password is echoed");
        }
        let ok = app.json(Method::POST, "/api/v1/users", json!({
            "login": "newuser", "role": "registrar", "facilities": [F1], "password": TEST_PASSWORD
        })).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        assert_eq!(ok.body["facilities"], json!([F1]));
        assert!(ok.body.get("passwordHash").is_none());
    }

    async fn a_researcher_gets_403_on_every_patient_route(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let pid = created.body["id"].as_i64().unwrap();
        app.become_user("analyst", Role::Researcher, &[]).await;
        let before = db.fingerprint();
        for (method, uri) in [
            (Method::GET, "/api/v1/patients".to_owned()),
            (Method::GET, format!("/api/v1/patients/{pid}")),
            (Method::GET, "/api/v1/tumors".to_owned()),
            (Method::POST, "/api/v1/patients".to_owned()),
        ] {
            let a = app.json(method.clone(), &uri, two_tumor_patient()).await;
            assert_refused(&a, StatusCode::FORBIDDEN, "forbidden");
        }
        assert_eq!(db.fingerprint(), before);
        // Dictionaries are not patient data.
        assert_eq!(app.get("/api/v1/dictionaries").await.status, StatusCode::OK);
    }

    async fn an_administrator_sees_no_patient_data(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        app.become_user("boss", Role::Admin, &[]).await;
        assert_refused(&app.get("/api/v1/patients").await, StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(app.get("/api/v1/audit").await.status, StatusCode::OK);
    }

    async fn a_registrar_sees_only_the_tumors_of_their_facilities(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        // Patient A has tumors of F1 and F2; patient B only of F2.
        let a = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let (pa, ta1, ta2) = (a.body["id"].as_i64().unwrap(), a.body["tumors"][0]["id"].as_i64().unwrap(), a.body["tumors"][1]["id"].as_i64().unwrap());
        let mut only_f2 = two_tumor_patient();
        only_f2["tumors"] = json!([only_f2["tumors"][1].clone()]);
        let b = app.json(Method::POST, "/api/v1/patients", only_f2).await;
        let (pb, tb) = (b.body["id"].as_i64().unwrap(), b.body["tumors"][0]["id"].as_i64().unwrap());
        app.become_user("clerk", Role::Registrar, &[F1]).await;

        let ids = |v: &Value| -> Vec<i64> { v["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect() };
        assert_eq!(ids(&app.get("/api/v1/patients").await.body), vec![pa]);
        assert_eq!(ids(&app.get("/api/v1/tumors").await.body), vec![ta1]);
        let found = app.json(Method::POST, "/api/v1/patients/search", json!({"nameLast": "Rivera"})).await;
        assert_eq!(ids(&found.body), vec![pa]);
        let seen = app.get(&format!("/api/v1/patients/{pa}")).await;
        let tumors: Vec<i64> = seen.body["tumors"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(tumors, vec![ta1]);
        // Another facility's records answer 404, as if they did not exist.
        for uri in [format!("/api/v1/tumors/{ta2}"), format!("/api/v1/tumors/{tb}"), format!("/api/v1/patients/{pb}"), format!("/api/v1/patients/{pb}/history")] {
            assert_refused(&app.get(&uri).await, StatusCode::NOT_FOUND, "not_found");
        }
    }

    async fn a_registrar_cannot_update_another_facilitys_tumor(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let t2 = &a.body["tumors"][1];
        let (tid, tag) = (t2["id"].as_i64().unwrap(), t2["etag"].as_str().unwrap().to_owned());
        app.become_user("clerk", Role::Registrar, &[F1]).await;
        let before = db.fingerprint();
        let u = app.json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &tag, json!({"items": {"laterality": "1"}})).await;
        assert_refused(&u, StatusCode::NOT_FOUND, "not_found");
        let d = app.json_if_match(Method::DELETE, &format!("/api/v1/tumors/{tid}"), &tag, json!({"reason": "mine now"})).await;
        assert_refused(&d, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(db.fingerprint(), before);
    }

    async fn a_registrar_cannot_change_a_records_facility_or_patient_id(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let (pid, ptag) = (a.body["id"].as_i64().unwrap(), a.body["etag"].as_str().unwrap().to_owned());
        let t1 = &a.body["tumors"][0];
        let (tid, ttag) = (t1["id"].as_i64().unwrap(), t1["etag"].as_str().unwrap().to_owned());
        app.become_user("clerk", Role::Registrar, &[F1, F2]).await;
        let before = db.fingerprint();
        let moved = app.json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &ttag, json!({"items": {"reportingFacility": F2}})).await;
        assert_refused(&moved, StatusCode::FORBIDDEN, "forbidden");
        let removed = app.json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &ttag, json!({"items": {"reportingFacility": null}})).await;
        assert_refused(&removed, StatusCode::FORBIDDEN, "forbidden");
        let renamed = app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &ptag, json!({"items": {"patientIdNumber": "00000043"}})).await;
        assert_refused(&renamed, StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(db.fingerprint(), before);
        // Other items they may change.
        let ok = app.json_if_match(Method::PATCH, &format!("/api/v1/tumors/{tid}"), &ttag, json!({"items": {"laterality": "1"}})).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    }

    async fn a_registrar_cannot_create_a_tumor_of_another_facility(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.become_user("clerk", Role::Registrar, &[F1]).await;
        let before = db.fingerprint();
        let mut body = two_tumor_patient(); // its second tumor is of F2
        let a = app.json(Method::POST, "/api/v1/patients", body.clone()).await;
        assert_refused(&a, StatusCode::FORBIDDEN, "forbidden");
        body["tumors"] = json!([]);
        let b = app.json(Method::POST, "/api/v1/patients", body).await;
        assert_refused(&b, StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(db.fingerprint(), before);
    }

    async fn only_administrators_manage_accounts_and_read_the_audit_trail(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app.json(Method::POST, "/api/v1/users", json!({"login": "x", "role": "admin", "password": TEST_PASSWORD})).await;
        assert_refused(&a, StatusCode::FORBIDDEN, "forbidden");
        assert_refused(&app.get("/api/v1/audit").await, StatusCode::FORBIDDEN, "forbidden");
        assert_refused(&app.get("/api/v1/users").await, StatusCode::FORBIDDEN, "forbidden");
    }

    async fn every_patient_access_is_in_the_audit_trail_without_values(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let pid = created.body["id"].as_i64().unwrap();
        app.json_if_match(Method::PATCH, &format!("/api/v1/patients/{pid}"), &created.etag(), json!({"items": {"vitalStatus": "0"}})).await;
        app.get(&format!("/api/v1/patients/{pid}")).await;
        app.become_user("boss", Role::Admin, &[]).await;
        let trail = app.get(&format!("/api/v1/audit?entityKind=patient&entityId={pid}")).await;
        assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
        let events = trail.body["items"].as_array().unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["patient.read", "patient.update", "patient.create"]);
        assert_eq!(events[1]["items"], json!(["vitalStatus"]));
        assert_eq!(events[1]["login"], "central");
        assert_eq!(events[1]["role"], "central");
        assert_eq!(events[1]["outcome"], "success");
        assert!(events[1]["requestId"].as_str().is_some_and(|r| r.len() == 36));
        // No value of any item is in the trail.
        let text = trail.body.to_string();
        for value in ["Rivera", "19580314", "00000042"] {
            assert!(!text.contains(value), "{value} leaked into the audit trail");
        }
    }

    async fn the_audit_trail_verifies_untouched_and_names_the_event_edited_behind_its_back(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let pid = created.body["id"].as_i64().unwrap();
        app.get(&format!("/api/v1/patients/{pid}")).await;
        let total = app.audit_count();
        assert_eq!(app.registry.verify_audit().await.unwrap(), AuditVerdict::Intact { events: u64::try_from(total).unwrap() });

        // The triggers refuse edits and deletes.
        let blocked = db.db.run_blocking(|c: &mut AnyConnection| {
            c.batch_execute("UPDATE audit_events SET action = 'patient.list' WHERE id = 3").map_err(StoreError::from)
        });
        assert!(blocked.is_err());
        let blocked = db.db.run_blocking(|c: &mut AnyConnection| {
            c.batch_execute("DELETE FROM audit_events WHERE id = 3").map_err(StoreError::from)
        });
        assert!(blocked.is_err());

        // Someone with the database's keys drops the trigger and edits event 3.
        db.db.run_blocking(|c: &mut AnyConnection| {
            let sql = match c {
                AnyConnection::Postgresql(_) => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete; UPDATE audit_events SET login = 'someone-else' WHERE id = 3",
                AnyConnection::Sqlite(_) => "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET login = 'someone-else' WHERE id = 3",
            };
            c.batch_execute(sql).map_err(StoreError::from)
        }).unwrap();
        match app.registry.verify_audit().await.unwrap() {
            AuditVerdict::Broken(link) => {
                assert_eq!(link.id, 3);
                assert_eq!(link.reason, BrokenReason::HashMismatch);
            }
            other => panic!("tampering not detected: {other:?}"),
        }
    }

    async fn a_deleted_audit_event_is_named_by_verify(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        app.get("/api/v1/patients").await;
        db.db.run_blocking(|c: &mut AnyConnection| {
            let sql = match c {
                AnyConnection::Postgresql(_) => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete; DELETE FROM audit_events WHERE id = 2",
                AnyConnection::Sqlite(_) => "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE id = 2",
            };
            c.batch_execute(sql).map_err(StoreError::from)
        }).unwrap();
        match app.registry.verify_audit().await.unwrap() {
            AuditVerdict::Broken(link) => assert_eq!(link.id, 3),
            other => panic!("deletion not detected: {other:?}"),
        }
    }

    async fn events_cut_off_the_end_of_the_audit_trail_are_noticed(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let last = app.audit_count();
        db.db.run_blocking(move |c: &mut AnyConnection| {
            let sql = match c {
                AnyConnection::Postgresql(_) => format!("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete; DELETE FROM audit_events WHERE id = {last}"),
                AnyConnection::Sqlite(_) => format!("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE id = {last}"),
            };
            c.batch_execute(&sql).map_err(StoreError::from)
        }).unwrap();
        match app.registry.verify_audit().await.unwrap() {
            AuditVerdict::Broken(link) => assert_eq!(link.id, last),
            other => panic!("a cut-off end was not noticed: {other:?}"),
        }
    }
}
