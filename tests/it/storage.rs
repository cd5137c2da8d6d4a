//! Storage behaviour that HTTP alone does not show: concurrent writers, SQLite settings,
//! transactions rolled back whole when the database fails half-way.

use crate::abstracts_api::two_tumor_patient;
use crate::backend_tests;
use crate::harness::{app, registry};
use actix_web::http::{Method, StatusCode};
use diesel::connection::SimpleConnection;
use tumor_registry::app::AppError;
use tumor_registry::app::abstracts::Patch;
use tumor_registry::app::auth::RequestContext;
use tumor_registry::core::abstracts::{ItemInput, PatientId, RowVersion};
use tumor_registry::http::HttpSettings;
use tumor_registry::store::{AnyConnection, StoreError};

backend_tests! {
    async fn of_two_concurrent_updates_from_the_same_read_exactly_one_wins(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let created = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        let id = PatientId(created.body["id"].as_i64().unwrap());
        let reg = registry(&db);
        let patch = |v: &str| Patch {
            dictionary_version: None,
            items: vec![("vitalStatus".to_owned(), ItemInput::Text(v.to_owned()))],
        };
        let mut tasks = Vec::new();
        for i in 0..8 {
            let reg = reg.clone();
            // vitalStatus is "1" in the seed: each patch is a real change ("0" dead, "9" unknown).
            let p = patch(if i % 2 == 0 { "0" } else { "9" });
            tasks.push(tokio::spawn(async move { reg.update_patient(&RequestContext::system("test"), id, RowVersion(1), p).await }));
        }
        let mut won = 0;
        let mut conflicts = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(p) => {
                    won += 1;
                    assert_eq!(p.record.version, RowVersion(2));
                }
                Err(AppError::VersionConflict { expected, current, .. }) => {
                    conflicts += 1;
                    assert_eq!((expected, current), (RowVersion(1), RowVersion(2)));
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((won, conflicts), (1, 7));
        let history = app.get(&format!("/api/v1/patients/{}/history", id.0)).await;
        assert_eq!(history.body["versions"].as_array().unwrap().len(), 2);
    }

    async fn a_failure_half_way_through_a_write_leaves_nothing_behind(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        // Break the history table: the patient row is inserted, then its history row fails.
        db.db
            .run_blocking(|c: &mut AnyConnection| {
                c.batch_execute("DROP TABLE abstract_versions").map_err(StoreError::from)
            })
            .unwrap();
        let before = db.fingerprint_of_abstracts();
        let a = app.json(Method::POST, "/api/v1/patients", two_tumor_patient()).await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(a.code(), "internal_error");
        // The body is opaque: no SQL, no table name, but the request id to quote.
        let text = a.body.to_string();
        assert!(!text.contains("abstract_versions") && !text.to_lowercase().contains("sql"), "{text}");
        assert_eq!(a.body["error"]["requestId"].as_str(), a.header("x-request-id").as_deref());
        assert_eq!(db.fingerprint_of_abstracts(), before);
    }
}

#[actix_web::test]
async fn sqlite_connections_enforce_foreign_keys_and_use_wal() {
    let db = crate::harness::TestDb::new(crate::harness::Backend::Sqlite).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Fk {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        foreign_keys: i32,
    }
    use diesel::RunQueryDsl;
    let (mode, fk) = db
        .db
        .run_blocking(|c: &mut AnyConnection| {
            let m = diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(c)?;
            let f = diesel::sql_query("PRAGMA foreign_keys").get_result::<Fk>(c)?;
            Ok::<_, StoreError>((m.journal_mode, f.foreign_keys))
        })
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(fk, 1);
    // A tumor of a patient that does not exist is refused by the database itself.
    let orphan = db.db.run_blocking(|c: &mut AnyConnection| {
        tumor_registry::store::abstracts::insert_tumor(
            c,
            PatientId(424242),
            "260",
            &Default::default(),
            crate::harness::test_time(),
        )
    });
    assert!(orphan.is_err());
}
