//! Connections, the pool, migrations and transactions over PostgreSQL and SQLite.

use super::StoreError;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// One connection to either backend; every query in `store` is written once against this.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL, the production backend.
    Postgresql(diesel::PgConnection),
    /// Embedded SQLite, the default for a single hospital registry.
    Sqlite(diesel::SqliteConnection),
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Backend {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    }
}

/// A database URL, parsed to the backend it names. Any other scheme is refused, so a typo such
/// as `postgress://` never silently creates a new SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: String,
}

impl DatabaseUrl {
    /// Parses `postgres://...`, `postgresql://...`, `sqlite://path`, `sqlite:path` or a plain path.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(StoreError::UnsupportedUrl {
                scheme: scheme.to_owned(),
            });
        }
        if url.is_empty() {
            return Err(StoreError::UnsupportedUrl {
                scheme: String::new(),
            });
        }
        Ok(Self {
            backend: Backend::Sqlite,
            target: url.to_owned(),
        })
    }

    /// The backend this URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens one connection, keeping the driver's own error message.
    pub fn connect(&self) -> Result<AnyConnection, StoreError> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(AnyConnection::Postgresql)
                .map_err(|e| StoreError::Connect {
                    backend: "PostgreSQL",
                    reason: e.to_string(),
                }),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target).map_err(|e| {
                    StoreError::Connect {
                        backend: "SQLite",
                        reason: e.to_string(),
                    }
                })?;
                // Per connection: these settings are not stored in the file.
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;"
                ))
                .map_err(|e| StoreError::Connect {
                    backend: "SQLite",
                    reason: e.to_string(),
                })?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

/// An r2d2 manager that builds the right variant itself, so that a failed connection reports the
/// driver's real message (diesel's generic `AnyConnection::establish` would replace it).
#[derive(Debug, Clone)]
struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<AnyConnection, StoreError> {
        self.url.connect()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                conn,
            )
    }
}

/// The database: a pool of connections and the backend they speak.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Opens the database at `url` with up to `pool_size` connections and runs pending
    /// migrations. A SQLite file is created if missing and switched to WAL journaling.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, StoreError> {
        let mut first = url.connect()?;
        if let AnyConnection::Sqlite(conn) = &mut first {
            // WAL lets readers go on while one writer writes; it is stored in the file.
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        run_migrations(&mut first)?;
        drop(first);
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url: url.clone() })
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        Ok(Self {
            pool,
            backend: url.backend(),
        })
    }

    /// The backend this database speaks.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` with a pooled connection on the current thread (for the CLI and benchmarks).
    pub fn run_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<StoreError>,
    {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        f(&mut conn)
    }
}

/// Runs every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let result = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Runs `f` in one write transaction: all of it is committed, or none of it.
///
/// On SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the write lock at once: a
/// deferred transaction that reads and then writes fails with SQLITE_BUSY when another writer
/// got in between, instead of waiting for the busy timeout.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError>,
{
    let begun = match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(StoreError::from)?;
    match f(conn) {
        Ok(value) => {
            let committed = match conn {
                AnyConnection::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
                AnyConnection::Postgresql(c) => AnsiTransactionManager::commit_transaction(c),
            };
            committed.map_err(StoreError::from)?;
            Ok(value)
        }
        Err(err) => {
            let rolled_back = match conn {
                AnyConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                AnyConnection::Postgresql(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            // The caller's error is the one worth reporting; a failed rollback leaves the
            // connection marked broken, and the pool discards it.
            if let Err(e) = rolled_back {
                tracing::warn!(error = %e, "rollback failed");
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_and_typos_are_refused() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("registry.db").map(|u| u.backend()).ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/r.db")
                .map(|u| u.target)
                .ok(),
            Some("data/r.db".to_owned())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgress://u@h/db"),
            Err(StoreError::UnsupportedUrl { scheme }) if scheme == "postgress"
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }
}
