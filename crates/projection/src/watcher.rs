//! The deadline watcher: records `deadline.missed` when a deadline passes with its step undone.
//!
//! It reads the due duties from the case-list read model and records each miss through the command
//! service, like any officer would, so the domain judges it with the case's own clock rules (a suspended
//! case's clocks stand still; a duty already done or recorded is refused). Each miss is recorded exactly
//! once even with several watchers: the command id is derived from (case, deadline, due date), so the
//! store records the first and answers the others with it, and the domain refuses a second miss.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use command::{CaseService, CommandRequest, RequestMeta, ServiceError};
use domain::{CaseId, Command, DeadlineKey, RecordDeadlineMissed};
use sqlx::Row;
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
    pub async fn run_once(&self, today: NaiveDate) -> Result<WatchOutcome, ProjectionError> {
        let rows = sqlx::query(
            "SELECT d.case_id, d.deadline_key, d.due FROM case_deadlines d JOIN case_list c ON c.case_id = d.case_id \
             WHERE d.status = 'open' AND d.obligation = 1 AND d.due_day < $1 AND c.is_open = 1 AND c.status <> 'suspended' \
             ORDER BY d.due_day, d.case_id",
        )
        .bind(day_number(today))
        .fetch_all(&self.projections.db.pool)
        .await?;
        let mut outcome = WatchOutcome::default();
        for r in rows {
            let (case_id, key, due): (String, String, String) = (
                r.try_get("case_id")?,
                r.try_get("deadline_key")?,
                r.try_get("due")?,
            );
            let (Ok(case_uuid), Ok(deadline)) = (
                case_id.parse::<Uuid>(),
                serde_json::from_value::<DeadlineKey>(serde_json::Value::String(key.clone())),
            ) else {
                tracing::error!(%case_id, %key, "unreadable row in case_deadlines");
                outcome.failed += 1;
                continue;
            };
            let request = CommandRequest {
                case_id: CaseId::from_uuid(case_uuid),
                command: Command::RecordDeadlineMissed(RecordDeadlineMissed { deadline }),
                expected_version: None,
                step_date: Some(today),
                meta: RequestMeta {
                    retryable: true,
                    command_id: command_id(&case_id, &key, &due),
                    fingerprint: Some(format!("deadline-missed/{key}/{due}")),
                    actor: ACTOR.to_owned(),
                    correlation_id: Uuid::new_v4(),
                    causation_id: None,
                },
            };
            match self.service.execute(request).await {
                Ok(done) if done.replayed => outcome.already_done += 1,
                Ok(_) => {
                    tracing::info!(%case_id, deadline = %key, %due, "deadline missed recorded");
                    outcome.recorded += 1;
                }
                Err(ServiceError::Domain(e))
                    if matches!(e.code(), "deadline-not-missed" | "illegal-transition") =>
                {
                    outcome.already_done += 1;
                }
                Err(e) => {
                    tracing::warn!(%case_id, deadline = %key, error = %e, "could not record a missed deadline; will retry");
                    outcome.failed += 1;
                }
            }
        }
        Ok(outcome)
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
