//! StoreTail against an in-memory SQLite store, with a handler that records what it saw.

use std::sync::Mutex;

use serde_json::json;
use store::{CommandMeta, ExpectedVersion, NewEvent, StreamId, sqlite::SqliteStore};
use uuid::Uuid;

use super::*;

#[derive(Debug, Default)]
struct Recorder {
    /// (event id, attempt) per call, including failed ones.
    calls: Mutex<Vec<(Uuid, u32)>>,
    checkpoint: Mutex<Option<Checkpoint>>,
    /// Fail the n-th call (0-based) transiently.
    fail_call: Option<usize>,
}

#[async_trait]
impl EventHandler for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        Ok(*self.checkpoint.lock().expect("lock"))
    }
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let mut calls = self.calls.lock().expect("lock");
        let n = calls.len();
        calls.push((delivery.event.event_id, delivery.attempt));
        if self.fail_call == Some(n) {
            return Err(HandlerError::Transient("database busy".into()));
        }
        *self.checkpoint.lock().expect("lock") = Some(delivery.checkpoint());
        Ok(())
    }
}

/// Applies whole pages: records each call's (event id, attempt) list; the first call can stop part way.
#[derive(Debug, Default)]
struct PageRecorder {
    calls: Mutex<Vec<Vec<(Uuid, u32)>>>,
    checkpoint: Mutex<Option<Checkpoint>>,
    /// On the first call, commit this many deliveries and fail the next one transiently.
    stop_first_at: Option<usize>,
}

#[async_trait]
impl EventHandler for PageRecorder {
    fn name(&self) -> &str {
        "page-recorder"
    }
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        Ok(*self.checkpoint.lock().expect("lock"))
    }
    async fn handle(&self, _: &Delivery) -> Result<(), HandlerError> {
        Err(HandlerError::Permanent("pages only".into()))
    }
    async fn handle_batch(&self, deliveries: &[Delivery]) -> Result<(), crate::BatchError> {
        let mut calls = self.calls.lock().expect("lock");
        let first = calls.is_empty();
        calls.push(
            deliveries
                .iter()
                .map(|d| (d.event.event_id, d.attempt))
                .collect(),
        );
        let applied = match self.stop_first_at {
            Some(n) if first => n,
            _ => deliveries.len(),
        };
        if let Some(last) = applied.checked_sub(1).and_then(|i| deliveries.get(i)) {
            *self.checkpoint.lock().expect("lock") = Some(last.checkpoint());
        }
        if applied < deliveries.len() {
            return Err(crate::BatchError {
                applied,
                error: HandlerError::Transient("database busy".into()),
            });
        }
        Ok(())
    }
}

async fn store_with(events: usize) -> (Arc<dyn EventStore>, Vec<Uuid>) {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("store");
    let mut ids = Vec::new();
    for i in 0..events {
        let case = Uuid::now_v7();
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "petition.received".into(),
            schema_version: 1,
            payload: json!({"case_id": case, "receiving_agency": "UBND-HN", "kind": "complaint", "n": i}),
            personal: None,
        };
        ids.push(event.event_id);
        let meta = CommandMeta {
            command_id: Uuid::now_v7(),
            fingerprint: None,
            actor: "test".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            rulebook_version: None,
        };
        store
            .append(
                &StreamId::for_case(case),
                ExpectedVersion::NoStream,
                vec![event],
                &meta,
            )
            .await
            .expect("append");
    }
    (Arc::new(store), ids)
}

#[tokio::test]
async fn the_tail_hands_every_event_once_in_global_order() {
    let (store, ids) = store_with(5).await;
    let recorder = Arc::new(Recorder::default());
    let handler: Arc<dyn EventHandler> = recorder.clone();
    let outcome = StoreTail::new(store)
        .run_once(&handler, 100)
        .await
        .expect("run");
    assert_eq!(outcome.handled, 5);
    let seen: Vec<Uuid> = recorder
        .calls
        .lock()
        .expect("lock")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_the_next_attempt_number() {
    let (store, ids) = store_with(3).await;
    let recorder = Arc::new(Recorder {
        fail_call: Some(1),
        ..Recorder::default()
    });
    let handler: Arc<dyn EventHandler> = recorder.clone();
    let tail = StoreTail::new(store);
    let first = tail.run_once(&handler, 100).await.expect("run");
    assert_eq!((first.handled, first.retried), (1, 1));
    let second = tail.run_once(&handler, 100).await.expect("run");
    assert_eq!((second.handled, second.retried), (2, 0));
    let calls = recorder.calls.lock().expect("lock").clone();
    assert_eq!(
        calls,
        vec![(ids[0], 1), (ids[1], 1), (ids[1], 2), (ids[2], 1)]
    );
}

#[tokio::test]
async fn the_loop_catches_up_and_stops_on_shutdown() {
    let (store, ids) = store_with(7).await;
    let recorder = Arc::new(Recorder::default());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tail = StoreTail::new(store)
        .with_idle(Duration::from_millis(10))
        .with_page_size(2);
    let task = tokio::spawn({
        let handler: Arc<dyn EventHandler> = recorder.clone();
        async move { tail.run(handler, shutdown).await }
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while recorder.calls.lock().expect("lock").len() < ids.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("caught up in time");
    stop.send(true).expect("stop");
    task.await.expect("join").expect("clean stop");
    assert_eq!(recorder.calls.lock().expect("lock").len(), ids.len());
}

#[tokio::test]
async fn an_append_through_the_signalling_store_wakes_an_idle_tail_at_once() {
    let (inner, _) = store_with(0).await;
    let signal = crate::SignallingStore::new(inner);
    let store: Arc<dyn EventStore> = Arc::new(signal.clone());
    let recorder = Arc::new(Recorder::default());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    // An idle period far longer than the test's patience: only the signal can deliver in time.
    let tail = StoreTail::new(store.clone())
        .with_idle(Duration::from_secs(30))
        .with_wake(signal.subscribe());
    let task = tokio::spawn({
        let handler: Arc<dyn EventHandler> = recorder.clone();
        async move { tail.run(handler, shutdown).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await; // let the tail go idle
    let case = Uuid::now_v7();
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "petition.received".into(),
        schema_version: 1,
        payload: json!({"case_id": case}),
        personal: None,
    };
    let meta = CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: None,
        actor: "test".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        rulebook_version: None,
    };
    store
        .append(
            &StreamId::for_case(case),
            ExpectedVersion::NoStream,
            vec![event],
            &meta,
        )
        .await
        .expect("append");
    tokio::time::timeout(Duration::from_secs(2), async {
        while recorder.calls.lock().expect("lock").is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the signal woke the tail long before its 30 s idle period ended");
    stop.send(true).expect("stop");
    task.await.expect("join").expect("clean stop");
}

#[tokio::test]
async fn a_batch_handler_gets_the_whole_page_in_one_call() {
    let (store, ids) = store_with(5).await;
    let recorder = Arc::new(PageRecorder::default());
    let handler: Arc<dyn EventHandler> = recorder.clone();
    let tail = StoreTail::new(store).with_page_size(3);
    let first = tail.run_once(&handler, 100).await.expect("run");
    let second = tail.run_once(&handler, 100).await.expect("run");
    assert_eq!((first.handled, second.handled), (3, 2));
    let calls = recorder.calls.lock().expect("lock").clone();
    let pages: Vec<Vec<Uuid>> = calls
        .iter()
        .map(|c| c.iter().map(|d| d.0).collect())
        .collect();
    assert_eq!(pages, vec![ids[..3].to_vec(), ids[3..].to_vec()]);
}

#[tokio::test]
async fn a_batch_that_stops_part_way_resumes_at_the_event_it_stopped_at_with_the_next_attempt() {
    let (store, ids) = store_with(4).await;
    let recorder = Arc::new(PageRecorder {
        stop_first_at: Some(2),
        ..PageRecorder::default()
    });
    let handler: Arc<dyn EventHandler> = recorder.clone();
    let tail = StoreTail::new(store);
    let first = tail.run_once(&handler, 100).await.expect("run");
    assert_eq!((first.handled, first.retried), (2, 1));
    let second = tail.run_once(&handler, 100).await.expect("run");
    assert_eq!((second.handled, second.retried), (2, 0));
    let calls = recorder.calls.lock().expect("lock").clone();
    assert_eq!(
        calls,
        vec![
            ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>(),
            vec![(ids[2], 2), (ids[3], 1)],
        ]
    );
}

#[tokio::test]
async fn a_consumer_that_is_behind_gets_doubling_pages_up_to_the_maximum() {
    let (store, ids) = store_with(20).await;
    let recorder = Arc::new(PageRecorder::default());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tail = StoreTail::new(store)
        .with_idle(Duration::from_millis(10))
        .with_page_size(2)
        .with_max_page_size(8);
    let task = tokio::spawn({
        let handler: Arc<dyn EventHandler> = recorder.clone();
        async move { tail.run(handler, shutdown).await }
    });
    let seen = || -> usize {
        recorder
            .calls
            .lock()
            .expect("lock")
            .iter()
            .map(Vec::len)
            .sum()
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        while seen() < ids.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("caught up in time");
    stop.send(true).expect("stop");
    task.await.expect("join").expect("clean stop");
    let sizes: Vec<usize> = recorder
        .calls
        .lock()
        .expect("lock")
        .iter()
        .map(Vec::len)
        .collect();
    // 2, 4, 8 (capped), 6 (the rest): every event once, in order.
    assert_eq!(sizes, vec![2, 4, 8, 6]);
    let handed: Vec<Uuid> = recorder
        .calls
        .lock()
        .expect("lock")
        .iter()
        .flatten()
        .map(|d| d.0)
        .collect();
    assert_eq!(handed, ids);
}
