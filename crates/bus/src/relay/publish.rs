//! Where the relay continues: the stream's last message names the store checkpoint it came from, so the
//! relay keeps no state of its own. Publishing after that point is [`super::window`]'s job.

use async_nats::jetstream;
use store::{Checkpoint, EventStore};

use crate::BusError;
use crate::cloudevents;

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
