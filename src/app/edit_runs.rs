//! Bulk runs of an edit set over the stored abstracts: every failure is kept with its patient
//! and tumor, so that staff can list the runs, see the failures by edit and page through them.
//! A run reads the patients the caller may see, 500 at a time, each page in its own short
//! transactions (so that a run over a whole state does not hold the database), and writes one
//! audit event when it ends.

use super::abstracts::{Access, PatientWithTumors, check_page_size, with_tumors};
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::edits::run_on_record;
use super::{AppError, Registry};
use crate::core::abstracts::PatientId;
use crate::core::auth::Permission;
use crate::core::edits::definition::Severity;
use crate::core::edits::engine::RunCounts;
use crate::core::edits::lang::EvalEnv;
use crate::core::problem::Problem;
use crate::store::abstracts as q;
use crate::store::edit_runs::{self as rq, EditRunFailureRow, EditRunRow, NewFailure};

/// Patients read per page.
const PAGE: i64 = 500;

/// A stored run with its failures counted by edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditRun {
    /// The run.
    pub row: EditRunRow,
    /// (edit, severity, failures), most first.
    pub by_edit: Vec<(String, String, i64)>,
}

impl Registry {
    /// Records a run of edit set `set` (checked to exist) and returns it; [`Self::execute_edit_run`]
    /// does the work.
    pub async fn start_edit_run(
        &self,
        ctx: &RequestContext,
        set: String,
    ) -> Result<EditRunRow, AppError> {
        let engines = self.edit_engines()?;
        if engines
            .engine(None)
            .and_then(|e| e.select_set(&set))
            .is_none()
        {
            return Err(AppError::invalid(
                Problem::new(
                    "unknown_edit_set",
                    format!("there is no edit set named {set}"),
                )
                .for_item("set"),
            ));
        }
        let access = Access::of(ctx);
        let now = self.clock.now();
        let facts = AuditFacts {
            detail: Some(format!("edit set {set}")),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "edit_run.start",
            facts,
            move |conn, facts| {
                let id = rq::insert_edit_run(conn, &set, access.actor(), now)?;
                facts.id = Some(id);
                rq::find_edit_run(conn, id)?.ok_or(AppError::Internal("edit run vanished".into()))
            },
        )
        .await
    }

    /// Runs the set of run `run` over every stored patient the caller may see, storing each
    /// failure; `progress` gets the patients done so far. Records how the run ended.
    pub async fn execute_edit_run(
        &self,
        ctx: &RequestContext,
        run: &EditRunRow,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<EditRunRow, AppError> {
        let access = Access::of(ctx);
        let set = run.set_name.clone();
        let run_id = run.id;
        let result = async {
            let engines = self.edit_engines()?;
            let filter = self.scoped_filter(Default::default(), PAGE, &access)?;
            let today = EvalEnv::new(self.clock.now().date());
            let mut counts = RunCounts::default();
            let (mut patients, mut tumors, mut errors) = (0i64, 0i64, 0i64);
            let selections = engines.select_in_each(|e| e.select_set(&set));
            let mut after: Option<PatientId> = None;
            loop {
                let f = filter.clone();
                let scope = access.scope().clone();
                let page = self
                    .db
                    .run(move |conn| {
                        let patients = q::list_patients(conn, &f, after, PAGE)?;
                        let page = with_tumors(conn, patients, &scope)?;
                        let confirmations = super::edits::confirmations_of_page(conn, &page)?;
                        Ok::<_, AppError>((page, confirmations))
                    })
                    .await?;
                let (page, confirmations) = page;
                let Some(last) = page.last() else { break };
                after = Some(last.patient.id);
                let mut found = Vec::new();
                for PatientWithTumors {
                    patient: p,
                    tumors: mine,
                    ..
                } in &page
                {
                    let Some(engine) = engines.for_version(&p.dictionary_version) else {
                        continue;
                    };
                    let Some(selection) = selections.get(engine.version()) else {
                        continue;
                    };
                    let failures = run_on_record(
                        engine,
                        selection,
                        p,
                        mine,
                        &confirmations,
                        &today,
                        &mut counts,
                        None,
                    );
                    patients += 1;
                    tumors += mine.len() as i64;
                    for f in failures {
                        if f.severity == Severity::Error {
                            errors += 1;
                        }
                        found.push(NewFailure {
                            patient_id: p.id.0,
                            tumor_id: f.tumor.and_then(|t| mine.get(t)).map(|t| t.id.0),
                            edit: f.edit.to_string(),
                            severity: f.severity.as_str(),
                            message: f.message,
                            items: f.items.join(","),
                        });
                    }
                }
                self.db
                    .run(move |conn| {
                        crate::store::write_transaction(conn, |conn| {
                            rq::insert_edit_run_failures(conn, run_id, &found)
                        })
                    })
                    .await?;
                progress(patients as u64);
            }
            Ok::<_, AppError>([
                patients,
                tumors,
                counts.checks as i64,
                counts.failures as i64,
                errors,
            ])
        }
        .await;
        let now = self.clock.now();
        let (status, counts, error) = match &result {
            Ok(c) => ("done", *c, None),
            Err(e) => ("failed", [0; 5], Some(e.to_string())),
        };
        let facts = AuditFacts {
            id: Some(run_id),
            detail: Some(format!(
                "edit set {set}: {} patients, {} failures",
                counts[0], counts[3]
            )),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "edit_run",
            facts,
            move |conn, _| {
                rq::finish_edit_run(conn, run_id, status, counts, error.as_deref(), now)?;
                rq::find_edit_run(conn, run_id)?
                    .ok_or(AppError::Internal("edit run vanished".into()))
            },
        )
        .await
    }

    /// One run with its failures counted by edit (the caller's own, or any for central staff).
    pub async fn find_edit_run(&self, ctx: &RequestContext, id: i64) -> Result<EditRun, AppError> {
        let access = Access::of(ctx);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "edit_run.read",
            AuditFacts {
                id: Some(id),
                ..AuditFacts::default()
            },
            move |conn, _| {
                let row = rq::find_edit_run(conn, id)?
                    .filter(|r| access.sees_job_of(r.requested_by.as_deref()))
                    .ok_or(AppError::NoSuchJob {
                        kind: "edit run",
                        id,
                    })?;
                let by_edit = rq::edit_run_counts(conn, id)?;
                Ok(EditRun { row, by_edit })
            },
        )
        .await
    }

    /// Runs newest first: every run for central staff, their own for a registrar.
    pub async fn list_edit_runs(
        &self,
        ctx: &RequestContext,
        limit: i64,
    ) -> Result<Vec<EditRunRow>, AppError> {
        check_page_size(limit)?;
        let access = Access::of(ctx);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "edit_run.list",
            AuditFacts::default(),
            move |conn, _| {
                let mine = access.job_owner_filter();
                Ok(rq::list_edit_runs(conn, mine.as_deref(), limit)?)
            },
        )
        .await
    }

    /// A page of a run's failures (of one edit when given), after failure row `after`.
    pub async fn edit_run_failures(
        &self,
        ctx: &RequestContext,
        id: i64,
        edit: Option<String>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EditRunFailureRow>, AppError> {
        check_page_size(limit)?;
        let access = Access::of(ctx);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "edit_run.failures",
            AuditFacts {
                id: Some(id),
                ..AuditFacts::default()
            },
            move |conn, _| {
                rq::find_edit_run(conn, id)?
                    .filter(|r| access.sees_job_of(r.requested_by.as_deref()))
                    .ok_or(AppError::NoSuchJob {
                        kind: "edit run",
                        id,
                    })?;
                Ok(rq::edit_run_failures_page(
                    conn,
                    id,
                    edit.as_deref(),
                    after,
                    limit,
                )?)
            },
        )
        .await
    }
}
