//! Queries on the registry's own edits (one row per version).

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::custom_edits;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One version of a custom edit as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = custom_edits)]
pub struct CustomEditRow {
    /// Row id.
    pub id: i64,
    /// The edit's id.
    pub edit_id: String,
    /// Its version (1, 2, ...).
    pub version: i64,
    /// `draft`, `active`, `superseded` or `retired`.
    pub status: String,
    /// The definition, as JSON.
    pub definition: String,
    /// Why this version was written.
    pub note: Option<String>,
    /// Who wrote it.
    pub created_by: Option<String>,
    /// When (UTC).
    pub created_at: NaiveDateTime,
    /// When it was activated.
    pub activated_at: Option<NaiveDateTime>,
    /// When it was retired or superseded.
    pub retired_at: Option<NaiveDateTime>,
}

/// Writes a new draft version of `edit_id` (one more than its latest) and returns it.
pub fn insert_custom_edit_version(
    conn: &mut AnyConnection,
    edit_id: &str,
    definition: &str,
    note: Option<&str>,
    created_by: Option<&str>,
    now: NaiveDateTime,
) -> Result<CustomEditRow, StoreError> {
    let latest: Option<i64> = custom_edits::table
        .filter(custom_edits::edit_id.eq(edit_id))
        .select(diesel::dsl::max(custom_edits::version))
        .first(conn)?;
    let version = latest.unwrap_or(0) + 1;
    let id = diesel::insert_into(custom_edits::table)
        .values((
            custom_edits::edit_id.eq(edit_id),
            custom_edits::version.eq(version),
            custom_edits::status.eq("draft"),
            custom_edits::definition.eq(definition),
            custom_edits::note.eq(note),
            custom_edits::created_by.eq(created_by),
            custom_edits::created_at.eq(now),
        ))
        .returning(custom_edits::id)
        .get_result::<i64>(conn)?;
    Ok(custom_edits::table
        .find(id)
        .select(CustomEditRow::as_select())
        .first(conn)?)
}

/// Every version of one edit, oldest first.
pub fn custom_edit_versions(
    conn: &mut AnyConnection,
    edit_id: &str,
) -> Result<Vec<CustomEditRow>, StoreError> {
    Ok(custom_edits::table
        .filter(custom_edits::edit_id.eq(edit_id))
        .order(custom_edits::version.asc())
        .select(CustomEditRow::as_select())
        .load(conn)?)
}

/// The latest version of every custom edit, by edit id.
pub fn latest_custom_edits(conn: &mut AnyConnection) -> Result<Vec<CustomEditRow>, StoreError> {
    let rows: Vec<CustomEditRow> = custom_edits::table
        .order((custom_edits::edit_id.asc(), custom_edits::version.desc()))
        .select(CustomEditRow::as_select())
        .load(conn)?;
    let mut out: Vec<CustomEditRow> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|l| l.edit_id != r.edit_id) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The active version of every custom edit.
pub fn active_custom_edits(conn: &mut AnyConnection) -> Result<Vec<CustomEditRow>, StoreError> {
    Ok(custom_edits::table
        .filter(custom_edits::status.eq("active"))
        .order(custom_edits::edit_id.asc())
        .select(CustomEditRow::as_select())
        .load(conn)?)
}

/// Makes `version` of `edit_id` the active one: the version active before is superseded.
pub fn activate_custom_edit(
    conn: &mut AnyConnection,
    edit_id: &str,
    version: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(
        custom_edits::table
            .filter(custom_edits::edit_id.eq(edit_id))
            .filter(custom_edits::status.eq("active")),
    )
    .set((
        custom_edits::status.eq("superseded"),
        custom_edits::retired_at.eq(Some(now)),
    ))
    .execute(conn)?;
    diesel::update(
        custom_edits::table
            .filter(custom_edits::edit_id.eq(edit_id))
            .filter(custom_edits::version.eq(version)),
    )
    .set((
        custom_edits::status.eq("active"),
        custom_edits::activated_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Retires the active version of `edit_id`; returns whether there was one.
pub fn retire_custom_edit(
    conn: &mut AnyConnection,
    edit_id: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        custom_edits::table
            .filter(custom_edits::edit_id.eq(edit_id))
            .filter(custom_edits::status.eq("active")),
    )
    .set((
        custom_edits::status.eq("retired"),
        custom_edits::retired_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}
