//! The deadline watcher: records `deadline.missed` when a deadline passes with its step undone.
//!
//! It reads the due duties from the case-list read model and records each miss through the command
//! service, like any officer would, so the domain judges it with the case's own clock rules (a suspended
//! case's clocks stand still; a duty already done or recorded is refused). Each miss is recorded exactly
//! once even with several watchers: the command id is derived from (case, deadline, due date), so the
//! store records the first and answers the others with it, and the domain refuses a second miss.

use std::time::Duration;

use ::db::{DbRow, on_pool};
use chrono::{NaiveDate, Utc};
use command::{CaseService, CommandRequest, RequestMeta, ServiceError};
use domain::{CaseId, Command, DeadlineKey, RecordDeadlineMissed};
use uuid::Uuid;

use crate::db::day_number;
use crate::{ProjectionError, Projections};

/// The actor recorded on the events the watcher writes.
pub const ACTOR: &str = "deadline-watcher";

/// Namespace of the watcher's command ids (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x5e1f_0d0c_4a11_4c3e_9d6a_7e57_ca5e_0004);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchOutcome {
    /// Misses this watcher recorded.
    pub recorded: usize,
    /// Misses another watcher (or an earlier pass) had already recorded, or that the domain says are not
    /// (or no longer) misses, e.g. because the read model lagged behind the step being done.
    pub already_done: usize,
    /// Failures (logged); they are retried on the next pass.
    pub failed: usize,
}

/// What recording one miss did.
enum Attempt {
    Recorded,
    AlreadyDone,
    Failed,
}

impl WatchOutcome {
    fn add(&mut self, r: Attempt) {
        match r {
            Attempt::Recorded => self.recorded += 1,
            Attempt::AlreadyDone => self.already_done += 1,
            Attempt::Failed => self.failed += 1,
        }
    }
}

/// Finds due duties in the case list and records each miss once.
#[derive(Debug, Clone)]
pub struct Watcher {
    service: CaseService,
    projections: Projections,
    interval: Duration,
}

/// The command id for one miss: the same for every watcher, so the store records it once.
pub fn command_id(case_id: &str, key: &str, due: &str) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("deadline-missed/{case_id}/{key}/{due}").as_bytes(),
    )
}

impl Watcher {
    pub fn new(service: CaseService, projections: Projections) -> Self {
        Self {
            service,
            projections,
            interval: Duration::from_secs(60),
        }
    }

    /// How long `run` sleeps between passes (default one minute).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// One pass for the local date `today`.
    ///
    /// The case list only nominates candidates (cases with an open deadline whose stored `pending` flag
    /// is set and whose due date has passed); which deadlines are due to be recorded is decided by the
    /// domain's one definition, [`domain::CaseState::overdue_deadlines`], on the case loaded from the
    /// store, so a lagging read model can neither invent nor hide a miss.
    pub async fn run_once(&self, today: NaiveDate) -> Result<WatchOutcome, ProjectionError> {
        let candidates: Vec<String> = on_pool!(&self.projections.db.pool, p => sqlx::query(
            "SELECT d.case_id, MIN(d.due_day) AS first_due FROM case_deadlines d \
             WHERE d.status = 'open' AND d.pending = 1 AND d.due_day < $1 \
             GROUP BY d.case_id ORDER BY first_due, d.case_id",
        )
        .bind(day_number(today))
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| r.try_get("case_id"))
        .collect::<Result<_, sqlx::Error>>()?);
        let mut outcome = WatchOutcome::default();
        for case_id in candidates {
            let Ok(case_uuid) = case_id.parse::<Uuid>() else {
                tracing::error!(%case_id, "unreadable case id in case_deadlines");
                outcome.failed += 1;
                continue;
            };
            let case = CaseId::from_uuid(case_uuid);
            let state = match self.service.load(case).await {
                Ok((_, state)) => state,
                Err(e) => {
                    tracing::warn!(%case_id, error = %e, "could not load a case; will retry");
                    outcome.failed += 1;
                    continue;
                }
            };
            for deadline in state.overdue_deadlines(today) {
                let Some(tracked) = state.deadline(deadline) else {
                    continue;
                };
                let key = deadline.as_str();
                let due = tracked.deadline.due.to_string();
                outcome.add(
                    self.record(&case_id, case, deadline, key, &due, today)
                        .await,
                );
            }
        }
        Ok(outcome)
    }

    async fn record(
        &self,
        case_id: &str,
        case: CaseId,
        deadline: DeadlineKey,
        key: &str,
        due: &str,
        today: NaiveDate,
    ) -> Attempt {
        let request = CommandRequest {
            case_id: case,
            command: Command::RecordDeadlineMissed(RecordDeadlineMissed { deadline }),
            expected_version: None,
            step_date: Some(today),
            meta: RequestMeta {
                retryable: true,
                command_id: command_id(case_id, key, due),
                fingerprint: Some(format!("deadline-missed/{key}/{due}")),
                actor: ACTOR.to_owned(),
                correlation_id: Uuid::new_v4(),
                causation_id: None,
            },
        };
        match self.service.execute(request).await {
            Ok(done) if done.replayed => Attempt::AlreadyDone,
            Ok(_) => {
                tracing::info!(%case_id, deadline = %key, %due, "deadline missed recorded");
                Attempt::Recorded
            }
            Err(ServiceError::Domain(e))
                if matches!(e.code(), "deadline-not-missed" | "illegal-transition") =>
            {
                Attempt::AlreadyDone
            }
            Err(e) => {
                tracing::warn!(%case_id, deadline = %key, error = %e, "could not record a missed deadline; will retry");
                Attempt::Failed
            }
        }
    }

    /// Passes every `interval` until `shutdown` turns true, using Vietnam's local date.
    pub async fn run(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let today = command::local_date(Utc::now());
            match self.run_once(today).await {
                Ok(o) if o.recorded + o.failed > 0 => tracing::info!(
                    recorded = o.recorded,
                    failed = o.failed,
                    "deadline watcher pass"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "deadline watcher pass failed; retrying later")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
