//! Queries on accounts, sessions, refresh tokens and the audit trail.

use super::StoreError;
use super::connection::AnyConnection;
use super::schema::{audit_events, audit_head, refresh_tokens, sessions, users};
use crate::core::audit::{AuditEvent, GENESIS_HASH, Outcome, StoredEvent, event_hash};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An account as stored (role, scope and status as their stored text).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct UserRow {
    /// Internal id, never reused.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Role name.
    pub role: String,
    /// Facility scope in its text form (`*` or codes).
    pub facilities: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: NaiveDateTime,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

const USER_COLUMNS: (
    users::id,
    users::login,
    users::role,
    users::facilities,
    users::status,
    users::password_hash,
    users::password_changed_at,
    users::created_at,
    users::updated_at,
) = (
    users::id,
    users::login,
    users::role,
    users::facilities,
    users::status,
    users::password_hash,
    users::password_changed_at,
    users::created_at,
    users::updated_at,
);

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub login: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Facility scope text.
    pub facilities: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
}

/// Inserts an active account and returns its id.
pub fn insert_user(
    conn: &mut AnyConnection,
    user: &NewUser<'_>,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(users::table)
        .values((
            users::login.eq(user.login),
            users::role.eq(user.role),
            users::facilities.eq(user.facilities),
            users::status.eq("active"),
            users::password_hash.eq(user.password_hash),
            users::password_changed_at.eq(now),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?)
}

/// The account with this login name.
pub fn find_user_by_login(
    conn: &mut AnyConnection,
    login: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::table
        .filter(users::login.eq(login))
        .select(USER_COLUMNS)
        .first::<UserRow>(conn)
        .optional()?)
}

/// The account with this id.
pub fn find_user(conn: &mut AnyConnection, id: i64) -> Result<Option<UserRow>, StoreError> {
    Ok(users::table
        .filter(users::id.eq(id))
        .select(USER_COLUMNS)
        .first::<UserRow>(conn)
        .optional()?)
}

/// Every account, in id order.
pub fn list_users(conn: &mut AnyConnection) -> Result<Vec<UserRow>, StoreError> {
    Ok(users::table
        .select(USER_COLUMNS)
        .order(users::id.asc())
        .load::<UserRow>(conn)?)
}

/// How many accounts exist.
pub fn count_users(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(users::table.count().get_result::<i64>(conn)?)
}

/// Sets an account's status; false when there is no such account.
pub fn set_user_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(users::table.filter(users::id.eq(id)))
        .set((users::status.eq(status), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Replaces an account's password hash; false when there is no such account.
pub fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::password_hash.eq(hash),
            users::password_changed_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Starts a session (a refresh-token family) and returns its row id.
pub fn insert_session(
    conn: &mut AnyConnection,
    public_id: &str,
    user_id: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(sessions::table)
        .values((
            sessions::public_id.eq(public_id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .returning(sessions::id)
        .get_result::<i64>(conn)?)
}

/// A session as the token checks need it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SessionRow {
    /// Row id.
    pub id: i64,
    /// The id carried in access tokens (`sid`).
    pub public_id: String,
    /// Its account.
    pub user_id: i64,
    /// When it ends regardless of refreshes.
    pub expires_at: NaiveDateTime,
    /// Set when revoked (logout, reuse of a refresh token, account disabled).
    pub revoked_at: Option<NaiveDateTime>,
}

const SESSION_COLUMNS: (
    sessions::id,
    sessions::public_id,
    sessions::user_id,
    sessions::expires_at,
    sessions::revoked_at,
) = (
    sessions::id,
    sessions::public_id,
    sessions::user_id,
    sessions::expires_at,
    sessions::revoked_at,
);

/// A session and its account, by the session's public id (one query per request).
pub fn find_session_with_user(
    conn: &mut AnyConnection,
    public_id: &str,
) -> Result<Option<(SessionRow, UserRow)>, StoreError> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::public_id.eq(public_id))
        .select((SESSION_COLUMNS, USER_COLUMNS))
        .first::<(SessionRow, UserRow)>(conn)
        .optional()?)
}

/// Revokes one session (if not already revoked).
pub fn revoke_session(
    conn: &mut AnyConnection,
    session_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    revoke_live_sessions(conn, Box::new(sessions::id.eq(session_id)), reason, now)
}

/// Revokes every live session of an account.
pub fn revoke_sessions_of_user(
    conn: &mut AnyConnection,
    user_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    revoke_live_sessions(conn, Box::new(sessions::user_id.eq(user_id)), reason, now)
}

/// Which sessions to revoke.
type SessionSelector = Box<
    dyn diesel::expression::BoxableExpression<
            sessions::table,
            <AnyConnection as diesel::Connection>::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
>;

/// Revokes the live sessions that `which` selects.
fn revoke_live_sessions(
    conn: &mut AnyConnection,
    which: SessionSelector,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(sessions::table)
        .filter(which)
        .filter(sessions::revoked_at.is_null())
        .set((
            sessions::revoked_at.eq(Some(now)),
            sessions::revoked_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a refresh token's hash for a session.
pub fn insert_refresh_token(
    conn: &mut AnyConnection,
    session_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A refresh token as stored: (row id, session row id, expires at, used at).
pub type RefreshRow = (i64, i64, NaiveDateTime, Option<NaiveDateTime>);

/// The refresh token with this hash.
pub fn find_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RefreshRow>, StoreError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::id,
            refresh_tokens::session_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
        ))
        .first::<RefreshRow>(conn)
        .optional()?)
}

/// Marks a refresh token used, if nobody used it first; false when it was already used.
pub fn use_refresh_token(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::id
                .eq(id)
                .and(refresh_tokens::used_at.is_null()),
        ),
    )
    .set(refresh_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The session with this row id.
pub fn find_session(conn: &mut AnyConnection, id: i64) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::table
        .filter(sessions::id.eq(id))
        .select(SESSION_COLUMNS)
        .first::<SessionRow>(conn)
        .optional()?)
}

/// Appends one event to the audit chain and returns its id.
///
/// The head row is updated first: on PostgreSQL its row lock makes concurrent writers queue,
/// and the `RETURNING` gives this event its id; the previous event's hash is then read by its
/// primary key. On SQLite the write transaction already holds the database lock. One update of
/// the head per event: it is the hottest row of the database.
pub fn append_audit_event(conn: &mut AnyConnection, event: &AuditEvent) -> Result<i64, StoreError> {
    let id = diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
        .set(audit_head::last_id.eq(audit_head::last_id + 1))
        .returning(audit_head::last_id)
        .get_result::<i64>(conn)?;
    let prev_hash = if id == 1 {
        GENESIS_HASH.to_owned()
    } else {
        audit_events::table
            .filter(audit_events::id.eq(id - 1))
            .select(audit_events::hash)
            .first::<String>(conn)
            .optional()?
            .ok_or_else(|| StoreError::Corrupt {
                what: "audit trail",
                reason: format!(
                    "event {} is missing; run `tumor-registry audit verify`",
                    id - 1
                ),
            })?
    };
    let hash = event_hash(id, &prev_hash, event);
    let items = serde_json::to_string(&event.items).map_err(|e| StoreError::Corrupt {
        what: "audit items",
        reason: e.to_string(),
    })?;
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(id),
            audit_events::at.eq(event.at),
            audit_events::user_id.eq(event.user_id),
            audit_events::login.eq(event.login.as_deref()),
            audit_events::role.eq(event.role.as_deref()),
            audit_events::action.eq(&event.action),
            audit_events::entity_kind.eq(event.entity_kind.as_deref()),
            audit_events::entity_id.eq(event.entity_id),
            audit_events::request_id.eq(event.request_id.as_deref()),
            audit_events::outcome.eq(event.outcome.as_str()),
            audit_events::items.eq(items),
            audit_events::detail.eq(event.detail.as_deref()),
            audit_events::prev_hash.eq(&prev_hash),
            audit_events::hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(id)
}

type AuditRow = (
    i64,
    NaiveDateTime,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    String,
);

fn stored_from_row(row: AuditRow) -> Result<StoredEvent, StoreError> {
    let (
        id,
        at,
        user_id,
        login,
        role,
        action,
        entity_kind,
        entity_id,
        request_id,
        outcome,
        items,
        detail,
        prev_hash,
        hash,
    ) = row;
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "audit event",
        reason,
    };
    Ok(StoredEvent {
        id,
        event: AuditEvent {
            at,
            user_id,
            login,
            role,
            action,
            entity_kind,
            entity_id,
            request_id,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| corrupt(format!("event {id} has an unknown outcome")))?,
            items: serde_json::from_str(&items).map_err(|e| corrupt(format!("event {id}: {e}")))?,
            detail,
        },
        prev_hash,
        hash,
    })
}

macro_rules! audit_columns {
    () => {
        (
            audit_events::id,
            audit_events::at,
            audit_events::user_id,
            audit_events::login,
            audit_events::role,
            audit_events::action,
            audit_events::entity_kind,
            audit_events::entity_id,
            audit_events::request_id,
            audit_events::outcome,
            audit_events::items,
            audit_events::detail,
            audit_events::prev_hash,
            audit_events::hash,
        )
    };
}

/// Up to `limit` audit events with ids above `after`, in id order (for verification, in
/// batches, so memory does not grow with the trail).
pub fn audit_events_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    audit_events::table
        .filter(audit_events::id.gt(after))
        .order(audit_events::id.asc())
        .limit(limit)
        .select(audit_columns!())
        .load::<AuditRow>(conn)?
        .into_iter()
        .map(stored_from_row)
        .collect()
}

/// The id of the last event, as the chain's head records it.
pub fn audit_head_id(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(audit_head::table
        .filter(audit_head::id.eq(1))
        .select(audit_head::last_id)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// What an audit search looks for; unset fields match anything.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Events of this account.
    pub user_id: Option<i64>,
    /// Events with this action (`patient.read`, `auth.login`, ...).
    pub action: Option<String>,
    /// Events about this kind of record.
    pub entity_kind: Option<String>,
    /// Events about this record.
    pub entity_id: Option<i64>,
    /// Events with this outcome.
    pub outcome: Option<String>,
    /// Events at or after.
    pub from: Option<NaiveDateTime>,
    /// Events before.
    pub to: Option<NaiveDateTime>,
}

/// One page of audit events matching `query`, newest first, with ids below `before`.
pub fn search_audit(
    conn: &mut AnyConnection,
    query: &AuditQuery,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut q = audit_events::table
        .select(audit_columns!())
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(audit_events::id.lt(b));
    }
    if let Some(u) = query.user_id {
        q = q.filter(audit_events::user_id.eq(u));
    }
    if let Some(a) = &query.action {
        q = q.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(k) = &query.entity_kind {
        q = q.filter(audit_events::entity_kind.eq(k.clone()));
    }
    if let Some(e) = query.entity_id {
        q = q.filter(audit_events::entity_id.eq(e));
    }
    if let Some(o) = &query.outcome {
        q = q.filter(audit_events::outcome.eq(o.clone()));
    }
    if let Some(f) = query.from {
        q = q.filter(audit_events::at.ge(f));
    }
    if let Some(t) = query.to {
        q = q.filter(audit_events::at.lt(t));
    }
    q.load::<AuditRow>(conn)?
        .into_iter()
        .map(stored_from_row)
        .collect()
}

/// How many audit events one request left (tests check that it is exactly one).
pub fn count_audit_events_of_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<i64, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .count()
        .get_result(conn)?)
}

/// How many audit events there are.
pub fn count_audit_events(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(audit_events::table.count().get_result::<i64>(conn)?)
}
