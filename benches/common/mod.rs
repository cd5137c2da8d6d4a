//! What the database benchmarks share: a registry over a URL, and running a benchmark on
//! SQLite (a temporary file) and on PostgreSQL (a schema of its own on `TEST_DATABASE_URL`,
//! dropped at the end) when one answers.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::sync::Arc;
use tumor_registry::app::auth::{Auth, AuthSettings, SigningKeys};
use tumor_registry::app::{Dictionaries, Registry, SystemClock};
use tumor_registry::store::{DatabaseUrl, Db};

/// A registry over `url`, with the built-in dictionaries and a fresh signing key.
pub fn registry_for(name: &str, url: &str) -> Option<Registry> {
    let (Ok(url), Ok(dictionaries)) = (DatabaseUrl::parse(url), Dictionaries::load(&[])) else {
        return None;
    };
    let db = match Db::open(&url, 4) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("{name}: skipped ({e})");
            return None;
        }
    };
    let auth = SigningKeys::generate()
        .map_err(|e| e.to_string())
        .and_then(|k| Auth::new(AuthSettings::new(k)).map_err(|e| e.to_string()))
        .ok()?;
    Some(Registry::new(
        db,
        Arc::new(dictionaries),
        Arc::new(SystemClock),
        Arc::new(auth),
    ))
}

/// Calls `run(backend name, database URL)` for SQLite, then PostgreSQL if it answers.
pub fn on_each_backend(mut run: impl FnMut(&str, &str)) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("bench.db");
    run("sqlite", &path.display().to_string());

    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("bench_{}", std::process::id());
    match diesel::PgConnection::establish(&base) {
        Ok(mut admin) => {
            if admin
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))
                .is_ok()
            {
                let sep = if base.contains('?') { '&' } else { '?' };
                run(
                    "postgres",
                    &format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                );
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
        Err(e) => eprintln!("postgres: skipped, unreachable at {base} ({e})"),
    }
}
