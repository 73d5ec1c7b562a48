//! The relay's window of publishes in flight: events go out in order, each guarded by the stream sequence
//! its predecessor gets, and the cursor moves over an event only once its acknowledgement says it is
//! stored at exactly that sequence.
//!
//! Every publish carries `Nats-Msg-Id` = event id and `Nats-Expected-Last-Sequence` = the stream sequence
//! the previous event got (or will get). The server checks the first before the second: a retried event
//! still inside the duplicate window is acknowledged as a duplicate of its first copy, and any event whose
//! predecessor is not the stream's last message is refused. When one acknowledgement fails, every later
//! publish already in flight expected a sequence that never came and is refused too, so the stream ends at
//! the last acknowledged event; the relay stops there, re-reads the stream head and continues from it.

use std::collections::VecDeque;

use async_nats::jetstream::{
    self,
    context::{PublishAckFuture, PublishErrorKind},
    message::PublishMessage,
};
use store::Checkpoint;
use uuid::Uuid;

use super::publish::Cursor;
use crate::BusError;
use crate::cloudevents::Outgoing;

/// The most publishes a window keeps in flight, below async-nats' default of 5,000 acknowledgement permits
/// per JetStream context (a larger window would wait for permits only its own later awaits release).
pub const MAX_WINDOW: usize = 4096;

/// One event encoded and waiting for its turn in the window.
pub(crate) struct Ready {
    pub(crate) event_id: Uuid,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) out: Outgoing,
}

/// One publish whose acknowledgement is still to be awaited.
struct Pending {
    ack: PublishAckFuture,
    checkpoint: Checkpoint,
    sequence: u64,
}

/// Publishes after `cursor` with at most `limit` acknowledgements outstanding.
pub(crate) struct Window<'a> {
    js: &'a jetstream::Context,
    in_flight: VecDeque<Pending>,
    limit: usize,
    /// The last acknowledged event: all the caller may report or resume after.
    pub(crate) cursor: Cursor,
    /// The sequence the next publish will get if every earlier one is stored.
    next: u64,
    /// Acknowledgements settled so far.
    pub(crate) published: usize,
}

impl<'a> Window<'a> {
    pub(crate) fn new(js: &'a jetstream::Context, cursor: Cursor, limit: usize) -> Self {
        let limit = limit.clamp(1, MAX_WINDOW);
        Self {
            js,
            in_flight: VecDeque::with_capacity(limit),
            limit,
            cursor,
            next: cursor.last_sequence,
            published: 0,
        }
    }

    /// How many events to encode before sending them together: a quarter of the window, so three quarters
    /// stay in flight while the next burst is prepared.
    pub(crate) fn burst(&self) -> usize {
        (self.limit / 4).clamp(1, 256)
    }

    /// Sends `events` back to back, first awaiting the oldest acknowledgements until they all fit in the
    /// window. Sending in bursts lets the client write, and the server read and acknowledge, many
    /// messages per system call instead of one message per acknowledgement received.
    pub(crate) async fn send(&mut self, events: &mut Vec<Ready>) -> Result<(), BusError> {
        while !self.in_flight.is_empty() && self.in_flight.len() + events.len() > self.limit {
            self.settle().await?;
        }
        for Ready {
            event_id,
            checkpoint,
            out,
        } in events.drain(..)
        {
            let message = PublishMessage::build()
                .payload(out.body.into())
                .headers(out.headers)
                .message_id(event_id.to_string())
                .expected_last_sequence(self.next);
            let ack = self
                .js
                .send_publish(out.subject, message)
                .await
                .map_err(|e| publish_error("sending", e.kind(), &e))?;
            self.next += 1;
            self.in_flight.push_back(Pending {
                ack,
                checkpoint,
                sequence: self.next,
            });
        }
        Ok(())
    }

    /// Awaits every outstanding acknowledgement, oldest first.
    pub(crate) async fn drain(&mut self) -> Result<(), BusError> {
        while !self.in_flight.is_empty() {
            self.settle().await?;
        }
        Ok(())
    }

    /// Awaits the oldest acknowledgement and moves the cursor past its event. On error the window is
    /// spent: the caller drops it (the later acknowledgements are then awaited by async-nats' acker and
    /// ignored) and re-syncs from the stream.
    async fn settle(&mut self) -> Result<(), BusError> {
        let Some(Pending {
            ack,
            checkpoint,
            sequence,
        }) = self.in_flight.pop_front()
        else {
            return Ok(());
        };
        let ack = ack
            .await
            .map_err(|e| publish_error("acknowledging", e.kind(), &e))?;
        if ack.sequence != sequence {
            // A duplicate of an event already stored elsewhere in the stream: another relay got there first.
            metrics::counter!(crate::metrics::RELAY_PUBLISH_ERRORS).increment(1);
            return Err(BusError::Unavailable(format!(
                "event at {checkpoint} is already stream message {} (expected {sequence}); re-syncing",
                ack.sequence
            )));
        }
        if !ack.duplicate {
            metrics::counter!(crate::metrics::RELAY_PUBLISHED).increment(1);
        }
        self.cursor = Cursor {
            after: checkpoint,
            last_sequence: ack.sequence,
        };
        self.published += 1;
        Ok(())
    }
}

fn publish_error(what: &str, kind: PublishErrorKind, e: &dyn std::fmt::Display) -> BusError {
    metrics::counter!(crate::metrics::RELAY_PUBLISH_ERRORS).increment(1);
    match kind {
        PublishErrorKind::WrongLastSequence | PublishErrorKind::WrongLastMessageId => {
            BusError::Unavailable(format!("{what}: {e}; another relay published; re-syncing"))
        }
        _ => BusError::Unavailable(format!("{what}: {e}")),
    }
}
