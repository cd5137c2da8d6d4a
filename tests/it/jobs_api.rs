//! Imports and exports over HTTP, on both backends: a file uploaded (plain or gzip) becomes a
//! batch imported in the background with the same rules as the command line (one file once,
//! `all` refusing a file whole, `per-patient` keeping the good patients, dry runs writing
//! nothing); an export is written in the background and downloaded by whoever asked for it.

use crate::backend_tests;
use crate::harness::{Answer, TestApp, app};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use tumor_registry::core::auth::Role;
use tumor_registry::core::naaccr::xml::{MaybeGzip, NaaccrReader, Patient, ReaderOptions};
use tumor_registry::http::HttpSettings;

/// `n` synthetic NAACCR 26 patients, reproducible from `seed`.
fn synthetic(n: usize, seed: u64) -> Vec<u8> {
    let tables = tumor_registry::app::synth::builtin_tables().unwrap();
    let dictionaries = crate::harness::dictionaries();
    let dictionary = dictionaries.get("260").unwrap();
    let options = tumor_registry::core::synth::SynthOptions {
        patients: n,
        first_dx_year: 2015,
        last_dx_year: 2022,
        study_cutoff: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
        duplicates_rate: 0.0,
    };
    tumor_registry::app::synth::write_synthetic(
        &tables,
        dictionary,
        &options,
        seed,
        Vec::new(),
        |_| {},
    )
    .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(bytes).unwrap();
    g.finish().unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Patients and tumors of a NAACCR XML document, read with our reader.
fn count_patients(bytes: &[u8]) -> (usize, usize) {
    let dictionaries = crate::harness::dictionaries();
    let provider = |v: &str| dictionaries.get(v).cloned();
    let input = MaybeGzip::detect(std::io::BufReader::new(bytes)).unwrap();
    let mut reader = NaaccrReader::new(input, &provider, ReaderOptions::default()).unwrap();
    let (mut patients, mut tumors) = (0, 0);
    let mut p = Patient::default();
    while reader.read_patient_into(&mut p).unwrap() {
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        patients += 1;
        tumors += p.tumors.len();
    }
    (patients, tumors)
}

const TWO_PATIENTS_ONE_BAD: &str = r#"<?xml version="1.0"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
  <Patient>
    <Item naaccrId="patientIdNumber">00000001</Item>
    <Tumor>
      <Item naaccrId="primarySite">C509</Item>
      <Item naaccrId="reportingFacility">0000001234</Item>
    </Tumor>
  </Patient>
  <Patient>
    <Item naaccrId="patientIdNumber">00000002</Item>
    <Item naaccrId="dateOfBirth">19610231</Item>
  </Patient>
</NaaccrData>
"#;

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    async fn upload(&self, query: &str, content_type: &str, body: Vec<u8>) -> Answer {
        self.send(
            TestRequest::post()
                .uri(&format!("/api/v1/imports{query}"))
                .insert_header(("Content-Type", content_type))
                .set_payload(body),
        )
        .await
    }

    /// Reads the job at `uri` until it has ended (status not queued, importing or running).
    async fn wait_for(&self, uri: &str) -> Value {
        for _ in 0..3000 {
            let a = self.get(uri).await;
            assert_eq!(a.status, 200, "{}", a.body);
            let status = a.body["status"].as_str().unwrap().to_owned();
            if !["queued", "importing", "running"].contains(&status.as_str()) {
                return a.body;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{uri} did not finish in 30 s");
    }

    fn audit_actions(&self) -> Vec<(String, String, Option<i64>)> {
        let events = self
            .registry
            .db()
            .run_blocking(|c| {
                tumor_registry::store::security::search_audit(
                    c,
                    &tumor_registry::store::security::AuditQuery::default(),
                    None,
                    500,
                )
            })
            .unwrap();
        events
            .into_iter()
            .map(|e| {
                (
                    e.event.action.clone(),
                    e.event.outcome.as_str().to_owned(),
                    e.event.entity_id,
                )
            })
            .collect()
    }
}

fn spool_files(app_spool: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app_spool)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

backend_tests! {
    async fn an_uploaded_file_is_imported_in_the_background_once(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let file = synthetic(40, 7);
        let (patients, tumors) = count_patients(&file);
        let a = app.upload("?fileName=hospital-a.xml", "application/xml", file.clone()).await;
        assert_eq!(a.status, 202, "{}", a.body);
        let id = a.body["id"].as_i64().unwrap();
        assert_eq!(a.header("location").as_deref(), Some(format!("/api/v1/imports/{id}").as_str()));
        assert_eq!(a.body["fileName"], "hospital-a.xml");
        assert_eq!(a.body["sha256"], sha256_hex(&file));
        assert_eq!(a.body["fileSize"], file.len() as i64);
        assert_eq!(a.body["importedBy"], "central");

        let done = app.wait_for(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(done["status"], "imported", "{done}");
        assert_eq!(done["patientsRead"], patients as i64);
        assert_eq!(done["patientsImported"], patients as i64);
        assert_eq!(done["tumorsImported"], tumors as i64);
        assert_eq!(done["dictionaryVersion"], "260");
        assert_eq!(done["rejected"], json!([]));
        let listed = app.get("/api/v1/patients?limit=500").await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), patients);

        // The same bytes again, even gzip-compressed under another name: the same file.
        let again = app.upload("?fileName=again.xml.gz", "application/gzip", gzip(&file)).await;
        assert_eq!(again.status, 202, "gzip bytes differ, so this is another file: {}", again.body);
        let same = app.upload("", "application/xml", file.clone()).await;
        assert_eq!(same.status, 409, "{}", same.body);
        assert_eq!(same.code(), "already_imported");
        assert_eq!(same.header("location").as_deref(), Some(format!("/api/v1/imports/{id}").as_str()));

        // The background import left its own audit event, and the spool is empty again.
        let actions = app.audit_actions();
        assert!(actions.contains(&("import.receive".into(), "success".into(), Some(id))), "{actions:?}");
        assert!(actions.contains(&("import.run".into(), "success".into(), Some(id))), "{actions:?}");
        let gz_id = again.body["id"].as_i64().unwrap();
        let gz = app.wait_for(&format!("/api/v1/imports/{gz_id}")).await;
        assert_eq!(gz["status"], "imported");
        // The file is deleted just after the import's transaction commits.
        let mut left = spool_files(app.jobs.spool().dir());
        for _ in 0..500 {
            if left.is_empty() {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
            left = spool_files(app.jobs.spool().dir());
        }
        assert_eq!(left, Vec::<String>::new());
    }

    async fn a_file_refused_in_all_mode_writes_nothing_and_may_be_sent_again(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint_of_abstracts();
        let body = TWO_PATIENTS_ONE_BAD.as_bytes().to_vec();
        let a = app.upload("?mode=all", "text/xml", body.clone()).await;
        assert_eq!(a.status, 202, "{}", a.body);
        let id = a.body["id"].as_i64().unwrap();
        let done = app.wait_for(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(done["status"], "rejected", "{done}");
        assert_eq!(done["patientsRead"], 2);
        assert_eq!(done["patientsImported"], 0);
        assert_eq!(done["patientsRejected"], 1);
        let rejected = &done["rejected"][0];
        assert_eq!(rejected["patient"], 2);
        assert_eq!(rejected["line"], 10);
        assert_eq!(rejected["problems"][0]["naaccrId"], "dateOfBirth");
        assert_eq!(rejected["problems"][0]["line"], 12);
        assert_eq!(db.fingerprint_of_abstracts(), before, "nothing of the file was written");

        // A refused file does not stand for its SHA-256: it may be sent again.
        let again = app.upload("?mode=per-patient", "text/xml", body).await;
        assert_eq!(again.status, 202, "{}", again.body);
        let id2 = again.body["id"].as_i64().unwrap();
        let partial = app.wait_for(&format!("/api/v1/imports/{id2}")).await;
        assert_eq!(partial["status"], "partial", "{partial}");
        assert_eq!(partial["patientsImported"], 1);
        assert_eq!(partial["tumorsImported"], 1);
        assert_eq!(partial["rejected"][0]["patient"], 2);
        let listed = app.get("/api/v1/patients").await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed.body["items"][0]["items"]["patientIdNumber"], "00000001");
    }

    async fn a_file_that_is_not_naaccr_xml_is_rejected_with_its_position(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let a = app
            .upload("", "application/xml", b"<?xml version=\"1.0\"?>\n<Patients>\n</Patients>\n".to_vec())
            .await;
        assert_eq!(a.status, 202);
        let id = a.body["id"].as_i64().unwrap();
        let done = app.wait_for(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(done["status"], "rejected");
        assert_eq!(done["fatal"]["code"], "wrong_root_element");
        assert_eq!(done["fatal"]["line"], 2);
        let actions = app.audit_actions();
        assert!(actions.contains(&("import.run".into(), "failure".into(), Some(id))), "{actions:?}");
    }

    async fn a_dry_run_answers_at_once_and_writes_nothing(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let before = db.fingerprint();
        let a = app
            .upload("?dryRun=true&mode=per-patient", "application/xml", TWO_PATIENTS_ONE_BAD.as_bytes().to_vec())
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], "dry-run");
        assert_eq!(a.body["patientsRead"], 2);
        assert_eq!(a.body["patientsImported"], 1);
        assert_eq!(a.body["rejected"][0]["patient"], 2);
        let batches = app.get("/api/v1/imports").await;
        assert_eq!(batches.body["items"], json!([]));
        assert_eq!(db.fingerprint(), before, "no abstract or history row was written");
        assert_eq!(spool_files(app.jobs.spool().dir()), Vec::<String>::new());
    }

    async fn uploads_of_the_wrong_type_or_size_are_refused_and_leave_nothing(db: TestDb) {
        let app = app(&db, HttpSettings { max_upload_bytes: 1000, ..HttpSettings::default() }).await;
        let big = synthetic(5, 1);
        assert!(big.len() > 1000);
        let a = app.upload("", "application/xml", big).await;
        assert_eq!(a.status, 413, "{}", a.body);
        assert_eq!(a.code(), "payload_too_large");
        let t = app.upload("", "text/plain", b"<NaaccrData/>".to_vec()).await;
        assert_eq!(t.status, 415);
        assert_eq!(t.code(), "unsupported_media_type");
        let m = app.upload("?mode=sometimes", "application/xml", b"<x/>".to_vec()).await;
        assert_eq!(m.status, 422);
        assert_eq!(m.body["error"]["details"][0]["item"], "mode");
        let q = app.upload("?fileName=a&colour=red", "application/xml", b"<x/>".to_vec()).await;
        assert_eq!(q.status, 400);
        assert_eq!(q.code(), "invalid_query");
        assert_eq!(app.get("/api/v1/imports").await.body["items"], json!([]));
        assert_eq!(spool_files(app.jobs.spool().dir()), Vec::<String>::new());
    }

    async fn registrars_see_their_own_batches_and_researchers_none(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let central = app.upload("", "application/xml", synthetic(2, 3)).await;
        let central_id = central.body["id"].as_i64().unwrap();
        app.wait_for(&format!("/api/v1/imports/{central_id}")).await;

        app.become_user("reg", Role::Registrar, &["0000001234"]).await;
        let own = app.upload("?mode=per-patient", "application/xml", TWO_PATIENTS_ONE_BAD.as_bytes().to_vec()).await;
        assert_eq!(own.status, 202, "{}", own.body);
        let own_id = own.body["id"].as_i64().unwrap();
        let done = app.wait_for(&format!("/api/v1/imports/{own_id}")).await;
        assert_eq!(done["status"], "partial");
        let hidden = app.get(&format!("/api/v1/imports/{central_id}")).await;
        assert_eq!(hidden.status, 404);
        let list = app.get("/api/v1/imports").await;
        let ids: Vec<i64> = list.body["items"].as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![own_id]);

        // A registrar's file with a tumor of another facility: that patient is refused.
        let synthetic_file = synthetic(3, 4);
        let foreign = app.upload("?mode=all", "application/xml", synthetic_file).await;
        let fid = foreign.body["id"].as_i64().unwrap();
        let refused = app.wait_for(&format!("/api/v1/imports/{fid}")).await;
        assert_eq!(refused["status"], "rejected", "{refused}");
        assert_eq!(refused["rejected"][0]["problems"][0]["code"], "out_of_scope");

        app.become_user("res", Role::Researcher, &[]).await;
        let r = app.upload("", "application/xml", b"<x/>".to_vec()).await;
        assert_eq!(r.status, 403);
        assert_eq!(app.get("/api/v1/imports").await.status, 403);
        assert_eq!(app.get(&format!("/api/v1/imports/{own_id}")).await.status, 403);
    }

    async fn an_export_is_written_in_the_background_and_downloaded_by_whoever_asked(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let file = synthetic(30, 11);
        let (patients, tumors) = count_patients(&file);
        let up = app.upload("", "application/xml", file).await;
        app.wait_for(&format!("/api/v1/imports/{}", up.body["id"])).await;

        let a = app.json(actix_web::http::Method::POST, "/api/v1/exports", json!({"recordType": "I", "gzip": true})).await;
        assert_eq!(a.status, 202, "{}", a.body);
        let id = a.body["id"].as_i64().unwrap();
        assert_eq!(a.header("location").as_deref(), Some(format!("/api/v1/exports/{id}").as_str()));
        let done = app.wait_for(&format!("/api/v1/exports/{id}")).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["patients"], patients as i64);
        assert_eq!(done["tumors"], tumors as i64);
        assert_eq!(done["recordType"], "I");
        assert_eq!(done["download"], format!("/api/v1/exports/{id}/file"));

        let d = app.get(&format!("/api/v1/exports/{id}/file")).await;
        assert_eq!(d.status, 200);
        assert_eq!(d.header("content-type").as_deref(), Some("application/gzip"));
        assert!(d.header("content-disposition").unwrap().contains(&format!("export-{id}.xml.gz")));
        assert_eq!(d.raw.len() as i64, done["fileSize"].as_i64().unwrap());
        assert_eq!(d.header("x-content-sha256").unwrap(), sha256_hex(&d.raw));
        assert_eq!(done["sha256"], sha256_hex(&d.raw));
        assert_eq!(count_patients(&d.raw), (patients, tumors));
        let text = String::from_utf8(flate2::read::GzDecoder::new(&d.raw[..]).bytes_all()).unwrap();
        assert!(text.contains(r#"recordType="I""#));
        assert!(!text.contains("nameLast"), "an incidence file carries no confidential item");

        // Another account cannot see the job or download its file.
        app.become_user("central2", Role::Central, &[]).await;
        assert_eq!(app.get(&format!("/api/v1/exports/{id}")).await.status, 404);
        assert_eq!(app.get(&format!("/api/v1/exports/{id}/file")).await.status, 404);
        assert_eq!(app.get("/api/v1/exports").await.body["items"], json!([]));
        app.login_as("central").await;

        // After the retention time the file is deleted and the job says so.
        app.clock.advance(chrono::Duration::hours(25));
        app.login_as("central").await;
        let gone = app.get(&format!("/api/v1/exports/{id}/file")).await;
        assert_eq!(gone.status, 409);
        assert_eq!(gone.code(), "export_not_ready");
        assert_eq!(app.get(&format!("/api/v1/exports/{id}")).await.body["status"], "expired");
        assert_eq!(spool_files(app.jobs.spool().dir()), Vec::<String>::new());
        let actions = app.audit_actions();
        for action in ["export.request", "export", "export.read", "export.download"] {
            assert!(actions.iter().any(|(a, o, _)| a == action && o == "success"), "{action}: {actions:?}");
        }
    }

    async fn a_bad_export_request_is_refused_before_any_job(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        for (body, item) in [
            (json!({"recordType": "X"}), "recordType"),
            (json!({"dictionaryVersion": "999"}), "dictionaryVersion"),
            (json!({"diagnosisFrom": "2019-01-01"}), "diagnosisFrom"),
        ] {
            let a = app.json(actix_web::http::Method::POST, "/api/v1/exports", body.clone()).await;
            assert_eq!(a.status, 422, "{body}: {}", a.body);
            assert_eq!(a.body["error"]["details"][0]["item"], item, "{}", a.body);
        }
        let unknown = app.json(actix_web::http::Method::POST, "/api/v1/exports", json!({"format": "csv"})).await;
        assert_eq!(unknown.status, 400);
        assert_eq!(app.get("/api/v1/exports").await.body["items"], json!([]));
        app.become_user("res", Role::Researcher, &[]).await;
        let r = app.json(actix_web::http::Method::POST, "/api/v1/exports", json!({})).await;
        assert_eq!(r.status, 403);
    }

    async fn jobs_left_unfinished_by_a_stop_are_marked_failed_on_start(db: TestDb) {
        let app = app(&db, HttpSettings::default()).await;
        let registry = app.registry.clone();
        let request = tumor_registry::app::imports::ImportRequest {
            file_name: "x.xml".into(),
            sha256: "ab".repeat(32),
            mode: tumor_registry::app::imports::ImportMode::All,
            dry_run: false,
            file_size: 10,
        };
        let ctx = tumor_registry::app::auth::RequestContext::system("test");
        let batch = registry.receive_import(&ctx, &request).await.unwrap();
        std::fs::write(app.jobs.spool().import_path(batch.row.id), b"<x/>").unwrap();
        assert_eq!(app.jobs.recover().await.unwrap(), 1);
        let b = app.get(&format!("/api/v1/imports/{}", batch.row.id)).await;
        assert_eq!(b.body["status"], "failed");
        assert!(b.body["error"].as_str().unwrap().starts_with("interrupted"));
        assert_eq!(spool_files(app.jobs.spool().dir()), Vec::<String>::new());
        // The file may be sent again.
        assert!(registry.receive_import(&ctx, &request).await.is_ok());
    }
}

trait ReadAll {
    fn bytes_all(self) -> Vec<u8>;
}

impl<R: std::io::Read> ReadAll for R {
    fn bytes_all(mut self) -> Vec<u8> {
        let mut v = Vec::new();
        self.read_to_end(&mut v).unwrap();
        v
    }
}
