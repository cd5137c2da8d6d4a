//! The audit trail, for administrators.

use crate::app::Registry;
use crate::core::audit::StoredEvent;
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::{Authorized, ReadsAudit};
use crate::store::security::AuditQuery;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What to look for; every field optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditSearchQuery {
    /// Account id.
    pub user_id: Option<i64>,
    /// Action, e.g. patient.read, tumor.update, auth.login.
    pub action: Option<String>,
    /// patient, tumor or user.
    pub entity_kind: Option<String>,
    /// The record's id.
    pub entity_id: Option<i64>,
    /// success, denied or failure.
    pub outcome: Option<String>,
    /// At or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1-500 (default 100).
    pub limit: Option<i64>,
    /// The `nextBefore` of the previous page (events come newest first).
    pub before: Option<i64>,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventDto {
    /// Position in the chain (consecutive from 1).
    pub id: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Login name (or system:COMMAND).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// What was done.
    pub action: String,
    /// patient, tumor or user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_kind: Option<String>,
    /// The record's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<i64>,
    /// The request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// success, denied or failure.
    pub outcome: String,
    /// Items changed (names, never values).
    pub items: Vec<String>,
    /// More about it (a failure's code, counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// This event's hash (SHA-256 over it and the previous hash).
    pub hash: String,
}

impl From<StoredEvent> for AuditEventDto {
    fn from(s: StoredEvent) -> Self {
        let e = s.event;
        Self {
            id: s.id,
            at: e.at.and_utc(),
            user_id: e.user_id,
            login: e.login,
            role: e.role,
            action: e.action,
            entity_kind: e.entity_kind,
            entity_id: e.entity_id,
            request_id: e.request_id,
            outcome: e.outcome.as_str().to_owned(),
            items: e.items,
            detail: e.detail,
            hash: s.hash,
        }
    }
}

/// A page of audit events, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEventDto>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// Search the audit trail (admin).
#[utoipa::path(
    tag = "audit",
    params(AuditSearchQuery),
    responses(
        (status = 200, description = "Events, newest first", body = AuditPage),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
    )
)]
#[get("/audit")]
pub async fn search_audit(
    caller: Authorized<ReadsAudit>,
    registry: web::Data<Registry>,
    query: web::Query<AuditSearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(100);
    let events = registry
        .search_audit(
            &caller.0,
            AuditQuery {
                user_id: q.user_id,
                action: q.action,
                entity_kind: q.entity_kind,
                entity_id: q.entity_id,
                outcome: q.outcome,
                from: q.from.map(|t| t.naive_utc()),
                to: q.to.map(|t| t.naive_utc()),
            },
            q.before,
            limit,
        )
        .await?;
    let full = i64::try_from(events.len()).unwrap_or(i64::MAX) == limit;
    let next_before = if full {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(AuditPage {
        items: events.into_iter().map(AuditEventDto::from).collect(),
        next_before,
    }))
}
