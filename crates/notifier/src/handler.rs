//! The bus consumer: each event is planned into delivery-log rows in one transaction with the consumer's
//! checkpoint, then sent at once. A redelivered event is skipped by its checkpoint, and even if it were
//! planned again, the delivery ids (derived from event, recipient and channel) make the plan a no-op.
//!
//! A page of events (the store tail's) is planned at once: one checkpoint read, each case's stream read once
//! for all its events in the page, every delivery of the page recorded in one transaction with the page's
//! last checkpoint; then the first attempts, cases side by side and each case's deliveries in order. Sending is
//! unchanged: each attempt is claimed, sent, audited and marked on its own, so a mail is recorded as sent
//! only after the server accepted it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use feed::{BatchError, Delivery, EventHandler, HandlerError};
use futures::StreamExt;
use store::Checkpoint;

use crate::case::{self, LoadedCase};
use crate::engine::Inner;
use crate::log::NewDelivery;
use crate::{NotifierError, Result};

/// How many cases of a page are read, and have their first attempts made, at once. The attempts' claims and
/// marks queue for the notifier's pool (8 connections on PostgreSQL, 1 on SQLite); their audit appends are
/// merged by the store's group commit, so more in flight means larger groups, not more transactions.
pub const FIRST_ATTEMPT_CONCURRENCY: usize = 32;

/// The durable consumer name of the notifier.
pub const CONSUMER: &str = "notifier";

/// Implements [`EventHandler`] for the notifier; obtained from [`crate::Notifier::handler`].
#[derive(Debug, Clone)]
pub struct NotifierHandler {
    pub(crate) inner: Arc<Inner>,
}

fn to_handler_error(e: NotifierError) -> HandlerError {
    match e {
        NotifierError::Decode(_) | NotifierError::Config(_) | NotifierError::Template { .. } => {
            HandlerError::Permanent(e.to_string())
        }
        _ => HandlerError::Transient(e.to_string()),
    }
}

/// Groups `items` by case, cases in the order they first appear and each case's items in their order.
fn by_case<T>(items: impl Iterator<Item = (uuid::Uuid, T)>) -> Vec<(uuid::Uuid, Vec<T>)> {
    let mut groups: Vec<(uuid::Uuid, Vec<T>)> = Vec::new();
    let mut slot: HashMap<uuid::Uuid, usize> = HashMap::new();
    for (case_id, item) in items {
        let i = *slot.entry(case_id).or_insert_with(|| {
            groups.push((case_id, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(item);
    }
    groups
}

impl NotifierHandler {
    async fn apply(&self, delivery: &Delivery) -> Result<()> {
        let inner = &self.inner;
        let at = delivery.checkpoint();
        if inner
            .db
            .checkpoint(CONSUMER)
            .await?
            .is_some_and(|done| at <= done)
        {
            return Ok(());
        }
        let event = &delivery.event;
        let Some(case_id) = case::case_id_of(&event.stream_id) else {
            // Not a case (e.g. our own notification events): nothing to tell, just move on.
            return inner.db.plan(CONSUMER, at, &[]).await;
        };
        // Always from the store: a JetStream delivery carries no personal data.
        let loaded = case::load(inner.store.as_ref(), case_id, event.event_id).await?;
        let planned = inner.plan(&loaded);
        inner.db.plan(CONSUMER, at, &planned).await?;
        self.first_attempts(&loaded, &planned).await;
        Ok(())
    }

    /// Plans a page in one transaction, then makes each delivery's first attempt.
    async fn apply_page(&self, deliveries: &[Delivery]) -> Result<()> {
        let inner = &self.inner;
        let done = inner.db.checkpoint(CONSUMER).await?;
        let fresh: Vec<&Delivery> = deliveries
            .iter()
            .filter(|d| done.is_none_or(|done| d.checkpoint() > done))
            .collect();
        let Some(last) = fresh.last().map(|d| d.checkpoint()) else {
            return Ok(());
        };
        // Each case read once, for all of its events in the page (in stream order, which is page order).
        // Events of other streams (e.g. our own notification events) have nothing to tell.
        let per_case = by_case(fresh.iter().filter_map(|d| {
            case::case_id_of(&d.event.stream_id).map(|case_id| (case_id, d.event.event_id))
        }));
        // The cases are read side by side: one after another, a page of new cases waited on hundreds of
        // stream reads in a row.
        let mut reads = futures::stream::iter(per_case)
            .map(|(case_id, events)| {
                let store = Arc::clone(&inner.store);
                async move { case::load_events(store.as_ref(), case_id, &events).await }
            })
            .buffer_unordered(FIRST_ATTEMPT_CONCURRENCY);
        let mut loaded: HashMap<uuid::Uuid, LoadedCase> = HashMap::new();
        while let Some(read) = reads.next().await {
            for l in read? {
                loaded.insert(l.recorded.event_id, l);
            }
        }
        drop(reads);
        let plans: Vec<(&LoadedCase, Vec<NewDelivery>)> = fresh
            .iter()
            .filter_map(|d| loaded.get(&d.event.event_id))
            .map(|l| (l, inner.plan(l)))
            .collect();
        let all: Vec<NewDelivery> = plans.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
        inner.db.plan(CONSUMER, last, &all).await?;
        // First attempts of different cases run side by side (up to [`FIRST_ATTEMPT_CONCURRENCY`] cases at
        // once: each attempt waits on its send and on the audit event it appends, which joins the commands'
        // group commit, and eight at a time kept the notifier seconds behind a burst); one case's deliveries
        // keep their order.
        let per_case = by_case(
            plans
                .iter()
                .map(|(l, planned)| (l.case_id, (*l, planned.as_slice()))),
        );
        futures::stream::iter(per_case)
            .for_each_concurrent(FIRST_ATTEMPT_CONCURRENCY, |(_, list)| async move {
                for (l, planned) in list {
                    self.first_attempts(l, planned).await;
                }
            })
            .await;
        Ok(())
    }

    /// The first attempt of each planned delivery that is not held for a digest.
    async fn first_attempts(&self, loaded: &LoadedCase, planned: &[NewDelivery]) {
        for d in planned.iter().filter(|d| !d.held) {
            // A failed send is the retry loop's business; it must not hold up the bus.
            if let Err(e) = self.inner.attempt(&d.id, Some(loaded)).await {
                tracing::warn!(delivery = %d.id, error = %e, "first attempt failed; the retry loop takes over");
            }
        }
    }
}

#[async_trait]
impl EventHandler for NotifierHandler {
    fn name(&self) -> &str {
        CONSUMER
    }

    async fn checkpoint(&self) -> std::result::Result<Option<Checkpoint>, HandlerError> {
        self.inner
            .db
            .checkpoint(CONSUMER)
            .await
            .map_err(to_handler_error)
    }

    #[tracing::instrument(skip_all, fields(event_id = %delivery.event.event_id, event_type = %delivery.event.event_type, attempt = delivery.attempt))]
    async fn handle(&self, delivery: &Delivery) -> std::result::Result<(), HandlerError> {
        self.apply(delivery).await.map_err(to_handler_error)
    }

    /// The page planned at once. If that fails permanently (an event that does not decode), the page is
    /// handled again one event at a time, so the events before the bad one are planned and the error names
    /// it; a transient failure plans nothing and the page comes again.
    #[tracing::instrument(skip_all, fields(events = deliveries.len()))]
    async fn handle_batch(&self, deliveries: &[Delivery]) -> std::result::Result<(), BatchError> {
        let error = match self.apply_page(deliveries).await {
            Ok(()) => return Ok(()),
            Err(e) => to_handler_error(e),
        };
        if deliveries.len() == 1 || matches!(error, HandlerError::Transient(_)) {
            return Err(BatchError { applied: 0, error });
        }
        for (applied, delivery) in deliveries.iter().enumerate() {
            self.apply(delivery).await.map_err(|e| BatchError {
                applied,
                error: to_handler_error(e),
            })?;
        }
        Ok(())
    }
}
