//! The audit trail as use cases see it: every patient-level request is checked against the
//! caller's role, run in one transaction with its audit event (or, when it fails, followed by
//! a failure event of its own), and the trail can be searched and verified.

use super::auth::RequestContext;
use super::{AppError, Registry};
use crate::core::abstracts::EntityKind;
use crate::core::audit::{BrokenLink, Outcome, StoredEvent, verify_chain_after};
use crate::core::auth::Permission;
use crate::store::security::{self as sq, AuditQuery};
use crate::store::{AnyConnection, write_transaction};

/// What an audited request did, filled in by the work itself: the record it touched and the
/// items it changed (names only, never values).
#[derive(Debug, Clone, Default)]
pub struct AuditFacts {
    /// Patient or tumor.
    pub kind: Option<EntityKind>,
    /// Its id, once known (a create learns it when it inserts).
    pub id: Option<i64>,
    /// naaccrIds of the items changed.
    pub items: Vec<String>,
    /// Anything else worth recording (counts of a listing).
    pub detail: Option<String>,
}

impl AuditFacts {
    /// Facts about one record.
    pub fn about(kind: EntityKind, id: i64) -> Self {
        Self {
            kind: Some(kind),
            id: Some(id),
            ..Self::default()
        }
    }
}

/// Verification of the whole trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every event's hash and link checked out.
    Intact {
        /// Events checked.
        events: u64,
    },
    /// The first event that does not check out.
    Broken(BrokenLink),
}

/// Events verified per database round trip.
const VERIFY_BATCH: i64 = 5_000;

impl Registry {
    /// Runs `work` for `ctx` if its role has `permission`: in one write transaction with its
    /// audit event `action`. A refusal or failure is rolled back and audited on its own.
    pub(crate) async fn audited<T, F>(
        &self,
        ctx: &RequestContext,
        permission: Permission,
        action: &'static str,
        facts: AuditFacts,
        work: F,
    ) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection, &mut AuditFacts) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let now = self.clock.now();
        let allowed = ctx
            .principal
            .as_ref()
            .is_some_and(|p| p.role.allows(permission))
            || ctx.system.is_some();
        if !allowed {
            let err = AppError::Forbidden {
                reason: "your role does not allow this".into(),
            };
            self.audit_failure(ctx, action, &facts, &err).await?;
            return Err(err);
        }
        let ctx2 = ctx.clone();
        let mut failed_facts = facts.clone();
        let result = self
            .db
            .run(move |conn| {
                let mut facts = facts;
                let outcome = write_transaction(conn, |conn| {
                    let value = work(conn, &mut facts)?;
                    let mut e = ctx2.event(action, Outcome::Success, now);
                    e.entity_kind = facts.kind.map(|k| k.as_str().to_owned());
                    e.entity_id = facts.id;
                    e.items = std::mem::take(&mut facts.items);
                    e.detail = facts.detail.take();
                    sq::append_audit_event(conn, &e)?;
                    Ok(value)
                });
                Ok::<_, AppError>(outcome.map_err(|e| (e, facts)))
            })
            .await?;
        match result {
            Ok(v) => Ok(v),
            Err((err, facts)) => {
                failed_facts.id = facts.id.or(failed_facts.id);
                self.audit_failure(ctx, action, &failed_facts, &err).await?;
                Err(err)
            }
        }
    }

    async fn audit_failure(
        &self,
        ctx: &RequestContext,
        action: &str,
        facts: &AuditFacts,
        err: &AppError,
    ) -> Result<(), AppError> {
        let outcome = if err.is_denial() {
            Outcome::Denied
        } else {
            Outcome::Failure
        };
        let mut e = ctx.event(action, outcome, self.clock.now());
        e.entity_kind = facts.kind.map(|k| k.as_str().to_owned());
        e.entity_id = facts.id;
        e.detail = Some(err.audit_detail().to_owned());
        self.append_audit(e).await
    }

    /// Checks the whole trail, in batches: every hash, every link, no gap, and the head agrees.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, AppError> {
        self.db
            .run(|conn| {
                let mut checked = 0u64;
                let mut after = 0i64;
                let mut prev_hash = crate::core::audit::GENESIS_HASH.to_owned();
                loop {
                    let batch = sq::audit_events_after(conn, after, VERIFY_BATCH)?;
                    let Some(last) = batch.last() else { break };
                    let next_after = last.id;
                    let next_hash = last.hash.clone();
                    match verify_chain_after(after, &prev_hash, batch) {
                        Ok(n) => checked += n,
                        Err(broken) => return Ok(AuditVerdict::Broken(broken)),
                    }
                    after = next_after;
                    prev_hash = next_hash;
                }
                // Events cut off at the end leave the head pointing past the last one.
                if sq::audit_head_id(conn)? != after {
                    return Ok(AuditVerdict::Broken(BrokenLink {
                        id: after.saturating_add(1),
                        reason: crate::core::audit::BrokenReason::IdGap {
                            expected: after.saturating_add(1),
                        },
                    }));
                }
                Ok(AuditVerdict::Intact { events: checked })
            })
            .await
    }

    /// Searches the trail (administrators only; the search itself is audited).
    pub async fn search_audit(
        &self,
        ctx: &RequestContext,
        query: AuditQuery,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, AppError> {
        super::abstracts::check_page_size(limit)?;
        self.audited(
            ctx,
            Permission::ReadAudit,
            "audit.search",
            AuditFacts::default(),
            move |conn, _| Ok(sq::search_audit(conn, &query, before, limit)?),
        )
        .await
    }
}
