//! Invariant 2: a reader tailing `read_all` while many writers commit and abort sees every committed event
//! exactly once, in an order that never changes, and nothing from a rolled-back transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use store::{Checkpoint, ExpectedVersion, StoreError, StreamId};
use tokio::sync::watch;
use uuid::Uuid;

use crate::fixtures::{event, events, meta, new_stream, read_at_least};
use crate::harness::TestDb;

const WRITERS: usize = 6;
const BATCHES: usize = 16;

/// What one writer did: committed event ids, and event ids whose batch failed part-way.
struct Written {
    committed: Vec<Uuid>,
    aborted: Vec<Uuid>,
}

async fn writer(store: Arc<dyn store::EventStore>, seed: usize) -> Written {
    let streams = [new_stream(), new_stream()];
    let mut versions = [0u64; 2];
    let mut written = Written {
        committed: Vec::new(),
        aborted: Vec::new(),
    };
    for b in 0..BATCHES {
        let s = b % 2;
        let expected = if versions[s] == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(versions[s])
        };
        if b % 5 == 4 && !written.committed.is_empty() {
            // Fails on its second insert (an event id already stored), after the first one took a position.
            let fresh = event("petition.noted", json!({ "writer": seed }));
            let mut reused = event("petition.noted", json!({}));
            reused.event_id = written.committed[0];
            let result = store
                .append(&streams[s], expected, vec![fresh.clone(), reused], &meta())
                .await;
            assert!(
                matches!(result, Err(StoreError::Invalid(_))),
                "a batch reusing an event id fails: {result:?}"
            );
            written.aborted.push(fresh.event_id);
            continue;
        }
        let outcome = store
            .append(&streams[s], expected, events(1 + (b + seed) % 3), &meta())
            .await
            .expect("append");
        versions[s] = outcome.last_version;
        written
            .committed
            .extend(outcome.events.iter().map(|e| e.event_id));
    }
    written
}

pub async fn a_tailing_reader_sees_every_committed_event_once_and_nothing_rolled_back(db: &TestDb) {
    let (total_tx, mut total_rx) = watch::channel(None::<usize>);
    let reader = {
        let store = db.store.clone();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            let mut at = Checkpoint::START;
            let mut seen = Vec::new();
            loop {
                let page = store.read_all(&at, 7).await.expect("read_all");
                assert!(page.events.len() <= 7);
                if let Some(last) = page.events.last() {
                    assert_eq!(page.next, last.checkpoint());
                } else {
                    assert_eq!(page.next, at, "an empty page keeps the checkpoint");
                }
                let was_empty = page.events.is_empty();
                at = page.next;
                seen.extend(page.events);
                let total = *total_rx.borrow_and_update();
                if total.is_some_and(|total| seen.len() >= total)
                    || tokio::time::Instant::now() > deadline
                {
                    // One more read: nothing may follow the last committed event.
                    seen.extend(store.read_all(&at, 100).await.expect("read_all").events);
                    return seen;
                }
                if was_empty {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };
    // Raw transactions that insert and roll back, burning positions between the committed ones.
    let stop = Arc::new(AtomicBool::new(false));
    let burner = {
        let (raw, stop) = (db.raw.clone(), stop.clone());
        tokio::spawn(async move {
            let mut burned = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                burned.push(raw.insert_and_roll_back().await);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            burned
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|seed| tokio::spawn(writer(db.store.clone(), seed)))
        .collect();
    let mut committed = Vec::new();
    let mut never = Vec::new();
    for w in writers {
        let written = w.await.expect("writer task");
        committed.extend(written.committed);
        never.extend(written.aborted);
    }
    stop.store(true, Ordering::Relaxed);
    never.extend(burner.await.expect("burner task"));
    total_tx
        .send(Some(committed.len()))
        .expect("reader is listening");
    let seen = reader.await.expect("reader task");

    let seen_ids: Vec<Uuid> = seen.iter().map(|e| e.event_id).collect();
    let unique: HashSet<Uuid> = seen_ids.iter().copied().collect();
    assert_eq!(unique.len(), seen_ids.len(), "no event is delivered twice");
    assert_eq!(
        unique,
        committed.iter().copied().collect::<HashSet<_>>(),
        "every committed event is delivered"
    );
    assert!(
        never.len() > WRITERS,
        "the test rolled back transactions ({} of them)",
        never.len()
    );
    assert!(
        never.iter().all(|id| !unique.contains(id)),
        "nothing from a rolled-back transaction is delivered"
    );
    assert!(
        seen.windows(2)
            .all(|w| w[0].checkpoint() < w[1].checkpoint()),
        "checkpoints strictly increase"
    );
    let mut last_version: HashMap<&StreamId, u64> = HashMap::new();
    for e in &seen {
        let previous = last_version.insert(&e.stream_id, e.version).unwrap_or(0);
        assert_eq!(
            e.version,
            previous + 1,
            "each stream's events arrive in version order"
        );
    }

    // The order is stable: reading again from the start, in other page sizes, gives the same sequence.
    let again = read_at_least(db.store.as_ref(), Checkpoint::START, 13, seen.len()).await;
    assert_eq!(again, seen);
}
