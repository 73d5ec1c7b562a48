//! Small builders shared by the cases: fresh streams, events and command metadata, and a patient reader.

use std::time::Duration;

use serde_json::{Value, json};
use store::{Checkpoint, CommandMeta, EventStore, NewEvent, RecordedEvent, StreamId};
use uuid::Uuid;

pub fn new_stream() -> StreamId {
    StreamId::for_case(Uuid::new_v4())
}

pub fn event(event_type: &str, payload: Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        payload,
        personal: None,
    }
}

pub fn events(n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| event("petition.noted", json!({ "note": i })))
        .collect()
}

pub fn meta() -> CommandMeta {
    CommandMeta {
        command_id: Uuid::new_v4(),
        fingerprint: Some(format!("sha256:{}", Uuid::new_v4().simple())),
        actor: "officer:7".to_owned(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        rulebook_version: None,
    }
}

/// Follows `read_all` from `after` in pages of `page` until `count` events arrived. On PostgreSQL an event only
/// becomes readable once every older transaction in the cluster has ended, hence the polling.
pub async fn read_at_least(
    store: &dyn EventStore,
    after: Checkpoint,
    page: usize,
    count: usize,
) -> Vec<RecordedEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut at = after;
    let mut seen = Vec::new();
    while seen.len() < count {
        let next = store.read_all(&at, page).await.expect("read_all");
        if next.events.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "read_all delivered {} of {count} events in 30 s; on PostgreSQL a long-running transaction \
                 elsewhere in the cluster holds the horizon back (see pg_stat_activity)",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        at = next.next;
        seen.extend(next.events);
    }
    seen
}
