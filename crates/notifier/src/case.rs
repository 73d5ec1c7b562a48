//! Reads a case from the event store as it stood right after one of its events: the notifier's only view
//! of personal data, because bus deliveries (JetStream) never carry the personal part. Loading goes through
//! `feed::case`, like every other reader of a case.

use domain::{CaseId, CaseState, Event};
use feed::case::{self, CaseError, Horizon, Personal};
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
    case::case_of(stream).map(Uuid::from)
}

impl From<CaseError> for NotifierError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Store(e) => e.into(),
            CaseError::Decode {
                event_id,
                event_type,
                reason,
                ..
            } => NotifierError::Decode(format!("{event_id} ({event_type}): {reason}")),
        }
    }
}

/// Loads `case_id` up to `event_id`. The state is folded only that far, so a message about an old event
/// (a retry, a preview) shows the case as it was then, not as it is now.
pub async fn load(store: &dyn EventStore, case_id: Uuid, event_id: Uuid) -> Result<LoadedCase> {
    let loaded = case::load(
        store,
        CaseId::from_uuid(case_id),
        Horizon::Event(event_id),
        Personal::Include,
    )
    .await?;
    let not_found = || NotifierError::NotFound(format!("event {event_id} in case {case_id}"));
    let mut loaded = loaded.ok_or_else(not_found)?;
    let (Some(recorded), Some(event)) = (loaded.recorded.pop(), loaded.events.pop()) else {
        return Err(not_found());
    };
    Ok(LoadedCase {
        case_id,
        recorded,
        event,
        state: loaded.state,
    })
}

/// Loads `case_id` once for several of its events (a page of the global order): each comes with the case
/// folded up to and including it, exactly as [`load`] would give it. The stream is decoded only as far as
/// the last of them.
pub async fn load_events(
    store: &dyn EventStore,
    case_id: Uuid,
    event_ids: &[Uuid],
) -> Result<Vec<LoadedCase>> {
    let stream = case::stream_of(CaseId::from_uuid(case_id));
    let recorded = case::read(store, &stream, Horizon::Now).await?;
    let mut out = Vec::with_capacity(event_ids.len());
    let mut state = CaseState::default();
    for r in &recorded {
        if out.len() == event_ids.len() {
            break;
        }
        let event = case::decode(r, Personal::Include)?;
        state.apply(&event);
        if event_ids.contains(&r.event_id) {
            out.push(LoadedCase {
                case_id,
                recorded: r.clone(),
                event,
                state: state.clone(),
            });
        }
    }
    if let Some(missing) = event_ids
        .iter()
        .find(|id| !out.iter().any(|l| l.recorded.event_id == **id))
    {
        return Err(NotifierError::NotFound(format!(
            "event {missing} in case {case_id}"
        )));
    }
    Ok(out)
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
