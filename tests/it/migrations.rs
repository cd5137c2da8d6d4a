//! The two migration folders describe the same schema: same migration names, and after
//! migrating, the same tables, columns and nullability on PostgreSQL and SQLite.

use crate::harness::{Backend, TestDb};
use diesel::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;
use tumor_registry::store::AnyConnection;

fn folders(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let pg = folders("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, folders("sqlite"));
    for name in &pg {
        for backend in ["postgres", "sqlite"] {
            for file in ["up.sql", "down.sql"] {
                let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(p.is_file(), "missing {}", p.display());
            }
        }
    }
}

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

fn columns(db: &TestDb) -> BTreeSet<(String, String, bool)> {
    let cols: Vec<Column> = db
        .db
        .run_blocking(|conn: &mut AnyConnection| {
            let sql = match conn {
                AnyConnection::Postgresql(_) => {
                    "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                     (is_nullable = 'YES') AS nullable FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_\\_%'"
                }
                AnyConnection::Sqlite(_) => {
                    "SELECT m.name AS table_name, p.name AS column_name, \
                     (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
                     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE '\\_\\_%' ESCAPE '\\' \
                     AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                }
            };
            diesel::sql_query(sql)
                .load::<Column>(conn)
                .map_err(tumor_registry::store::StoreError::from)
        })
        .unwrap();
    cols.into_iter()
        .map(|c| (c.table_name, c.column_name, c.nullable))
        .collect()
}

#[test]
fn after_migrating_both_backends_have_the_same_tables_columns_and_nullability() {
    let sqlite = TestDb::new(Backend::Sqlite).unwrap();
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let a = columns(&sqlite);
    let b = columns(&pg);
    assert!(
        a.iter()
            .any(|(t, c, _)| t == "tumors" && c == "primary_site")
    );
    assert_eq!(a, b);
}
