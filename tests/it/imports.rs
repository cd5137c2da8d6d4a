//! `import` of NAACCR XML files on both backends: counts from the standard's samples, the same
//! file imported once, `all` refusing a file whole, `per-patient` keeping the good patients,
//! `--dry-run` writing nothing, hostile files refused with their position.

use crate::backend_tests;
use std::path::{Path, PathBuf};
use std::process::Command;
use tumor_registry::store::AnyConnection;

const BIN: &str = env!("CARGO_BIN_EXE_tumor-registry");

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/naaccr-samples")
        .join(name)
}

fn import(url: &str, args: &[&str]) -> (i32, String) {
    subcommand("import", url, args)
}

/// Runs `tumor-registry SUBCOMMAND ARGS --database-url URL`: (exit status, standard error).
fn subcommand(name: &str, url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .arg(name)
        .args(args)
        .args(["--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn count(db: &crate::harness::TestDb, table: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    db.db
        .run_blocking(move |c: &mut AnyConnection| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<N>(c)
                .map_err(tumor_registry::store::StoreError::from)
        })
        .unwrap()
        .n
}

/// A small NAACCR 26 file: patient 1 valid, patient 2 with an impossible date of birth.
fn two_patient_file(dir: &Path) -> PathBuf {
    let path = dir.join("two.xml");
    std::fs::write(&path, r#"<?xml version="1.0"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
  <Patient>
    <Item naaccrId="patientIdNumber">00000001</Item>
    <Item naaccrId="nameLast">Okafor</Item>
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
"#).unwrap();
    path
}

backend_tests! {
    async fn the_standard_samples_import_with_their_counts_and_only_once(db: TestDb) {
        let file = sample("naaccr-xml-sample-v250-abstract-1000.xml.gz");
        let (code, err) = import(&db.url, &[file.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        // ../shared/naaccr/README.md: 943 patients, 1,000 tumors.
        assert_eq!((count(&db, "patients"), count(&db, "tumors")), (943, 1000));
        assert!(err.contains("943 patients read, 943 imported, 1000 tumors, 0 refused"), "{err}");
        let before = db.fingerprint();
        let (code, err) = import(&db.url, &[file.to_str().unwrap()]);
        assert_eq!(code, 0);
        assert!(err.contains("already imported as batch 1"), "{err}");
        assert_eq!(db.fingerprint(), before);
        assert_eq!(count(&db, "import_batches"), 1);
    }

    async fn in_all_mode_one_bad_patient_refuses_the_whole_file(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let file = two_patient_file(dir.path());
        let report = dir.path().join("report.json");
        let before = db.fingerprint();
        let (code, err) = import(&db.url, &[file.to_str().unwrap(), "--report", report.to_str().unwrap()]);
        assert_eq!(code, 1, "{err}");
        assert_eq!(db.fingerprint(), before);
        assert_eq!(batch_statuses(&db), vec!["rejected"], "the refusal is recorded, nothing else");
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
        assert_eq!(report["status"], "rejected");
        let p = &report["rejected"][0];
        assert_eq!(p["patient"], 2);
        assert_eq!(p["problems"][0]["code"], "invalid_date");
        assert_eq!(p["problems"][0]["naaccrId"], "dateOfBirth");
        assert_eq!(p["problems"][0]["line"], 13);
    }

    async fn in_per_patient_mode_the_good_patients_are_kept_and_the_rest_reported(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let file = two_patient_file(dir.path());
        let (code, err) = import(&db.url, &[file.to_str().unwrap(), "--mode", "per-patient"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("partial — 2 patients read, 1 imported, 1 tumors, 1 refused"), "{err}");
        assert_eq!((count(&db, "patients"), count(&db, "tumors")), (1, 1));
        assert!(dir.path().join("two.xml.rejected.json").is_file());
    }

    async fn a_dry_run_writes_nothing(db: TestDb) {
        let before = db.fingerprint();
        let file = sample("naaccr-xml-sample-v250-incidence-100.xml.gz");
        let (code, err) = import(&db.url, &[file.to_str().unwrap(), "--dry-run"]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("dry-run"), "{err}");
        assert_eq!(db.fingerprint(), before);
        assert_eq!(count(&db, "import_batches"), 0);
    }

    async fn hostile_files_are_refused_with_their_position_and_write_nothing(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let head = r#"<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">"#;
        let cases: Vec<(&str, String, &str)> = vec![
            ("doctype", format!("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n{head}<Patient><Item naaccrId=\"nameLast\">&lol2;</Item></Patient></NaaccrData>"), "doctype_not_allowed"),
            ("truncated", format!("<?xml version=\"1.0\"?>\n{head}\n<Patient>\n<Item naaccrId=\"nameLast\">Okafor</Item>"), "unexpected_eof"),
            ("wrong-root", "<?xml version=\"1.0\"?>\n<Patients/>".to_owned(), "wrong_root_element"),
            ("unknown-dictionary", head.replace("naaccr-dictionary-260", "naaccr-dictionary-990") + "</NaaccrData>", "unsupported_naaccr_version"),
            ("duplicate-item", format!("{head}\n<Patient>\n<Item naaccrId=\"nameLast\">A</Item>\n<Item naaccrId=\"nameLast\">B</Item>\n</Patient></NaaccrData>"), "duplicate_item"),
        ];
        let mut cases: Vec<(&str, Vec<u8>, &str)> =
            cases.into_iter().map(|(n, t, c)| (n, t.into_bytes(), c)).collect();
        // The gzip magic bytes followed by something that is not gzip.
        cases.push(("not-gzip", b"\x1f\x8bgarbage that is not deflate".to_vec(), "bad_gzip"));
        let before = db.fingerprint();
        for (name, text, code) in cases {
            let file = dir.path().join(format!("{name}.xml"));
            std::fs::write(&file, text).unwrap();
            let report = dir.path().join(format!("{name}.json"));
            let (status, err) = import(&db.url, &[file.to_str().unwrap(), "--report", report.to_str().unwrap()]);
            assert_eq!(status, 1, "{name}: {err}");
            let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
            assert_eq!(r["fatal"]["code"], code, "{name}: {r}");
            assert!(r["fatal"]["line"].as_u64().unwrap() >= 1, "{name}");
        }
        assert_eq!(db.fingerprint(), before);
        assert_eq!(batch_statuses(&db), vec!["rejected"; 6], "each refusal recorded, nothing else");
    }
}

/// The status of every import batch, in order.
fn batch_statuses(db: &crate::harness::TestDb) -> Vec<String> {
    db.db
        .run_blocking(|c: &mut AnyConnection| {
            tumor_registry::store::imports::list_batches(c, None, None, 100)
        })
        .unwrap()
        .into_iter()
        .rev()
        .map(|b| b.status)
        .collect()
}

type Items = std::collections::BTreeMap<String, String>;

/// Every patient of a NAACCR XML file as (patient items, tumor items), in file order.
fn read_all(path: &Path) -> Vec<(Items, Vec<Items>)> {
    use tumor_registry::core::naaccr::xml::{MaybeGzip, NaaccrReader, ReaderOptions};
    let dictionaries = crate::harness::dictionaries();
    let provider = |v: &str| dictionaries.get(v).cloned();
    let input =
        MaybeGzip::detect(std::io::BufReader::new(std::fs::File::open(path).unwrap())).unwrap();
    let mut reader = NaaccrReader::new(input, &provider, ReaderOptions::default()).unwrap();
    let map = |items: &[tumor_registry::core::naaccr::xml::Item]| {
        items
            .iter()
            .map(|i| (i.naaccr_id.to_string(), i.value.clone()))
            .collect()
    };
    let mut out = Vec::new();
    while let Some(p) = reader.next_patient().unwrap() {
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        out.push((
            map(&p.items),
            p.tumors.iter().map(|t| map(&t.items)).collect(),
        ));
    }
    out
}

fn export(url: &str, args: &[&str]) -> (i32, String) {
    subcommand("export", url, args)
}

backend_tests! {
    async fn import_then_export_gives_back_every_patient_tumor_and_value(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        // A NAACCR 25 sample from the reference library, and synthetic NAACCR 26 data.
        let synthetic = dir.path().join("synthetic.xml.gz");
        let status = Command::new(BIN)
            .args(["synth", "--patients", "400", "--seed", "5", "--out", synthetic.to_str().unwrap()])
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        for (file, version) in [
            (sample("naaccr-xml-sample-v250-abstract-1000.xml.gz"), "250"),
            (synthetic, "260"),
        ] {
            let (code, err) = import(&db.url, &[file.to_str().unwrap()]);
            assert_eq!(code, 0, "{err}");
            let out = dir.path().join(format!("export-{version}.xml.gz"));
            let (code, err) = export(&db.url, &["--out", out.to_str().unwrap(), "--dictionary-version", version]);
            assert_eq!(code, 0, "{err}");
            let original = read_all(&file);
            let exported = read_all(&out);
            assert_eq!(exported.len(), original.len());
            assert!(exported == original, "the export differs from the file imported ({version})");
        }
    }

    async fn an_incidence_export_leaves_out_confidential_items_and_filters_by_diagnosis(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let file = sample("naaccr-xml-sample-v250-abstract-100.xml.gz");
        assert_eq!(import(&db.url, &[file.to_str().unwrap()]).0, 0);
        let out = dir.path().join("incidence.xml");
        let (code, err) = export(&db.url, &["--out", out.to_str().unwrap(), "--dictionary-version", "250", "--record-type", "I"]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&out).unwrap();
        // nameLast is in record types A, M and C only (naaccr-dictionary-250.xml): not in I.
        assert!(!text.contains("naaccrId=\"nameLast\""));
        assert!(text.contains("recordType=\"I\""));
        let original = read_all(&file);
        let with_2019: usize = original
            .iter()
            .filter(|(_, ts)| ts.iter().any(|t| t.get("dateOfDiagnosis").is_some_and(|d| d.starts_with("2019"))))
            .count();
        let out = dir.path().join("y2019.xml");
        let (code, err) = export(&db.url, &["--out", out.to_str().unwrap(), "--dictionary-version", "250", "--diagnosis-from", "2019", "--diagnosis-to", "2019"]);
        assert_eq!(code, 0, "{err}");
        let exported = read_all(&out);
        assert_eq!(exported.len(), with_2019);
        assert!(exported.iter().all(|(_, ts)| !ts.is_empty() && ts.iter().all(|t| t["dateOfDiagnosis"].starts_with("2019"))));
    }
}
