//! Sending with a delivery log: claim, send, record, mark. Retries with exponential backoff, dead after
//! `max_attempts`, and revival of dead deliveries on demand.
//!
//! Order of effects for one attempt, and what a crash between them does:
//! 1. claim (status `sending`, attempts + 1, lease) — a crash here: the lease expires, the next run sends;
//! 2. send — a crash after the receiver accepted the message but before step 4: the lease expires and the
//!    message is sent again, with the same Message-ID / delivery id (at most one duplicate per crash);
//! 3. append `notification.sent|logged|failed` to the store (idempotent by id) — a crash after this step
//!    but before step 4: the lease expires, the message is sent again and a second `notification.sent`
//!    (for the next attempt) is appended, so the trail shows both copies;
//! 4. mark `sent`, `logged`, or `failed` with the next attempt time, or `dead`.
//!
//! `sent` means a server took the message (SMTP 2xx to the end of DATA, HTTP 2xx). With no SMTP server
//! configured an e-mail is only written to the log: that is `logged` / `notification.logged`, never `sent`.

use std::sync::atomic::Ordering;

use uuid::Uuid;

use crate::audit::{self, Outcome};
use crate::case::{self, LoadedCase};
use crate::channel::{Handoff, SendError};
use crate::engine::{Inner, parse_lang};
use crate::log::{DeliveryRow, NewDelivery, Status, now_ms};
use crate::{NotifierError, Result};

/// How many deliveries the retry loop sends at once.
pub const CONCURRENCY: usize = 8;

/// What one attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Only written to the log: no transport is configured.
    Logged,
    Failed,
    Dead,
    /// Another process holds it, or it is already done.
    NotClaimed,
}

/// What one pass of the retry loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryOutcome {
    pub sent: usize,
    /// Written to the log only (no transport configured): nothing was transmitted.
    pub logged: usize,
    pub failed: usize,
    pub dead: usize,
}

pub fn as_planned(row: &DeliveryRow) -> NewDelivery {
    NewDelivery {
        id: row.id.clone(),
        event_id: row.event_id.clone(),
        case_id: row.case_id.clone(),
        event_type: row.event_type.clone(),
        recipient: row.recipient.clone(),
        channel: row.channel.clone(),
        template_id: row.template_id.clone(),
        lang: row.lang.clone(),
        held: false,
        // Not stored in the row's read form; composing does not use it.
        source: store::Checkpoint::START,
    }
}

fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| NotifierError::Decode(format!("`{s}` in the delivery log: {e}")))
}

impl Inner {
    /// One attempt at one delivery, if it can be claimed now. `loaded` is the case when the caller has it
    /// already (the handler), saving a read of the stream.
    pub async fn attempt(&self, id: &str, loaded: Option<&LoadedCase>) -> Result<Attempt> {
        let lease = i64::try_from(self.settings.lease_ms).unwrap_or(i64::MAX / 4);
        let Some(row) = self.db.claim(id, now_ms(), lease, false).await? else {
            return Ok(Attempt::NotClaimed);
        };
        let fresh;
        let loaded = match loaded {
            Some(loaded) if loaded.recorded.event_id.to_string() == row.event_id => loaded,
            _ => match case::load(
                self.store.as_ref(),
                uuid(&row.case_id)?,
                uuid(&row.event_id)?,
            )
            .await
            {
                Ok(l) => {
                    fresh = l;
                    &fresh
                }
                // The event cannot be read back: retrying cannot help, and there is no source event to audit.
                Err(e @ (NotifierError::Decode(_) | NotifierError::NotFound(_))) => {
                    self.db
                        .mark_failed(&row.id, &e.to_string(), now_ms(), Status::Dead)
                        .await?;
                    return Ok(Attempt::Dead);
                }
                Err(e) => return Err(e),
            },
        };
        let sent = match self.compose(loaded, &as_planned(&row), parse_lang(&row.lang)) {
            Ok(composed) => self.send(&composed).await,
            Err(e) => Err(e),
        };
        self.settle(&loaded.recorded, &row, &row.template_id, sent, false)
            .await
    }

    /// Records the result of an attempt of `row` (whose `attempts` already counts it).
    pub async fn settle(
        &self,
        source: &store::RecordedEvent,
        row: &DeliveryRow,
        template_id: &str,
        sent: Result<Handoff, SendError>,
        digest: bool,
    ) -> Result<Attempt> {
        match sent {
            Ok(handoff) => {
                if self.crash_after_send.load(Ordering::SeqCst) {
                    // The test hook: nothing after the send happens, exactly as if the process died here.
                    return Err(NotifierError::Config(
                        "simulated crash after send".to_owned(),
                    ));
                }
                let (outcome, attempt) = match handoff {
                    Handoff::Accepted => (Outcome::Sent, Attempt::Sent),
                    Handoff::LoggedOnly => (Outcome::Logged, Attempt::Logged),
                };
                audit::record(self.store.as_ref(), source, row, template_id, outcome).await?;
                if self.crash_after_audit.load(Ordering::SeqCst) {
                    // The test hook: the outcome is in the store, the delivery log is not updated.
                    return Err(NotifierError::Config(
                        "simulated crash after the audit event".to_owned(),
                    ));
                }
                match handoff {
                    Handoff::Accepted => {
                        self.db.mark_sent(&row.id).await?;
                        tracing::info!(delivery = %row.id, channel = %row.channel, template = template_id, attempt = row.attempts, "notification sent");
                    }
                    Handoff::LoggedOnly => {
                        self.db.mark_logged(&row.id).await?;
                        tracing::info!(delivery = %row.id, channel = %row.channel, template = template_id, "notification logged only: no transport configured, nothing was sent");
                    }
                }
                Ok(attempt)
            }
            Err(e) => {
                let dead = e.permanent || row.attempts >= self.settings.max_attempts;
                let backoff = i64::try_from(self.settings.backoff(row.attempts).as_millis())
                    .unwrap_or(i64::MAX / 4);
                let status = match (dead, digest) {
                    (true, _) => Status::Dead,
                    (false, true) => Status::Held,
                    (false, false) => Status::Failed,
                };
                // The error text may contain an address: it goes to the log table and tracing, not to events.
                tracing::warn!(delivery = %row.id, channel = %row.channel, attempt = row.attempts, dead, error = %e, "notification failed");
                audit::record(
                    self.store.as_ref(),
                    source,
                    row,
                    template_id,
                    Outcome::Failed { kind: e.kind, dead },
                )
                .await?;
                self.db
                    .mark_failed(&row.id, &e.to_string(), now_ms() + backoff, status)
                    .await?;
                Ok(if dead { Attempt::Dead } else { Attempt::Failed })
            }
        }
    }

    /// Tries every due delivery once: failed ones whose backoff elapsed, pending ones, and claims whose
    /// process died (lease expired). Up to [`CONCURRENCY`] sends run at once, so a backlog after an outage
    /// drains over several pooled SMTP connections instead of one.
    pub async fn run_retries_once(&self) -> Result<RetryOutcome> {
        use futures::StreamExt;
        let due = self.db.due(now_ms(), 200).await?;
        let results: Vec<(String, Result<Attempt>)> = futures::stream::iter(due)
            .map(|row| async move {
                let result = self.attempt(&row.id, None).await;
                (row.id, result)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut outcome = RetryOutcome::default();
        for (id, result) in results {
            match result {
                Ok(Attempt::Sent) => outcome.sent += 1,
                Ok(Attempt::Logged) => outcome.logged += 1,
                Ok(Attempt::Failed) => outcome.failed += 1,
                Ok(Attempt::Dead) => outcome.dead += 1,
                Ok(Attempt::NotClaimed) => {}
                // The store or the log failed mid-attempt: the claim's lease brings it back later.
                Err(e) => {
                    tracing::warn!(delivery = %id, error = %e, "retry attempt failed");
                    outcome.failed += 1;
                }
            }
        }
        Ok(outcome)
    }
}
