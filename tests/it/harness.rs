//! Test harness: a fresh database per test on SQLite (a temporary file) and on PostgreSQL (a
//! fresh schema), and the real application driven in process.
//!
//! Each storage or API test body is written once with `backend_tests!` and runs as
//! `name::sqlite` and `name::postgres`. PostgreSQL comes from `TEST_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres); when it is unreachable the postgres variants
//! print one line and pass, unless `REQUIRE_POSTGRES=1`, which makes them fail.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Once, OnceLock};
use tumor_registry::app::auth::{Auth, AuthSettings, NewAccount, RequestContext, SigningKeys};
use tumor_registry::app::jobs::{Jobs, Spool};
use tumor_registry::app::{Dictionaries, ManualClock, Registry};
use tumor_registry::core::auth::{FacilityScope, Role};
use tumor_registry::http::{HttpSettings, build_app};
use tumor_registry::store::{DatabaseUrl, Db};

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database of its own for one test, removed when dropped.
pub struct TestDb {
    pub db: Db,
    /// The URL the test database was opened with.
    pub url: String,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database on `backend`, or None when PostgreSQL is unreachable and not required.
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(),
        }
    }

    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("registry.db");
        let url = path.display().to_string();
        let db = Db::open(&DatabaseUrl::parse(&url).expect("url"), 4).expect("open sqlite");
        TestDb {
            db,
            url,
            schema: None,
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<TestDb> {
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
        let required = std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut admin = match diesel::PgConnection::establish(&base) {
            Ok(c) => c,
            Err(e) => {
                if required {
                    panic!("REQUIRE_POSTGRES=1 but PostgreSQL is unreachable at {base}: {e}");
                }
                static SKIP: Once = Once::new();
                SKIP.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "PostgreSQL unreachable at {base}: postgres variants of the storage and API tests were SKIPPED (set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead)"
                    );
                });
                return None;
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        sweep_stale_schemas(&mut admin, now);
        let schema = format!("t_{now}_{}", uuid::Uuid::new_v4().simple());
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let db = Db::open(&DatabaseUrl::parse(&url).expect("url"), 4).expect("open postgres");
        Some(TestDb {
            db,
            url,
            schema: Some((base, schema)),
            _dir: None,
        })
    }

    /// A dump of the patient and tumor rows only (for tests that break the history table).
    pub fn fingerprint_of_abstracts(&self) -> String {
        self.db
            .run_blocking(tumor_registry::store::abstracts::fingerprint_of_abstracts)
            .expect("fingerprint")
    }

    /// A dump of every abstract and history row, to compare before and after a request.
    pub fn fingerprint(&self) -> String {
        self.db
            .run_blocking(tumor_registry::store::abstracts::fingerprint)
            .expect("fingerprint")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut c) = diesel::PgConnection::establish(base)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Drops test schemas left by crashed runs more than an hour ago (never a running test's).
fn sweep_stale_schemas(conn: &mut diesel::PgConnection, now: u64) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        nspname: String,
    }
    let Ok(names) =
        diesel::sql_query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .load::<Name>(conn)
    else {
        return;
    };
    for n in names {
        let stamp = n
            .nspname
            .split('_')
            .nth(1)
            .and_then(|s| s.parse::<u64>().ok());
        if stamp.is_some_and(|t| t + 3600 < now) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", n.nspname));
        }
    }
}

/// The dictionaries, loaded once per test binary.
pub fn dictionaries() -> Arc<Dictionaries> {
    static D: OnceLock<Arc<Dictionaries>> = OnceLock::new();
    D.get_or_init(|| Arc::new(Dictionaries::load(&[]).expect("dictionaries")))
        .clone()
}

/// The fixed time every test registry reads.
pub fn test_time() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
        .and_then(|d| d.and_hms_micro_opt(9, 30, 0, 123_456))
        .expect("time")
}

/// A registry over the test database, with its own signing key and a clock the test can move.
pub fn registry_with_clock(db: &TestDb) -> (Registry, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(test_time()));
    let keys = SigningKeys::new(TEST_KEY.to_vec(), None).expect("key");
    let auth = Auth::new(AuthSettings::new(keys)).expect("auth");
    let registry = Registry::new(db.db.clone(), dictionaries(), clock.clone(), Arc::new(auth));
    (registry, clock)
}

/// The token signing key of every test registry, so that security tests can forge tokens.
pub const TEST_KEY: &[u8; 32] = b"tumor-registry-test-signing-key!";

/// A registry over the test database.
pub fn registry(db: &TestDb) -> Registry {
    registry_with_clock(db).0
}

/// The password every test account gets (12+ characters, not a common one).
pub const TEST_PASSWORD: &str = "correct horse battery staple 42";

/// Creates an account directly (as the command line would).
pub async fn add_account(registry: &Registry, login: &str, role: Role, facilities: &[&str]) -> i64 {
    let scope = if facilities.is_empty() {
        FacilityScope::All
    } else {
        facilities.join(",").parse().expect("facility codes")
    };
    registry
        .add_account(
            &RequestContext::system("test"),
            NewAccount {
                login: login.to_owned(),
                role,
                scope,
                password: TEST_PASSWORD.to_owned(),
            },
        )
        .await
        .expect("account")
        .id
        .0
}

/// One HTTP answer: status, headers and JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    /// The body as sent.
    pub raw: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("ETag header")
    }

    /// The error code of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// The real application over a test database, driven in process, logged in as `central`
/// (all facilities) unless a test logs in as someone else.
pub struct TestApp<S> {
    pub service: S,
    pub registry: Registry,
    pub clock: Arc<ManualClock>,
    /// The access token sent with every request (empty: none).
    pub token: std::cell::RefCell<String>,
    /// Counts audit events of every patient-level request (see `send`).
    db: Db,
    /// Background imports and exports, over a spool directory of the test's own.
    pub jobs: Jobs,
    _spool: tempfile::TempDir,
}

/// The application over `db`, as configured by default.
pub async fn app(
    db: &TestDb,
    settings: HttpSettings,
) -> TestApp<
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
> {
    app_with(db, settings, |r| r).await
}

/// The application over `db` with its registry configured by `configure`.
pub async fn app_with(
    db: &TestDb,
    settings: HttpSettings,
    configure: impl FnOnce(Registry) -> Registry,
) -> TestApp<
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
> {
    let (registry, clock) = registry_with_clock(db);
    let registry = configure(registry);
    let spool_dir = tempfile::tempdir().expect("spool dir");
    let jobs = Jobs::new(
        registry.clone(),
        Spool::open(spool_dir.path()).expect("spool"),
        chrono::Duration::hours(24),
    );
    let service = test::init_service(build_app(registry.clone(), jobs.clone(), settings)).await;
    let app = TestApp {
        service,
        registry,
        clock,
        token: std::cell::RefCell::new(String::new()),
        db: db.db.clone(),
        jobs,
        _spool: spool_dir,
    };
    add_account(&app.registry, "central", Role::Central, &[]).await;
    app.login_as("central").await;
    app
}

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Logs in as `login` (password [`TEST_PASSWORD`]) and sends its token from now on.
    pub async fn login_as(&self, login: &str) -> serde_json::Value {
        let a = self
            .send(
                TestRequest::post()
                    .uri("/api/v1/auth/login")
                    .set_json(serde_json::json!({"login": login, "password": TEST_PASSWORD})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "login as {login}: {}", a.body);
        *self.token.borrow_mut() = a.body["accessToken"].as_str().expect("token").to_owned();
        a.body
    }

    /// Creates an account and logs in as it.
    pub async fn become_user(&self, login: &str, role: Role, facilities: &[&str]) -> i64 {
        let id = add_account(&self.registry, login, role, facilities).await;
        self.login_as(login).await;
        id
    }

    /// How many audit events there are.
    pub fn audit_count(&self) -> i64 {
        self.db
            .run_blocking(tumor_registry::store::security::count_audit_events)
            .expect("count")
    }

    /// Sends a request with the current token (if any and if the request has none).
    ///
    /// Every request to a patient-level route must leave exactly one audit event: checked
    /// here, so the whole suite proves it.
    pub async fn send(&self, req: TestRequest) -> Answer {
        let req = req.to_request();
        let patient_level = tumor_registry::http::middleware::is_patient_level(req.path());
        let mut req = req;
        let token = self.token.borrow().clone();
        if !token.is_empty() && !req.headers().contains_key("authorization") {
            req.headers_mut().insert(
                actix_web::http::header::AUTHORIZATION,
                actix_web::http::header::HeaderValue::from_str(&format!("Bearer {token}"))
                    .expect("header"),
            );
        }
        let res = test::call_service(&self.service, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if patient_level {
            // Counted by request id: background jobs (imports, exports) write their own events
            // under ids of their own.
            let id = headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("every answer has a request id")
                .to_owned();
            let events = self
                .db
                .run_blocking(move |c| {
                    tumor_registry::store::security::count_audit_events_of_request(c, &id)
                })
                .expect("count");
            assert_eq!(
                events, 1,
                "a patient-level request must leave exactly one audit event ({status})"
            );
        }
        Answer {
            status,
            headers,
            body,
            raw: bytes.to_vec(),
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(TestRequest::get().uri(uri)).await
    }

    pub async fn json(&self, method: Method, uri: &str, body: Value) -> Answer {
        self.send(
            TestRequest::default()
                .method(method)
                .uri(uri)
                .set_json(body),
        )
        .await
    }

    pub async fn json_if_match(
        &self,
        method: Method,
        uri: &str,
        etag: &str,
        body: Value,
    ) -> Answer {
        self.send(
            TestRequest::default()
                .method(method)
                .uri(uri)
                .insert_header(("If-Match", etag))
                .set_json(body),
        )
        .await
    }
}

/// Writes a storage or API test once and runs it on both backends: `name::sqlite` and
/// `name::postgres`. The body receives `db: TestDb`.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($db:ident: TestDb) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn test_body($db: $crate::harness::TestDb) $body

                #[actix_web::test]
                async fn sqlite() {
                    if let Some(db) = $crate::harness::TestDb::new($crate::harness::Backend::Sqlite) {
                        test_body(db).await;
                    }
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(db) = $crate::harness::TestDb::new($crate::harness::Backend::Postgres) {
                        test_body(db).await;
                    }
                }
            }
        )*
    };
}
