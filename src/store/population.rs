//! Population denominators.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::population as pop;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One stored cell: (year, county, sex, age group, persons).
pub type PopulationCell = (i32, String, i16, String, f64);

/// Replaces the rows of every (year, county) pair present in `cells` by `cells` (call inside a
/// transaction: all or nothing). Returns (rows deleted, rows written).
pub fn replace_population(
    conn: &mut AnyConnection,
    cells: &[PopulationCell],
    now: NaiveDateTime,
) -> Result<(usize, usize), StoreError> {
    let mut pairs: Vec<(i32, String)> = cells.iter().map(|c| (c.0, c.1.clone())).collect();
    pairs.sort();
    pairs.dedup();
    let mut deleted = 0;
    for (year, county) in &pairs {
        deleted += diesel::delete(
            pop::table
                .filter(pop::year.eq(*year))
                .filter(pop::county.eq(county)),
        )
        .execute(conn)?;
    }
    let row = |c: &PopulationCell| {
        (
            pop::year.eq(c.0),
            pop::county.eq(c.1.clone()),
            pop::sex.eq(c.2),
            pop::age_group.eq(c.3.clone()),
            pop::persons.eq(c.4),
            pop::imported_at.eq(now),
        )
    };
    match conn {
        AnyConnection::Postgresql(pg) => {
            for chunk in cells.chunks(1000) {
                let values: Vec<_> = chunk.iter().map(row).collect();
                diesel::insert_into(pop::table).values(values).execute(pg)?;
            }
        }
        AnyConnection::Sqlite(lite) => {
            for c in cells {
                diesel::insert_into(pop::table)
                    .values(row(c))
                    .execute(lite)?;
            }
        }
    }
    Ok((deleted, cells.len()))
}

/// Every stored cell.
pub fn all_population(conn: &mut AnyConnection) -> Result<Vec<PopulationCell>, StoreError> {
    Ok(pop::table
        .select((
            pop::year,
            pop::county,
            pop::sex,
            pop::age_group,
            pop::persons,
        ))
        .order((pop::year, pop::county, pop::sex, pop::age_group))
        .load(conn)?)
}
