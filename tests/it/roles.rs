//! Every route of the OpenAPI document, called by each role: the answer is allowed or denied
//! exactly as the table below says. A route missing from the table fails this test, so a new
//! route cannot ship without a decision about who may call it.

use crate::abstracts_api::two_tumor_patient;
use crate::harness::{Backend, TestDb, add_account, app};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use tumor_registry::core::auth::Role;
use tumor_registry::http::{HttpSettings, openapi};

/// Who may call what. `Public` routes need no token at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Public,
    Roles(&'static [Role]),
}

const ALL: &[Role] = &[
    Role::Admin,
    Role::Central,
    Role::Registrar,
    Role::Researcher,
];
const PATIENT_DATA: &[Role] = &[Role::Central, Role::Registrar];
const ADMIN: &[Role] = &[Role::Admin];
const AGGREGATES: &[Role] = &[Role::Central, Role::Registrar, Role::Researcher];
const CENTRAL: &[Role] = &[Role::Central];

/// The access table: (method, path template) -> rule.
const TABLE: &[(&str, &str, Rule)] = &[
    ("GET", "/health", Rule::Public),
    ("GET", "/openapi.json", Rule::Public),
    ("POST", "/api/v1/auth/login", Rule::Public),
    ("POST", "/api/v1/auth/refresh", Rule::Public),
    ("POST", "/api/v1/auth/logout", Rule::Roles(ALL)),
    ("GET", "/api/v1/dictionaries", Rule::Roles(ALL)),
    (
        "GET",
        "/api/v1/dictionaries/{version}/items/{naaccrId}",
        Rule::Roles(ALL),
    ),
    ("GET", "/api/v1/users", Rule::Roles(ADMIN)),
    ("POST", "/api/v1/users", Rule::Roles(ADMIN)),
    ("POST", "/api/v1/users/{id}/disable", Rule::Roles(ADMIN)),
    ("POST", "/api/v1/users/{id}/password", Rule::Roles(ADMIN)),
    ("GET", "/api/v1/audit", Rule::Roles(ADMIN)),
    ("GET", "/api/v1/patients", Rule::Roles(PATIENT_DATA)),
    ("POST", "/api/v1/patients", Rule::Roles(PATIENT_DATA)),
    ("POST", "/api/v1/patients/search", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/patients/{id}", Rule::Roles(PATIENT_DATA)),
    ("PATCH", "/api/v1/patients/{id}", Rule::Roles(PATIENT_DATA)),
    ("DELETE", "/api/v1/patients/{id}", Rule::Roles(PATIENT_DATA)),
    (
        "GET",
        "/api/v1/patients/{id}/history",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "POST",
        "/api/v1/patients/{id}/revert",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "POST",
        "/api/v1/patients/{id}/tumors",
        Rule::Roles(PATIENT_DATA),
    ),
    ("GET", "/api/v1/tumors", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/tumors/{id}", Rule::Roles(PATIENT_DATA)),
    ("PATCH", "/api/v1/tumors/{id}", Rule::Roles(PATIENT_DATA)),
    ("DELETE", "/api/v1/tumors/{id}", Rule::Roles(PATIENT_DATA)),
    (
        "GET",
        "/api/v1/tumors/{id}/history",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "POST",
        "/api/v1/tumors/{id}/revert",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "POST",
        "/api/v1/patients/{id}/edits",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "POST",
        "/api/v1/tumors/{id}/edit-confirmations",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "GET",
        "/api/v1/tumors/{id}/edit-confirmations",
        Rule::Roles(PATIENT_DATA),
    ),
    (
        "DELETE",
        "/api/v1/tumors/{id}/edit-confirmations/{edit}",
        Rule::Roles(PATIENT_DATA),
    ),
    ("GET", "/api/v1/edits", Rule::Roles(ALL)),
    ("POST", "/api/v1/reports/survival", Rule::Roles(AGGREGATES)),
    ("POST", "/api/v1/reports/incidence", Rule::Roles(AGGREGATES)),
    ("GET", "/api/v1/custom-edits", Rule::Roles(CENTRAL)),
    ("POST", "/api/v1/custom-edits", Rule::Roles(CENTRAL)),
    ("GET", "/api/v1/custom-edits/{editId}", Rule::Roles(CENTRAL)),
    (
        "POST",
        "/api/v1/custom-edits/{editId}/versions/{version}/test",
        Rule::Roles(CENTRAL),
    ),
    (
        "POST",
        "/api/v1/custom-edits/{editId}/versions/{version}/activate",
        Rule::Roles(CENTRAL),
    ),
    (
        "POST",
        "/api/v1/custom-edits/{editId}/retire",
        Rule::Roles(CENTRAL),
    ),
    ("POST", "/api/v1/edit-runs", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/edit-runs", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/edit-runs/{id}", Rule::Roles(PATIENT_DATA)),
    (
        "GET",
        "/api/v1/edit-runs/{id}/failures",
        Rule::Roles(PATIENT_DATA),
    ),
    ("POST", "/api/v1/imports", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/imports", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/imports/{id}", Rule::Roles(PATIENT_DATA)),
    ("POST", "/api/v1/exports", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/exports", Rule::Roles(PATIENT_DATA)),
    ("GET", "/api/v1/exports/{id}", Rule::Roles(PATIENT_DATA)),
    (
        "GET",
        "/api/v1/exports/{id}/file",
        Rule::Roles(PATIENT_DATA),
    ),
];

#[actix_web::test]
async fn every_route_answers_each_role_as_the_access_table_says() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    // Something to aim at: patient 1 with tumors 1 (facility 0000001234) and 2.
    let created = app
        .json(Method::POST, "/api/v1/patients", two_tumor_patient())
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    for (login, role, facilities) in [
        ("role-admin", Role::Admin, vec![]),
        ("role-registrar", Role::Registrar, vec!["0000001234"]),
        ("role-researcher", Role::Researcher, vec![]),
    ] {
        add_account(&app.registry, login, role, &facilities).await;
    }

    let doc = serde_json::to_value(openapi()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let method_upper = method.to_uppercase();
            let rule = TABLE
                .iter()
                .find(|(m, p, _)| *m == method_upper && p == path)
                .map(|(_, _, r)| *r)
                .unwrap_or_else(|| panic!("{method_upper} {path} has no rule in the access table"));
            // Accounts are aimed at one that does not exist, so the admin's call disables nobody.
            let id = if path.starts_with("/api/v1/users") {
                "999"
            } else {
                "1"
            };
            let uri = path
                .replace("{id}", id)
                .replace("{version}", "260")
                .replace("{naaccrId}", "primarySite")
                .replace("{editId}", "STATE-X")
                .replace("{edit}", "IARC-AGE-TOPO");
            let m = Method::from_bytes(method_upper.as_bytes()).unwrap();
            match rule {
                Rule::Public => {
                    *app.token.borrow_mut() = String::new();
                    let a = app
                        .send(
                            TestRequest::default()
                                .method(m.clone())
                                .uri(&uri)
                                .set_json(serde_json::json!({})),
                        )
                        .await;
                    assert_ne!(
                        a.status,
                        StatusCode::UNAUTHORIZED,
                        "{method_upper} {path} must be public"
                    );
                    assert_ne!(
                        a.status,
                        StatusCode::FORBIDDEN,
                        "{method_upper} {path} must be public"
                    );
                }
                Rule::Roles(allowed) => {
                    // Without a token: 401.
                    *app.token.borrow_mut() = String::new();
                    let a = app
                        .send(
                            TestRequest::default()
                                .method(m.clone())
                                .uri(&uri)
                                .set_json(serde_json::json!({})),
                        )
                        .await;
                    assert_eq!(
                        a.status,
                        StatusCode::UNAUTHORIZED,
                        "{method_upper} {path} without a token"
                    );
                    for (login, role) in [
                        ("role-admin", Role::Admin),
                        ("central", Role::Central),
                        ("role-registrar", Role::Registrar),
                        ("role-researcher", Role::Researcher),
                    ] {
                        app.login_as(login).await;
                        // A body every allowed role may send: a new patient's only tumor is of
                        // the registrar's facility (its facility rule is tested elsewhere).
                        let body = if method_upper == "POST" && path == "/api/v1/patients" {
                            let mut p = two_tumor_patient();
                            p["tumors"] = serde_json::json!([p["tumors"][0].clone()]);
                            p
                        } else if method_upper == "POST" && path == "/api/v1/patients/{id}/tumors" {
                            serde_json::json!({"items": {"reportingFacility": "0000001234"}})
                        } else {
                            serde_json::json!({})
                        };
                        let a = app
                            .send(
                                TestRequest::default()
                                    .method(m.clone())
                                    .uri(&uri)
                                    .insert_header(("If-Match", "\"x\""))
                                    .set_json(body),
                            )
                            .await;
                        if allowed.contains(&role) {
                            assert!(
                                a.status != StatusCode::FORBIDDEN
                                    && a.status != StatusCode::UNAUTHORIZED,
                                "{method_upper} {path} must be allowed for {role:?}: {} {}",
                                a.status,
                                a.body
                            );
                        } else {
                            assert_eq!(
                                a.status,
                                StatusCode::FORBIDDEN,
                                "{method_upper} {path} must be denied to {role:?}: {}",
                                a.body
                            );
                        }
                    }
                }
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        TABLE.len(),
        "the access table names routes the API does not have"
    );
}
