//! The bus consumer: each event is planned into delivery-log rows in one transaction with the consumer's
//! checkpoint, then sent at once. A redelivered event is skipped by its checkpoint, and even if it were
//! planned again, the delivery ids (derived from event, recipient and channel) make the plan a no-op.

use std::sync::Arc;

use async_trait::async_trait;
use feed::{Delivery, EventHandler, HandlerError};
use store::Checkpoint;

use crate::case;
use crate::engine::Inner;
use crate::{NotifierError, Result};

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
        for d in planned.iter().filter(|d| !d.held) {
            // A failed send is the retry loop's business; it must not hold up the bus.
            if let Err(e) = inner.attempt(&d.id, Some(&loaded)).await {
                tracing::warn!(delivery = %d.id, error = %e, "first attempt failed; the retry loop takes over");
            }
        }
        Ok(())
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
}
