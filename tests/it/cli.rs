//! The binary as a user runs it: `--help` on every command, `migrate`, `dictionary show`, and
//! `serve` answering on a real port.

use crate::backend_tests;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tumor-registry");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["dictionary", "--help"],
        vec!["dictionary", "show", "--help"],
        vec!["dictionary", "list", "--help"],
        vec!["users", "--help"],
        vec!["users", "add", "--help"],
        vec!["users", "list", "--help"],
        vec!["users", "disable", "--help"],
        vec!["users", "reset-password", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["edits", "run", "--help"],
        vec!["edits", "eval", "--help"],
        vec!["edits", "list", "--help"],
    ] {
        let (ok, out, _) = run(&args);
        assert!(ok, "{args:?}");
        assert!(out.contains("Usage: tumor-registry"), "{args:?}: {out}");
    }
    let (_, out, _) = run(&["serve", "--help"]);
    assert!(
        out.contains("--database-url")
            && out.contains("DATABASE_URL")
            && out.contains("127.0.0.1:8080")
    );
}

#[test]
fn dictionary_show_prints_an_item_by_id_or_number() {
    // naaccr-dictionary-260.xml: primarySite is #400, length 4, Tumor level.
    let (ok, out, _) = run(&[
        "dictionary",
        "show",
        "primarySite",
        "--naaccr-version",
        "260",
    ]);
    assert!(ok);
    assert!(out.contains("NAACCR 260"), "{out}");
    assert!(out.contains("naaccrNum         400"), "{out}");
    assert!(out.contains("length            4"), "{out}");
    assert!(out.contains("parentXmlElement  Tumor"), "{out}");
    let (ok, by_num, _) = run(&["dictionary", "show", "400", "--naaccr-version", "260"]);
    assert!(ok);
    assert_eq!(by_num, out);
    let (ok, _, err) = run(&["dictionary", "show", "noSuchItem"]);
    assert!(!ok);
    assert!(err.contains("no item 'noSuchItem'"), "{err}");
}

#[test]
fn a_mistyped_database_url_scheme_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "migrate",
            "--database-url",
            "postgress://localhost/registry",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported database URL scheme 'postgress'"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn run_with(args: &[&str], password: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("REGISTRY_NEW_PASSWORD");
    if let Some(p) = password {
        cmd.env("REGISTRY_NEW_PASSWORD", p);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

backend_tests! {
    async fn accounts_are_managed_from_the_command_line_and_audited(db: TestDb) {
        let url = db.url.clone();
        let (ok, out, err) = run_with(&["users", "add", "alice", "--role", "registrar", "--facility", "0000001234", "--database-url", &url], Some("a long enough passphrase 7"));
        assert!(ok, "{err}");
        assert!(out.contains("created account 1 (alice)"), "{out}");
        let (ok, _, err) = run_with(&["users", "add", "bob", "--role", "central", "--database-url", &url], Some("qwerty123456"));
        assert!(!ok);
        assert!(err.contains("common"), "{err}");
        let (ok, _, err) = run_with(&["users", "add", "carol", "--role", "registrar", "--database-url", &url], Some("a long enough passphrase 7"));
        assert!(!ok, "a registrar without facilities was created");
        assert!(err.contains("facilities"), "{err}");
        let (ok, out, _) = run_with(&["users", "list", "--database-url", &url], None);
        assert!(ok);
        assert!(out.contains("alice") && out.contains("registrar") && out.contains("0000001234") && out.contains("active"), "{out}");
        let (ok, out, _) = run_with(&["users", "disable", "1", "--database-url", &url], None);
        assert!(ok, "{out}");
        let (ok, out, _) = run_with(&["users", "reset-password", "1", "--database-url", &url], Some("another long passphrase 8"));
        assert!(ok, "{out}");
        let (_, out, _) = run_with(&["users", "list", "--database-url", &url], None);
        assert!(out.contains("disabled"), "{out}");
        // Every change is in the trail, which verifies.
        let (ok, out, err) = run_with(&["audit", "verify", "--database-url", &url], None);
        assert!(ok, "{err}");
        assert!(out.contains("audit trail intact"), "{out}");
    }

    async fn audit_verify_fails_on_a_tampered_trail_and_names_the_event(db: TestDb) {
        let url = db.url.clone();
        for login in ["ann", "ben", "cat"] {
            let (ok, _, err) = run_with(&["users", "add", login, "--role", "central", "--database-url", &url], Some("a long enough passphrase 7"));
            assert!(ok, "{err}");
        }
        let (ok, out, _) = run_with(&["audit", "verify", "--database-url", &url], None);
        assert!(ok);
        assert!(out.contains("3 events verified"), "{out}");
        db.db
            .run_blocking(|c: &mut tumor_registry::store::AnyConnection| {
                use diesel::connection::SimpleConnection;
                let sql = match c {
                    tumor_registry::store::AnyConnection::Postgresql(_) => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete; UPDATE audit_events SET outcome = 'denied' WHERE id = 2",
                    tumor_registry::store::AnyConnection::Sqlite(_) => "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET outcome = 'denied' WHERE id = 2",
                };
                c.batch_execute(sql).map_err(tumor_registry::store::StoreError::from)
            })
            .unwrap();
        let (ok, _, err) = run_with(&["audit", "verify", "--database-url", &url], None);
        assert!(!ok);
        assert!(err.contains("BROKEN at event 2"), "{err}");
    }

    async fn migrate_is_idempotent_on_an_existing_database(db: TestDb) {
        let (ok, out, err) = run(&["migrate", "--database-url", &db.url]);
        assert!(ok, "{err}");
        assert!(out.contains("database is migrated"), "{out}");
    }
}

/// Starts `serve` in `dir` with `extra` arguments; returns the child and the port.
fn start_serve(dir: &std::path::Path, extra: &[&str]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--bind", bind.as_str(), "--workers", "1"];
    args.extend_from_slice(extra);
    let child = Command::new(BIN)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REGISTRY_ADMIN_PASSWORD")
        .args(&args)
        .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, port)
}

/// Waits until something listens on `port`.
fn wait_for(port: u16) -> std::net::TcpStream {
    let started = Instant::now();
    loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `serve` on a free port and asks /health over a real socket. The first start creates
/// the database, the signing key (readable by its owner only) and the admin account, whose
/// random password it prints once.
#[test]
fn serve_creates_the_sqlite_file_and_answers_on_a_real_port() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start_serve(dir.path(), &[]);
    let mut s = wait_for(port);
    s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"backend\":\"SQLite\""), "{answer}");
    assert!(answer.to_lowercase().contains("x-request-id"), "{answer}");
    assert!(dir.path().join("registry.db").is_file());
    let stdout = std::fs::read_to_string(dir.path().join("stdout.txt")).unwrap();
    assert!(stdout.contains("Created the account 'admin'"), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("registry.db.jwt-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second start keeps the admin account and prints no password.
    let (mut child, port) = start_serve(dir.path(), &[]);
    drop(wait_for(port));
    let _ = child.kill();
    let _ = child.wait();
    let stdout = std::fs::read_to_string(dir.path().join("stdout.txt")).unwrap();
    assert!(!stdout.contains("Created the account"), "{stdout}");
}

/// With a certificate and key, `serve` speaks HTTPS (rustls): a client that trusts the
/// certificate gets /health over TLS.
#[test]
fn serve_speaks_tls_when_given_a_certificate_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let (mut child, port) = start_serve(
        dir.path(),
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
    );
    let tcp = wait_for(port);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(std::sync::Arc::new(config), "localhost".try_into().unwrap())
            .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let _ = child.kill();
    let _ = child.wait();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let stdout = std::fs::read_to_string(dir.path().join("stdout.txt")).unwrap();
    assert!(stdout.contains("listening on https://"), "{stdout}");
}

#[test]
fn xml_validate_passes_the_samples_and_reports_problems_with_positions() {
    let samples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/naaccr-samples");
    let a1000 = samples.join("naaccr-xml-sample-v250-abstract-1000.xml.gz");
    let (ok, out, err) = run(&["xml", "validate", a1000.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    // ../shared/naaccr/README.md: 943 patients, 1,000 tumors, 97,767 items.
    assert!(
        err.contains("943 patients, 1000 tumors, 97767 items, 0 problem(s)"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<?xml version=\"1.0\"?>\n<NaaccrData baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"A\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n<Patient>\n  <Item naaccrId=\"dateOfBirth\">20230231</Item>\n</Patient>\n</NaaccrData>\n").unwrap();
    let out = Command::new(BIN)
        .args(["xml", "validate", "--json", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(
        line,
        serde_json::json!({
            "file": bad.to_str().unwrap(), "code": "invalid_date", "severity": "error",
            "message": "invalid date: the day does not exist in that month of that year",
            "line": 4, "column": 3, "patient": 1, "tumor": null, "naaccrId": "dateOfBirth"
        })
    );

    let out = Command::new(BIN)
        .args([
            "xml",
            "validate",
            bad.to_str().unwrap(),
            "/no/such/file.xml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `synth` is reproducible from its seed, and what it writes is valid NAACCR XML that imports.
#[test]
fn synth_writes_valid_reproducible_naaccr_xml() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.xml");
    let b = dir.path().join("b.xml.gz");
    for out in [&a, &b] {
        let (ok, _, err) = run(&[
            "synth",
            "--patients",
            "300",
            "--seed",
            "42",
            "--duplicates",
            "0.1",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
    }
    // The gzip file holds the same bytes as the plain one.
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&b).unwrap()),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, std::fs::read(&a).unwrap());
    let (ok, _, err) = run(&["xml", "validate", a.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        err.contains("300 patients") && err.contains("0 problem(s)"),
        "{err}"
    );
    let c = dir.path().join("c.xml");
    run(&[
        "synth",
        "--patients",
        "300",
        "--seed",
        "43",
        "--out",
        c.to_str().unwrap(),
    ]);
    assert_ne!(std::fs::read(&c).unwrap(), std::fs::read(&a).unwrap());
    let db = dir.path().join("r.db");
    let (ok, _, err) = run(&[
        "import",
        a.to_str().unwrap(),
        "--database-url",
        db.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("300 patients read, 300 imported"), "{err}");
}

/// `edits run` over a file prints one JSON object per failure with the fields the issue names,
/// and exits 1 when an error-level edit failed. The failure is SEER IF39's own example (in situ
/// behavior with primary site C809, shared/edits-tables/standard-edits-logic.md D4).
#[test]
fn edits_run_reports_failures_as_json_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.xml");
    std::fs::write(&file, r#"<?xml version="1.0"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
  <Patient>
    <Item naaccrId="patientIdNumber">00000001</Item>
    <Tumor>
      <Item naaccrId="primarySite">C809</Item>
      <Item naaccrId="histologicTypeIcdO3">8010</Item>
      <Item naaccrId="behaviorCodeIcdO3">2</Item>
    </Tumor>
  </Patient>
</NaaccrData>
"#).unwrap();
    let out = Command::new(BIN)
        .args([
            "edits",
            "run",
            file.to_str().unwrap(),
            "--set",
            "abstracting",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let if39 = lines
        .iter()
        .find(|l| l["edit"] == "IF39")
        .expect("IF39 fails");
    assert_eq!(if39["patient"], 1);
    assert_eq!(if39["tumor"], 1);
    assert_eq!(if39["severity"], "error");
    assert_eq!(
        if39["message"],
        "Behavior 2 (in situ) is not possible with Primary Site C809"
    );
    assert_eq!(
        if39["items"],
        serde_json::json!(["behaviorCodeIcdO3", "primarySite"])
    );
    assert!(if39["name"].as_str().unwrap().contains("SEER IF39"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("IF39"), "{stderr}");
}

/// `edits eval` prints an expression's value: the largest gap between 15 January 2010 and
/// April 2010 is to 30 April, 105 days (GenEDITS DAYDIFF with the MAX fill rule).
#[test]
fn edits_eval_prints_the_value_or_the_error_with_its_column() {
    let (ok, out, _) = run(&[
        "edits",
        "eval",
        "daydiff(dateOfDiagnosis, dateConclusiveDx, \"max\")",
        "--item",
        "dateOfDiagnosis=20100115",
        "--item",
        "dateConclusiveDx=201004",
    ]);
    assert!(ok);
    assert_eq!(out.trim(), "105");
    let out = Command::new(BIN)
        .args(["edits", "eval", "primarySite + 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1, column 13") && err.contains("arithmetic_on_text"),
        "{err}"
    );
}

/// `edits run --database` stores the run with its failures.
#[test]
fn edits_run_over_the_database_stores_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let file = dir.path().join("s.xml");
    let ok = Command::new(BIN)
        .args([
            "synth",
            "--patients",
            "50",
            "--seed",
            "3",
            "--out",
            file.to_str().unwrap(),
        ])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let url = db.to_str().unwrap();
    assert!(
        Command::new(BIN)
            .args(["import", file.to_str().unwrap(), "--database-url", url])
            .status()
            .unwrap()
            .success()
    );
    let out = Command::new(BIN)
        .args([
            "edits",
            "run",
            "--database",
            "--set",
            "abstracting",
            "--database-url",
            url,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("edit run 1 (abstracting): 50 patients"),
        "{err}"
    );
    // Synthetic data passes every error-level edit (Schema ID included): exit 0.
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("SCHEMA-DX"), "{err}");
}
