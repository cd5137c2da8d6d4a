//! Queries on edit confirmations (a person's reasoned confirmation of one edit's failure on one
//! tumor, for the edits that no over-ride item covers).

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::edit_confirmations as ec;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A confirmation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = ec)]
pub struct ConfirmationRow {
    /// Row id.
    pub id: i64,
    /// The tumor.
    pub tumor_id: i64,
    /// The edit confirmed.
    pub edit_id: String,
    /// Why the combination is right.
    pub reason: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When (UTC).
    pub confirmed_at: NaiveDateTime,
    /// Who withdrew it.
    pub withdrawn_by: Option<String>,
    /// When it was withdrawn (UTC); none while in force.
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// Records a confirmation and returns it.
pub fn insert_confirmation(
    conn: &mut AnyConnection,
    tumor: i64,
    edit: &str,
    reason: &str,
    by: &str,
    now: NaiveDateTime,
) -> Result<ConfirmationRow, StoreError> {
    let id: i64 = diesel::insert_into(ec::table)
        .values((
            ec::tumor_id.eq(tumor),
            ec::edit_id.eq(edit),
            ec::reason.eq(reason),
            ec::confirmed_by.eq(by),
            ec::confirmed_at.eq(now),
        ))
        .returning(ec::id)
        .get_result(conn)?;
    Ok(ec::table
        .find(id)
        .select(ConfirmationRow::as_select())
        .first(conn)?)
}

/// The confirmation of `edit` in force on `tumor`, if any.
pub fn confirmation_in_force(
    conn: &mut AnyConnection,
    tumor: i64,
    edit: &str,
) -> Result<Option<ConfirmationRow>, StoreError> {
    Ok(ec::table
        .filter(ec::tumor_id.eq(tumor))
        .filter(ec::edit_id.eq(edit))
        .filter(ec::withdrawn_at.is_null())
        .select(ConfirmationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stamps confirmation `id` as withdrawn.
pub fn withdraw_confirmation(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(ec::table.find(id))
        .set((ec::withdrawn_by.eq(by), ec::withdrawn_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Every confirmation of the tumors (those withdrawn too when `all`), oldest first.
pub fn confirmations_of(
    conn: &mut AnyConnection,
    tumors: &[i64],
    all: bool,
) -> Result<Vec<ConfirmationRow>, StoreError> {
    let mut rows = Vec::new();
    // Bounded IN lists: SQLite allows 32,766 bound values, PostgreSQL 65,535.
    for chunk in tumors.chunks(10_000) {
        let mut q = ec::table
            .filter(ec::tumor_id.eq_any(chunk))
            .select(ConfirmationRow::as_select())
            .order(ec::id)
            .into_boxed();
        if !all {
            q = q.filter(ec::withdrawn_at.is_null());
        }
        rows.extend(q.load(conn)?);
    }
    Ok(rows)
}
