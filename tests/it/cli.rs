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

backend_tests! {
    async fn migrate_is_idempotent_on_an_existing_database(db: TestDb) {
        let (ok, out, err) = run(&["migrate", "--database-url", &db.url]);
        assert!(ok, "{err}");
        assert!(out.contains("database is migrated"), "{out}");
    }
}

/// Starts `serve` on a free port and asks /health over a real socket.
#[test]
fn serve_creates_the_sqlite_file_and_answers_on_a_real_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let answer = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"backend\":\"SQLite\""), "{answer}");
    assert!(answer.to_lowercase().contains("x-request-id"), "{answer}");
    assert!(dir.path().join("registry.db").is_file());
}
