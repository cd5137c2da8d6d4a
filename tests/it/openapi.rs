//! The OpenAPI document and the router agree: every documented operation is routed, every
//! route is documented, and every error code is described.

use crate::harness::{Backend, TestDb, app};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use tumor_registry::http::error::ErrorCode;
use tumor_registry::http::{HttpSettings, openapi};

fn operations() -> Vec<(String, Method)> {
    let doc = serde_json::to_value(openapi()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                ops.push((
                    path.clone(),
                    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap(),
                ));
            }
        }
    }
    ops
}

#[actix_web::test]
async fn every_documented_operation_is_routed() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    let ops = operations();
    assert!(ops.len() >= 19, "only {} operations documented", ops.len());
    for (path, method) in ops {
        let uri = path
            .replace("{id}", "1")
            .replace("{version}", "260")
            .replace("{naaccrId}", "primarySite");
        let a = app
            .send(
                TestRequest::default()
                    .method(method.clone())
                    .uri(&uri)
                    .set_json(serde_json::json!({})),
            )
            .await;
        assert_ne!(
            a.code(),
            "route_not_found",
            "{method} {path} is documented but not routed"
        );
        assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
}

#[test]
fn the_document_is_openapi_3_with_every_route_of_the_api() {
    let doc = serde_json::to_value(openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for expected in [
        "/health",
        "/openapi.json",
        "/api/v1/dictionaries",
        "/api/v1/dictionaries/{version}/items/{naaccrId}",
        "/api/v1/patients",
        "/api/v1/patients/search",
        "/api/v1/patients/{id}",
        "/api/v1/patients/{id}/history",
        "/api/v1/patients/{id}/revert",
        "/api/v1/patients/{id}/tumors",
        "/api/v1/tumors",
        "/api/v1/tumors/{id}",
        "/api/v1/tumors/{id}/history",
        "/api/v1/tumors/{id}/revert",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    // Every operation names its tag and has at least one documented answer.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn every_error_code_is_described_in_the_document() {
    let text = serde_json::to_string(&openapi()).unwrap();
    for code in ErrorCode::ALL {
        assert!(
            text.contains(code.as_str()),
            "{} is not in the OpenAPI document",
            code.as_str()
        );
    }
    assert!(text.contains("ErrorEnvelope"));
}

#[actix_web::test]
async fn the_served_document_is_the_built_one() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    let a = app.get("/openapi.json").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, serde_json::to_value(openapi()).unwrap());
}

/// The document is pinned: a change to any route, schema or description shows up here as a
/// diff to review (`cargo insta review`, or `INSTA_UPDATE=always cargo test` to accept).
#[test]
fn the_openapi_document_is_pinned() {
    insta::assert_json_snapshot!("openapi", serde_json::to_value(openapi()).unwrap());
}

/// The error envelope's shape is pinned too: clients parse it.
#[actix_web::test]
async fn the_error_envelope_shape_is_pinned() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = app(&db, HttpSettings::default()).await;
    let a = app
        .json(
            Method::POST,
            "/api/v1/patients",
            serde_json::json!({"items": {"dateOfBirth": "19581301", "primarySite": "C509"}}),
        )
        .await;
    insta::assert_json_snapshot!("validation_error_envelope", a.body);
}
