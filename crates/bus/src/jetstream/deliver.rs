//! What happens to one JetStream message: decode, skip if already applied, hand to the handler, then ack,
//! nak with backoff, or dead-letter. Shared by `run_once` (batches) and `run` (a continuous pull).

use std::sync::Arc;

use async_nats::jetstream::{self, AckKind};
use store::Checkpoint;

use super::ConsumerConfig;
use crate::cloudevents;
use feed::{Delivery, EventHandler, HandlerError, RunOutcome};

use crate::{BusError, StreamSettings};

/// Header names added to a dead letter (beside the original ones).
pub mod dlq_header {
    pub const REASON: &str = "petition-dlq-reason";
    pub const ATTEMPTS: &str = "petition-dlq-attempts";
    pub const CONSUMER: &str = "petition-dlq-consumer";
    pub const SUBJECT: &str = "petition-dlq-original-subject";
    pub const STREAM_SEQUENCE: &str = "petition-dlq-stream-sequence";
}

/// The fate of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Handled,
    Skipped,
    /// Nak'd with a delay; nothing after it is delivered before it (one message in flight per consumer).
    Retried,
    DeadLettered,
}

impl Step {
    pub(crate) fn count(self, outcome: &mut RunOutcome) {
        match self {
            Step::Handled => outcome.handled += 1,
            Step::Skipped => outcome.skipped += 1,
            Step::Retried => outcome.retried += 1,
            Step::DeadLettered => outcome.dead_lettered += 1,
        }
    }
}

/// Everything `deliver` needs besides the message.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) js: &'a jetstream::Context,
    pub(crate) settings: &'a StreamSettings,
    pub(crate) config: &'a ConsumerConfig,
    pub(crate) handler: &'a Arc<dyn EventHandler>,
}

fn broker(what: &str, e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(format!("{what}: {e}"))
}

/// Processes one message. `applied` is the handler's checkpoint as last read or advanced here.
pub(crate) async fn deliver(
    ctx: &Ctx<'_>,
    msg: &jetstream::Message,
    applied: &mut Option<Checkpoint>,
) -> Result<Step, BusError> {
    let info = msg.info().map_err(|e| broker("message info", e))?;
    let attempt = u32::try_from(info.delivered).unwrap_or(u32::MAX).max(1);
    let stream_sequence = info.stream_sequence;
    let empty = async_nats::HeaderMap::new();
    let headers = msg.headers.as_ref().unwrap_or(&empty);
    let event = match cloudevents::decode(headers, &msg.payload) {
        Ok(event) => event,
        Err(e) => {
            dead_letter(ctx, msg, attempt, stream_sequence, &e.to_string()).await?;
            return Ok(Step::DeadLettered);
        }
    };
    let checkpoint = event.checkpoint();
    if applied.is_some_and(|done| checkpoint <= done) {
        // Redelivery of something the handler already committed (it crashed before the ack).
        msg.ack().await.map_err(|e| broker("ack", e))?;
        return Ok(Step::Skipped);
    }
    let max = ctx.config.max_deliver.max(1);
    if attempt > max {
        // The handler never answered for this message (the process died each time): stop the loop here.
        let reason = format!("not acknowledged after {max} deliveries");
        dead_letter(ctx, msg, attempt, stream_sequence, &reason).await?;
        return Ok(Step::DeadLettered);
    }
    let delivery = Delivery { event, attempt };
    match ctx.handler.handle(&delivery).await {
        Ok(()) => {
            msg.ack().await.map_err(|e| broker("ack", e))?;
            *applied = Some(checkpoint);
            Ok(Step::Handled)
        }
        Err(HandlerError::Transient(reason)) if attempt < max => {
            let delay = ctx.config.backoff_for(attempt);
            tracing::warn!(consumer = ctx.handler.name(), %reason, %checkpoint, attempt, ?delay, "transient failure; redelivering later");
            msg.ack_with(AckKind::Nak(Some(delay)))
                .await
                .map_err(|e| broker("nak", e))?;
            Ok(Step::Retried)
        }
        Err(e) => {
            tracing::error!(consumer = ctx.handler.name(), error = %e, %checkpoint, attempt, "giving up on an event; dead-lettering it");
            dead_letter(ctx, msg, attempt, stream_sequence, &e.to_string()).await?;
            Ok(Step::DeadLettered)
        }
    }
}

/// Copies the message to `<dlq_prefix>.<consumer>` (waiting for JetStream to store it), then terminates
/// it so the consumer moves on. If the copy fails the message is left unacknowledged and comes back.
async fn dead_letter(
    ctx: &Ctx<'_>,
    msg: &jetstream::Message,
    attempt: u32,
    stream_sequence: u64,
    reason: &str,
) -> Result<(), BusError> {
    let name = ctx.handler.name();
    // Copy the event's headers but not the relay's publish expectations (`Nats-Msg-Id`,
    // `Nats-Expected-Last-Sequence`), which would make JetStream refuse or de-duplicate the copy.
    let mut headers = async_nats::HeaderMap::new();
    for (name, values) in msg.headers.iter().flat_map(|h| h.iter()) {
        let name = name.to_string();
        if name.to_ascii_lowercase().starts_with("nats-") {
            continue;
        }
        for value in values {
            headers.append(name.as_str(), value.as_str());
        }
    }
    headers.insert(dlq_header::REASON, reason);
    headers.insert(dlq_header::ATTEMPTS, attempt.to_string());
    headers.insert(dlq_header::CONSUMER, name);
    headers.insert(dlq_header::SUBJECT, msg.subject.as_str());
    headers.insert(dlq_header::STREAM_SEQUENCE, stream_sequence.to_string());
    let subject = crate::subject::dead_letter_subject(&ctx.settings.dlq_prefix, name);
    ctx.js
        .publish_with_headers(subject, headers, msg.payload.clone())
        .await
        .map_err(|e| broker("dead-letter publish", e))?
        .await
        .map_err(|e| broker("dead-letter ack", e))?;
    msg.ack_with(AckKind::Term)
        .await
        .map_err(|e| broker("term", e))?;
    metrics::counter!(crate::metrics::CONSUMER_DEAD_LETTERED, "consumer" => name.to_owned())
        .increment(1);
    Ok(())
}
