//! Confirmations of edits that no over-ride item covers (IARC's "rare" combinations): a
//! registrar who has reviewed a tumor states why the unusual combination is right; the edit is
//! then reported as overridden on that tumor, and the confirmation says who, when and why.
//! Confirmations are never deleted: withdrawing one stamps it, confirming again (a new reason)
//! withdraws the one in force and records a new one.

use super::abstracts::Access;
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::versioned::load_visible;
use super::{AppError, Registry};
use crate::core::abstracts::{EntityKind, TumorId, TumorRecord};
use crate::core::auth::Permission;
use crate::core::problem::Problem;
use crate::store::edit_confirmations::{self as cq, ConfirmationRow};

/// The longest reason kept (characters).
pub const MAX_REASON_CHARS: usize = 2000;

impl Registry {
    /// Confirms the failure of edit `edit` on tumor `tumor` with `reason`; replaces the
    /// confirmation in force, if any (kept, stamped withdrawn). Refused when the edit is not
    /// confirmable for the tumor's NAACCR version or the reason is blank.
    pub async fn confirm_edit(
        &self,
        ctx: &RequestContext,
        tumor: TumorId,
        edit: String,
        reason: String,
    ) -> Result<ConfirmationRow, AppError> {
        let reason = reason.trim().to_owned();
        if reason.is_empty() {
            return Err(AppError::invalid(
                Problem::new(
                    "reason_required",
                    "a confirmation needs the reason why the combination is right",
                )
                .for_item("reason"),
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(AppError::invalid(
                Problem::new(
                    "reason_too_long",
                    format!("the reason is longer than {MAX_REASON_CHARS} characters"),
                )
                .for_item("reason"),
            ));
        }
        let engines = self.edit_engines()?;
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("confirmed edit {edit}")),
            ..AuditFacts::about(EntityKind::Tumor, tumor.0)
        };
        self.audited(
            ctx,
            Permission::WritePatientData,
            "tumor.edit_confirm",
            facts,
            move |conn, _| {
                let record: TumorRecord = load_visible(conn, tumor, access.scope())?;
                if record.tombstone.is_some() {
                    return Err(AppError::NotFound {
                        kind: EntityKind::Tumor,
                        id: tumor.0,
                    });
                }
                let confirmable = engines
                    .for_version(&record.dictionary_version)
                    .is_some_and(|e| e.is_confirmable(&edit));
                if !confirmable {
                    return Err(AppError::invalid(
                        Problem::new(
                            "edit_not_confirmable",
                            format!(
                                "edit {edit} cannot be confirmed: only the edits listed with \
                                 confirmable = true (GET /api/v1/edits) can; the others are \
                                 switched off by their over-ride items"
                            ),
                        )
                        .for_item("edit"),
                    ));
                }
                let by = access.actor().unwrap_or("unknown").to_owned();
                if let Some(old) = cq::confirmation_in_force(conn, tumor.0, &edit)? {
                    cq::withdraw_confirmation(conn, old.id, &by, now)?;
                }
                Ok(cq::insert_confirmation(
                    conn, tumor.0, &edit, &reason, &by, now,
                )?)
            },
        )
        .await
    }

    /// Withdraws the confirmation of `edit` in force on `tumor` (kept, stamped withdrawn).
    pub async fn withdraw_edit_confirmation(
        &self,
        ctx: &RequestContext,
        tumor: TumorId,
        edit: String,
    ) -> Result<ConfirmationRow, AppError> {
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("withdrew the confirmation of edit {edit}")),
            ..AuditFacts::about(EntityKind::Tumor, tumor.0)
        };
        self.audited(
            ctx,
            Permission::WritePatientData,
            "tumor.edit_withdraw",
            facts,
            move |conn, _| {
                let _: TumorRecord = load_visible(conn, tumor, access.scope())?;
                let row = cq::confirmation_in_force(conn, tumor.0, &edit)?.ok_or(
                    AppError::NoSuchConfirmation {
                        tumor: tumor.0,
                        edit: edit.clone(),
                    },
                )?;
                let by = access.actor().unwrap_or("unknown").to_owned();
                cq::withdraw_confirmation(conn, row.id, &by, now)?;
                Ok(ConfirmationRow {
                    withdrawn_by: Some(by),
                    withdrawn_at: Some(now),
                    ..row
                })
            },
        )
        .await
    }

    /// The confirmations of a tumor, oldest first (withdrawn ones too when `all`).
    pub async fn edit_confirmations(
        &self,
        ctx: &RequestContext,
        tumor: TumorId,
        all: bool,
    ) -> Result<Vec<ConfirmationRow>, AppError> {
        let access = Access::of(ctx);
        let facts = AuditFacts {
            detail: Some("edit confirmations".into()),
            ..AuditFacts::about(EntityKind::Tumor, tumor.0)
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "tumor.edit_confirmations",
            facts,
            move |conn, _| {
                let _: TumorRecord = load_visible(conn, tumor, access.scope())?;
                Ok(cq::confirmations_of(conn, &[tumor.0], all)?)
            },
        )
        .await
    }
}
