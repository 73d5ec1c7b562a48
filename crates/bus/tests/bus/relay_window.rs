//! The relay's window across pages and runs: an acknowledgement refused in the middle of a window stops the
//! relay at the event before it (nothing after it stored, nothing skipped, the checkpoint not past it), and
//! a run bounded by `batch` ends at an acknowledged event the next run continues from.

use std::time::Duration;

use async_nats::jetstream;
use bus::{Relay, RelayConfig};
use serde_json::json;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

use crate::harness::*;

const LIMIT: Duration = Duration::from_secs(60);

/// Small pages, so one window of acknowledgements spans several store reads.
fn paged(window: usize, page_size: usize, batch: usize) -> RelayConfig {
    RelayConfig {
        page_size,
        batch,
        ..fast_relay(window)
    }
}

/// One case whose only event carries `size` bytes of summary.
async fn record_big_case(store: &dyn EventStore, size: usize) {
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "petition.received".into(),
        schema_version: 1,
        payload: json!({"receiving_agency": "UBND-HN", "kind": "complaint", "summary": "x".repeat(size)}),
        personal: None,
    };
    let meta = CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: None,
        actor: "officer-hn-1".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        rulebook_version: None,
    };
    store
        .append(
            &StreamId::for_case(Uuid::now_v7()),
            ExpectedVersion::NoStream,
            vec![event],
            &meta,
        )
        .await
        .expect("append");
}

/// Sets the event stream's largest accepted message (-1: no limit), as an operator could.
async fn limit_message_size(js: &jetstream::Context, bytes: i32) {
    let stream = js.get_stream("PETITION_EVENTS").await.expect("stream");
    let mut config = stream.cached_info().config.clone();
    config.max_message_size = bytes;
    js.update_stream(config).await.expect("update stream");
}

#[tokio::test]
async fn an_ack_refused_mid_window_stops_the_relay_before_that_event_and_nothing_after_it_is_stored()
 {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 30, 4).await; // events 1..=150
        record_big_case(store.as_ref(), 16 * 1024).await; // event 151: refused while the limit holds
        record_cases(store.as_ref(), 30, 4).await; // events 152..=301, sent behind it in the same window
        let ids = store_ids(store.as_ref()).await;
        limit_message_size(&js, 8 * 1024).await;
        let relay = Relay::new(store.clone(), connect(&nats).await, paged(256, 32, 10_000));
        for attempt in 0..2 {
            let refused = relay.run_once().await;
            assert!(
                refused.is_err(),
                "attempt {attempt}: the big event is refused: {refused:?}"
            );
            // Every publish behind the refused one expected a sequence that never came: none is stored.
            assert_eq!(stream_ids(&js).await, ids[..150], "attempt {attempt}");
            // The relay's checkpoint is the stream's last message: the event before the refused one.
            let report = assert_no_divergence(&js, store.as_ref()).await;
            assert_eq!(report.identical, 150, "{report}");
            assert_eq!(report.behind, 151, "{report}");
        }
        limit_message_size(&js, -1).await;
        let mut published = 0;
        loop {
            let outcome = relay
                .run_once()
                .await
                .expect("publishes once the limit is lifted");
            published += outcome.published;
            if outcome.caught_up {
                break;
            }
        }
        assert_eq!(published, 151, "each remaining event once, none skipped");
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn a_run_ends_at_its_batch_on_an_acknowledged_event_and_the_next_run_continues_there() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 50, 4).await; // 250 events
        let checkpoints: Vec<_> = store
            .read_all(&store::Checkpoint::START, 1000)
            .await
            .expect("read_all")
            .events
            .iter()
            .map(store::RecordedEvent::checkpoint)
            .collect();
        // Pages of 30 do not divide the batch of 100: the last read of each run is cut to fit.
        let relay = Relay::new(store.clone(), connect(&nats).await, paged(64, 30, 100));
        for (run, (published, caught_up)) in [(100, false), (100, false), (50, true)]
            .into_iter()
            .enumerate()
        {
            let outcome = relay.run_once().await.expect("run");
            assert_eq!(
                (outcome.published, outcome.caught_up),
                (published, caught_up),
                "run {run}"
            );
            let done = 100 * run + published;
            assert_eq!(outcome.checkpoint, checkpoints[done - 1], "run {run}");
            assert_eq!(outcome.stream_sequence, done as u64, "run {run}");
            assert_eq!(stream_len(&js).await, done as u64, "run {run}");
        }
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn a_run_reads_no_further_page_once_its_share_of_the_lease_is_spent() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 20, 4).await; // 100 events
        // With no lease time to spend, every run publishes the one page it read first, whatever the batch.
        let config = RelayConfig {
            lease: bus::LeaseConfig {
                ttl: Duration::ZERO,
                ..Default::default()
            },
            ..paged(64, 30, 10_000)
        };
        let relay = Relay::new(store.clone(), connect(&nats).await, config);
        for (run, (published, caught_up)) in [(30, false), (30, false), (30, false), (10, true)]
            .into_iter()
            .enumerate()
        {
            let outcome = relay.run_once().await.expect("run");
            assert_eq!(
                (outcome.published, outcome.caught_up),
                (published, caught_up),
                "run {run}"
            );
        }
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}
