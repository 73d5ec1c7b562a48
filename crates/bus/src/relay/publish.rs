//! The relay's two primitives: find where the stream stopped, and publish a page of events after it with
//! a bounded window of acknowledgements in flight.
//!
//! Every publish carries `Nats-Msg-Id` = event id and `Nats-Expected-Last-Sequence` = the stream sequence
//! the previous event got (or will get). The server checks the first before the second: a retried event
//! still inside the duplicate window is acknowledged as a duplicate of its first copy, and any event whose
//! predecessor is not the stream's last message is refused. Either way the relay stops, re-reads the stream
//! head and continues from there, so the stream sequence stays the store's global order, once.

use std::collections::VecDeque;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use store::{Checkpoint, EventStore, RecordedEvent};

use crate::BusError;
use crate::cloudevents::{self, Outgoing};

/// Where the relay continues: after this store checkpoint, with this stream sequence as the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) after: Checkpoint,
    pub(crate) last_sequence: u64,
}

/// Reads the stream's last message and the checkpoint it carries (START for an empty stream).
pub(crate) async fn resync(
    js: &jetstream::Context,
    store: &dyn EventStore,
    stream: &str,
) -> Result<Cursor, BusError> {
    let handle = js
        .get_stream_no_info(stream)
        .await
        .map_err(|e| BusError::Unavailable(format!("stream {stream}: {e}")))?;
    let info = handle
        .get_info()
        .await
        .map_err(|e| BusError::Unavailable(format!("stream {stream} info: {e}")))?;
    let last_sequence = info.state.last_sequence;
    if info.state.messages == 0 {
        // An empty stream (never written, or JetStream lost it): republish from the start of the store.
        return Ok(Cursor {
            after: Checkpoint::START,
            last_sequence,
        });
    }
    let last = handle.direct_get(last_sequence).await.map_err(|e| {
        BusError::Unavailable(format!("stream {stream} message {last_sequence}: {e}"))
    })?;
    let after = cloudevents::checkpoint(&last.headers).map_err(|e| {
        BusError::Config(format!(
            "the last message of {stream} (sequence {last_sequence}) was not written by the relay: {e}"
        ))
    })?;
    verify_known(store, stream, last_sequence, &last.headers).await?;
    Ok(Cursor {
        after,
        last_sequence,
    })
}

/// The stream's last message must be an event this store recorded: resuming after a foreign checkpoint (two
/// stores pointed at one stream, or a store restored from an older backup) would silently skip or mix events.
async fn verify_known(
    store: &dyn EventStore,
    stream: &str,
    sequence: u64,
    headers: &async_nats::HeaderMap,
) -> Result<(), BusError> {
    let id = cloudevents::get(headers, cloudevents::header::ID).unwrap_or_default();
    let stream_id = cloudevents::get(headers, cloudevents::header::STREAM_ID).unwrap_or_default();
    let version: Option<u64> =
        cloudevents::get(headers, cloudevents::header::CASE_VERSION).and_then(|v| v.parse().ok());
    let refuse = || {
        BusError::Config(format!(
            "stream {stream} ends (sequence {sequence}) with event {id} of `{stream_id}`, which this event store never \
             recorded: the stream belongs to another store; use another stream name or an empty stream"
        ))
    };
    let Ok(parsed) = store::StreamId::parse(stream_id) else {
        return Err(refuse());
    };
    let events = store.read_stream(&parsed).await?;
    let known = events
        .iter()
        .any(|e| Some(e.version) == version && e.event_id.to_string() == id);
    if known { Ok(()) } else { Err(refuse()) }
}

/// How a page ended.
#[derive(Debug)]
pub(crate) struct PageResult {
    pub(crate) cursor: Cursor,
    pub(crate) published: usize,
    /// Set when publishing stopped early; the cursor is then only as far as the acknowledged prefix and
    /// the caller must re-sync before publishing again.
    pub(crate) error: Option<BusError>,
}

/// Publishes `events` (already encoded, in order) after `cursor`, keeping at most `window` unacknowledged.
pub(crate) async fn publish_page(
    js: &jetstream::Context,
    mut cursor: Cursor,
    events: Vec<(RecordedEvent, Outgoing)>,
    window: usize,
) -> PageResult {
    let mut in_flight = VecDeque::with_capacity(window);
    let mut published = 0;
    let mut next_expected = cursor.last_sequence;
    let fail = |cursor, published, error| PageResult {
        cursor,
        published,
        error: Some(error),
    };
    for (event, out) in events {
        let message = PublishMessage::build()
            .payload(out.body.into())
            .headers(out.headers)
            .message_id(event.event_id.to_string())
            .expected_last_sequence(next_expected);
        let ack = match js.send_publish(out.subject, message).await {
            Ok(ack) => ack,
            Err(e) => return fail(cursor, published, publish_error("sending", e.kind(), &e)),
        };
        next_expected += 1;
        in_flight.push_back((ack, event.checkpoint(), next_expected));
        if in_flight.len() >= window.max(1) {
            if let Err(e) = settle(&mut in_flight, &mut cursor).await {
                return fail(cursor, published, e);
            }
            published += 1;
        }
    }
    while !in_flight.is_empty() {
        if let Err(e) = settle(&mut in_flight, &mut cursor).await {
            return fail(cursor, published, e);
        }
        published += 1;
    }
    PageResult {
        cursor,
        published,
        error: None,
    }
}

type InFlight = VecDeque<(jetstream::context::PublishAckFuture, Checkpoint, u64)>;

/// Awaits the oldest acknowledgement and advances the cursor past its event.
async fn settle(in_flight: &mut InFlight, cursor: &mut Cursor) -> Result<(), BusError> {
    let Some((ack, checkpoint, expected)) = in_flight.pop_front() else {
        return Ok(());
    };
    let ack = ack
        .await
        .map_err(|e| publish_error("acknowledging", e.kind(), &e))?;
    if ack.sequence != expected {
        // A duplicate of an event already stored elsewhere in the stream: another relay got there first.
        metrics::counter!(crate::metrics::RELAY_PUBLISH_ERRORS).increment(1);
        return Err(BusError::Unavailable(format!(
            "event at {checkpoint} is already stream message {} (expected {expected}); re-syncing",
            ack.sequence
        )));
    }
    if !ack.duplicate {
        metrics::counter!(crate::metrics::RELAY_PUBLISHED).increment(1);
    }
    *cursor = Cursor {
        after: checkpoint,
        last_sequence: ack.sequence,
    };
    Ok(())
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
