//! The one way to load a case: read its stream from the store (now, up to a version or an event, or as of
//! an instant), decode each stored event (upcasting older schema versions, with or without the personal
//! part) and fold it into a [`CaseState`] or any other [`Fold`]. The command service, the case views, the
//! read models, the timeline, the as-of statistics, the notifier, the relay's routing and `petition replay`
//! all load through here, so they cannot disagree on what a case is.
//!
//! Case streams are named by the store ([`store::StreamId::for_case`], [`store::StreamId::case_id`]);
//! [`stream_of`] and [`case_of`] give them the domain's [`CaseId`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{CaseId, CaseState, Event};
use store::{Checkpoint, EventStore, RecordedEvent, StoreError, StreamId};
use uuid::Uuid;

/// How much of a case to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Horizon {
    /// Every event recorded so far.
    #[default]
    Now,
    /// The events up to and including this stream version (`0` reads nothing).
    Version(u64),
    /// The events up to and including the one with this id; nothing when the case has no such event.
    Event(Uuid),
    /// The events recorded at or before this instant (the store's `read_stream_as_of`).
    AsOf(DateTime<Utc>),
}

/// Whether to decode the personal part (petitioners' names and addresses). Only the command side and the
/// notifier open it; read models and audit views never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Include,
    Omit,
}

/// Why a case could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event could not be decoded: corruption, or an event newer than this build.
    #[error(
        "stored event {event_id} ({event_type} v{schema_version}, case version {version}) cannot be decoded: {reason}"
    )]
    Decode {
        event_id: Uuid,
        event_type: String,
        schema_version: u16,
        version: u64,
        reason: String,
    },
}

/// Something folded from a case's events, in stream order, from [`Default`].
pub trait Fold: Default {
    /// Applies the next decoded event; `recorded` is its stored form (time, metadata, position).
    fn apply(&mut self, recorded: &RecordedEvent, event: &Event);
}

impl Fold for CaseState {
    fn apply(&mut self, _: &RecordedEvent, event: &Event) {
        CaseState::apply(self, event);
    }
}

/// A case as loaded: its stored events, decoded, and what they fold to.
#[derive(Debug, Clone)]
pub struct Loaded<F = CaseState> {
    pub recorded: Vec<RecordedEvent>,
    pub events: Vec<Event>,
    pub state: F,
}

/// The stream that holds `case_id`.
pub fn stream_of(case_id: CaseId) -> StreamId {
    StreamId::for_case(case_id.into())
}

/// The case a stream holds; `None` for streams that are not cases.
pub fn case_of(stream: &StreamId) -> Option<CaseId> {
    stream.case_id().map(CaseId::from_uuid)
}

/// Decodes one stored event.
pub fn decode(recorded: &RecordedEvent, personal: Personal) -> Result<Event, CaseError> {
    let personal = match personal {
        Personal::Include => recorded.personal.as_ref(),
        Personal::Omit => None,
    };
    Event::from_stored(
        &recorded.event_type,
        recorded.schema_version,
        &recorded.payload,
        personal,
    )
    .map_err(|e| CaseError::Decode {
        event_id: recorded.event_id,
        event_type: recorded.event_type.clone(),
        schema_version: recorded.schema_version,
        version: recorded.version,
        reason: e.to_string(),
    })
}

/// Decodes stored events, in order.
pub fn decode_all(recorded: &[RecordedEvent], personal: Personal) -> Result<Vec<Event>, CaseError> {
    recorded.iter().map(|r| decode(r, personal)).collect()
}

/// Decodes and folds stored events (of one case, in order) into `F`.
pub fn fold<F: Fold>(
    recorded: Vec<RecordedEvent>,
    personal: Personal,
) -> Result<Loaded<F>, CaseError> {
    let events = decode_all(&recorded, personal)?;
    let mut state = F::default();
    for (r, e) in recorded.iter().zip(&events) {
        state.apply(r, e);
    }
    Ok(Loaded {
        recorded,
        events,
        state,
    })
}

/// Reads a stream's stored events up to `horizon`, without decoding them (any stream, not only cases: the
/// relay routes every event it publishes).
pub async fn read(
    store: &dyn EventStore,
    stream: &StreamId,
    horizon: Horizon,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events = match horizon {
        Horizon::AsOf(t) => return store.read_stream_as_of(stream, t).await,
        Horizon::Version(0) => return Ok(Vec::new()),
        Horizon::Now | Horizon::Version(_) | Horizon::Event(_) => store.read_stream(stream).await?,
    };
    match horizon {
        Horizon::Version(v) => events.retain(|e| e.version <= v),
        Horizon::Event(id) => match events.iter().position(|e| e.event_id == id) {
            Some(i) => events.truncate(i + 1),
            None => events.clear(),
        },
        Horizon::Now | Horizon::AsOf(_) => {}
    }
    Ok(events)
}

/// Loads a case into a [`CaseState`]; `None` when it has no event within `horizon`.
pub async fn load(
    store: &dyn EventStore,
    case_id: CaseId,
    horizon: Horizon,
    personal: Personal,
) -> Result<Option<Loaded>, CaseError> {
    load_into(store, case_id, horizon, personal).await
}

/// Loads a case into any [`Fold`]; `None` when it has no event within `horizon`.
pub async fn load_into<F: Fold>(
    store: &dyn EventStore,
    case_id: CaseId,
    horizon: Horizon,
    personal: Personal,
) -> Result<Option<Loaded<F>>, CaseError> {
    let recorded = read(store, &stream_of(case_id), horizon).await?;
    if recorded.is_empty() {
        return Ok(None);
    }
    fold(recorded, personal).map(Some)
}

/// Folds every case from the global order, counting only the events recorded at or before `as_of` (the
/// as-of statistics). The personal part is never opened.
pub async fn fold_all_as_of<F: Fold>(
    store: &dyn EventStore,
    as_of: DateTime<Utc>,
) -> Result<HashMap<CaseId, F>, CaseError> {
    let mut folds: HashMap<CaseId, F> = HashMap::new();
    let mut checkpoint = Checkpoint::START;
    loop {
        let page = store.read_all(&checkpoint, 5000).await?;
        if page.events.is_empty() {
            break;
        }
        for r in page.events.iter().filter(|r| r.recorded_at <= as_of) {
            let Some(case_id) = case_of(&r.stream_id) else {
                continue;
            };
            let event = decode(r, Personal::Omit)?;
            folds.entry(case_id).or_default().apply(r, &event);
        }
        checkpoint = page.next;
    }
    Ok(folds)
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
