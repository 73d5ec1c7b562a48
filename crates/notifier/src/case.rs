//! Reads a case from the event store as it stood right after one of its events: the notifier's only view
//! of personal data, because bus deliveries (JetStream) never carry the personal part.

use domain::{CaseState, Event};
use store::{EventStore, RecordedEvent, StreamId};
use uuid::Uuid;

use crate::{NotifierError, Result};

/// One event of a case, decoded, and the case folded up to and including it.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case_id: Uuid,
    pub recorded: RecordedEvent,
    pub event: Event,
    pub state: CaseState,
}

/// The case id of a `case-<uuid>` stream; `None` for other streams (such as `notifications-…`).
pub fn case_id_of(stream: &StreamId) -> Option<Uuid> {
    stream
        .as_str()
        .strip_prefix("case-")
        .and_then(|id| Uuid::parse_str(id).ok())
}

fn decode(e: &RecordedEvent) -> Result<Event> {
    Event::from_stored(
        &e.event_type,
        e.schema_version,
        &e.payload,
        e.personal.as_ref(),
    )
    .map_err(|err| NotifierError::Decode(format!("{} ({}): {err}", e.event_id, e.event_type)))
}

/// Loads `case_id` up to `event_id`. The state is folded only that far, so a message about an old event
/// (a retry, a preview) shows the case as it was then, not as it is now.
pub async fn load(store: &dyn EventStore, case_id: Uuid, event_id: Uuid) -> Result<LoadedCase> {
    let events = store.read_stream(&StreamId::for_case(case_id)).await?;
    let mut state = CaseState::default();
    for recorded in events {
        let event = decode(&recorded)?;
        state.apply(&event);
        if recorded.event_id == event_id {
            return Ok(LoadedCase {
                case_id,
                recorded,
                event,
                state,
            });
        }
    }
    Err(NotifierError::NotFound(format!(
        "event {event_id} in case {case_id}"
    )))
}

/// Finds the case of an event by scanning the global order (for `preview` of an event never planned).
pub async fn find_case_of(store: &dyn EventStore, event_id: Uuid) -> Result<Option<Uuid>> {
    let mut from = store::Checkpoint::START;
    loop {
        let page = store.read_all(&from, 1000).await?;
        if page.events.is_empty() {
            return Ok(None);
        }
        if let Some(e) = page.events.iter().find(|e| e.event_id == event_id) {
            return Ok(case_id_of(&e.stream_id));
        }
        from = page.next;
    }
}
