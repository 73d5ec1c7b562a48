//! `compare_stream` (`petition audit compare-stream`) against real streams and stores: identical sides, a
//! stream that only lags, and each divergence an attacker or a fault can cause, on either side. The fault
//! tests in `relay.rs` also end with a clean comparison (`assert_stream_is_the_store`).

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bus::{CompareReport, DivergenceKind, Relay, StreamSettings, Verdict};
use sqlx::Connection;
use store::{Checkpoint, EventStore, RecordedEvent};
use uuid::Uuid;

use crate::harness::*;

const LIMIT: Duration = Duration::from_secs(60);

/// Publishes the whole store through one relay.
async fn relay_all(nats: &NatsServer, store: std::sync::Arc<dyn EventStore>) {
    let relay = Relay::new(store, connect(nats).await, fast_relay(64));
    while !relay.run_once().await.expect("relay").caught_up {}
}

/// The store's events in global order.
async fn store_events(store: &dyn EventStore) -> Vec<RecordedEvent> {
    let (mut events, mut after) = (Vec::new(), Checkpoint::START);
    loop {
        let page = store.read_all(&after, 1000).await.expect("read_all");
        if page.events.is_empty() {
            return events;
        }
        after = page.next;
        events.extend(page.events);
    }
}

fn counts(pairs: &[(DivergenceKind, u64)]) -> BTreeMap<DivergenceKind, u64> {
    pairs.iter().copied().collect()
}

fn kinds_of(report: &CompareReport, event: Uuid) -> Vec<DivergenceKind> {
    report
        .divergences
        .iter()
        .filter(|d| d.event_id == Some(event))
        .map(|d| d.kind)
        .collect()
}

/// A database the test owns, reached around the store, the way an attacker with the credentials would.
enum Backdoor {
    Sqlite(String),
    Postgres(String),
}

impl Backdoor {
    async fn execute(&self, sql: &str) {
        match self {
            Backdoor::Sqlite(url) => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
            }
            Backdoor::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
            }
        }
    }

    /// Switches off the append-only triggers (a privileged path, as an attacker or a careless DBA has).
    async fn disable_append_only(&self) {
        match self {
            Backdoor::Sqlite(_) => {
                self.execute(
                    "DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;",
                )
                .await
            }
            Backdoor::Postgres(_) => {
                self.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete;")
                    .await
            }
        }
    }

    fn bump_step(&self) -> &'static str {
        match self {
            Backdoor::Sqlite(_) => "json_set(payload, '$.step', 999)",
            Backdoor::Postgres(_) => "jsonb_set(payload, '{step}', '999')",
        }
    }
}

async fn identical_then_behind(store: std::sync::Arc<dyn EventStore>) {
    let nats = NatsServer::start();
    let js = setup(&nats).await;
    record_cases(store.as_ref(), 4, 2).await; // 12 events
    wait_for_readable(store.as_ref(), 12).await;

    // An empty stream is a stream that has not started: behind by everything, no divergence.
    let report = compare(&js, store.as_ref()).await;
    assert_eq!(
        (report.verdict, report.behind, report.total_divergences()),
        (Verdict::Behind, 12, 0),
        "{report}"
    );
    assert_eq!((report.exit_code(false), report.exit_code(true)), (0, 1));

    // Half published: still only behind.
    let relay = Relay::new(
        store.clone(),
        connect(&nats).await,
        bus::RelayConfig {
            page_size: 5,
            batch: 5,
            ..fast_relay(16)
        },
    );
    relay.run_once().await.expect("one run of five");
    let report = compare(&js, store.as_ref()).await;
    assert_eq!(
        (report.verdict, report.behind, report.identical),
        (Verdict::Behind, 7, 5),
        "{report}"
    );
    assert!(
        report.to_string().contains("behind the store by 7"),
        "{report}"
    );

    while !relay.run_once().await.expect("relay").caught_up {}
    let report = compare(&js, store.as_ref()).await;
    assert_eq!(report.verdict, Verdict::Identical, "{report}");
    assert_eq!(
        (
            report.identical,
            report.store_events,
            report.stream_messages
        ),
        (12, 12, 12)
    );
    assert!(report.counts.is_empty() && report.divergences.is_empty());
    assert_eq!(report.exit_code(true), 0);
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["verdict"], "identical");
    assert_eq!(
        json["store_head"],
        store.head().await.expect("head").to_string()
    );
    assert_stream_is_the_store(&js, store.as_ref()).await;
}

#[tokio::test]
async fn identical_sides_compare_clean_and_a_lagging_stream_is_only_behind_on_sqlite() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        identical_then_behind(sqlite_store().await).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn identical_sides_compare_clean_and_a_lagging_stream_is_only_behind_on_postgres() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let (store, database) = postgres_store().await;
        identical_then_behind(store.clone()).await;
        drop(store);
        drop_postgres(&database).await;
    })
    .await
    .expect("test finished in time");
}

/// Deletes one row and rewrites two more behind the store's back, after they were relayed.
async fn store_tampering_is_reported(store: std::sync::Arc<dyn EventStore>, backdoor: Backdoor) {
    let nats = NatsServer::start();
    let js = setup(&nats).await;
    record_cases(store.as_ref(), 4, 2).await; // 12 events, three per case
    wait_for_readable(store.as_ref(), 12).await;
    relay_all(&nats, store.clone()).await;
    let events = store_events(store.as_ref()).await;
    // Middle events of their cases, so that no later event's subject changes with them.
    let (deleted, rewritten, rehashed) = (&events[4], &events[7], &events[10]);
    backdoor.disable_append_only().await;
    backdoor
        .execute(&format!(
            "DELETE FROM events WHERE event_id = '{}'",
            deleted.event_id
        ))
        .await;
    backdoor
        .execute(&format!(
            "UPDATE events SET payload = {} WHERE event_id = '{}'",
            backdoor.bump_step(),
            rewritten.event_id
        ))
        .await;
    backdoor
        .execute(&format!(
            "UPDATE events SET hash = '{}' WHERE event_id = '{}'",
            "a".repeat(64),
            rehashed.event_id
        ))
        .await;

    let report = compare(&js, store.as_ref()).await;
    assert_eq!(report.verdict, Verdict::Divergent, "{report}");
    assert_eq!(report.exit_code(false), 1);
    assert_eq!(
        report.counts,
        counts(&[
            (DivergenceKind::MissingFromStore, 1),
            (DivergenceKind::HashDiffers, 1),
            (DivergenceKind::ContentDiffers, 1),
        ]),
        "{report}"
    );
    assert_eq!(
        (report.identical, report.store_events, report.behind),
        (9, 11, 0)
    );
    let missing = &report.divergences[0];
    assert_eq!(
        (
            missing.kind,
            missing.stream_sequence,
            missing.checkpoint,
            missing.event_id
        ),
        (
            DivergenceKind::MissingFromStore,
            Some(5),
            Some(deleted.checkpoint()),
            Some(deleted.event_id)
        )
    );
    let content = &report.divergences[1];
    assert_eq!(
        (
            content.kind,
            content.stream_sequence,
            content.fields.clone()
        ),
        (
            DivergenceKind::ContentDiffers,
            Some(8),
            vec!["payload".to_owned()]
        )
    );
    let hash = &report.divergences[2];
    assert_eq!(
        (hash.kind, hash.stream_sequence, hash.fields.clone()),
        (
            DivergenceKind::HashDiffers,
            Some(11),
            vec!["ce-hash".to_owned()]
        )
    );
    let text = report.to_string();
    assert!(
        text.contains("DIVERGENT") && text.contains(&deleted.event_id.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn a_sqlite_store_rewritten_behind_the_applications_back_is_reported() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let (store, url) = sqlite_store_at().await;
        store_tampering_is_reported(store, Backdoor::Sqlite(url)).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn a_postgres_store_rewritten_behind_the_applications_back_is_reported() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let (store, database) = postgres_store().await;
        store_tampering_is_reported(store.clone(), Backdoor::Postgres(postgres_url(&database)))
            .await;
        drop(store);
        drop_postgres(&database).await;
    })
    .await
    .expect("test finished in time");
}

/// The headers of a stream message without the broker's own (`Nats-*`), ready to publish again.
fn event_headers(message: &jetstream::message::StreamMessage) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, values) in message.headers.iter() {
        if name.to_string().to_ascii_lowercase().starts_with("nats-") {
            continue;
        }
        for value in values {
            headers.append(name.to_string().as_str(), value.as_str());
        }
    }
    headers
}

#[tokio::test]
async fn forged_repeated_and_foreign_messages_in_the_stream_are_reported() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 4, 2).await;
        relay_all(&nats, store.clone()).await;
        let messages = stream_messages(&js).await;
        let head = store.head().await.expect("head");

        // A forged event: well-formed headers, a fresh id, a checkpoint the store never had.
        let mut forged =
            bus::cloudevents::decode(&messages[0].headers, &messages[0].payload).expect("decodes");
        forged.event_id = Uuid::now_v7();
        forged.version = 2;
        forged.global_position = head.global_position + 100;
        forged.payload = serde_json::json!({"agency": "UBND-HN", "decision": "forged"});
        let out = bus::cloudevents::encode(
            "petition.events",
            &forged,
            &bus::route::Route::default().after(&forged.payload),
        )
        .expect("encode");
        js.publish_with_headers(out.subject, out.headers, out.body.into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        // A second copy of message 3 (without its Msg-Id, so the broker takes it).
        js.publish_with_headers(
            messages[2].subject.clone(),
            event_headers(&messages[2]),
            messages[2].payload.clone(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
        // Something the relay never writes.
        js.publish("petition.events.x.y.z", "hello".into())
            .await
            .expect("publish")
            .await
            .expect("ack");

        let report = compare(&js, store.as_ref()).await;
        assert_eq!(
            report.counts,
            counts(&[
                (DivergenceKind::MissingFromStore, 1),
                (DivergenceKind::DuplicateInStream, 1),
                (DivergenceKind::MalformedMessage, 1),
            ]),
            "{report}"
        );
        assert_eq!(
            (report.identical, report.stream_messages, report.behind),
            (12, 15, 0)
        );
        assert_eq!(
            kinds_of(&report, forged.event_id),
            vec![DivergenceKind::MissingFromStore]
        );
        let duplicate_id: Uuid = bus::cloudevents::get(&messages[2].headers, "ce-id")
            .expect("id")
            .parse()
            .expect("uuid");
        let duplicate = report
            .divergences
            .iter()
            .find(|d| d.kind == DivergenceKind::DuplicateInStream)
            .expect("duplicate reported");
        assert_eq!(
            (duplicate.stream_sequence, duplicate.event_id),
            (Some(14), Some(duplicate_id))
        );
        let malformed = report
            .divergences
            .iter()
            .find(|d| d.kind == DivergenceKind::MalformedMessage)
            .expect("malformed reported");
        assert_eq!(malformed.stream_sequence, Some(15));
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["verdict"], "divergent");
        assert_eq!(json["counts"]["duplicate_in_stream"], 1);
        assert_eq!(json["divergences"][0]["stream_sequence"], 14);
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn messages_deleted_from_the_stream_are_reported() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = connect(&nats).await;
        // `ensure_stream` denies deletes, and JetStream never lifts that on an existing stream; a stream
        // created by hand (or recreated by whoever holds the JetStream API) may allow them.
        let settings = StreamSettings::default();
        let stream = js
            .create_stream(jetstream::stream::Config {
                name: settings.stream.clone(),
                subjects: vec![settings.all_events()],
                allow_direct: true,
                ..Default::default()
            })
            .await
            .expect("stream that allows deletes");
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 4, 2).await;
        relay_all(&nats, store.clone()).await;
        let events = store_events(store.as_ref()).await;
        assert!(stream.delete_message(5).await.expect("delete 5"));

        let report = compare(&js, store.as_ref()).await;
        assert_eq!(
            report.counts,
            counts(&[
                (DivergenceKind::MissingFromStream, 1),
                (DivergenceKind::SequenceGap, 1),
            ]),
            "{report}"
        );
        assert_eq!((report.identical, report.behind), (11, 0));
        assert_eq!(
            kinds_of(&report, events[4].event_id),
            vec![DivergenceKind::MissingFromStream]
        );
        let missing = report
            .divergences
            .iter()
            .find(|d| d.kind == DivergenceKind::MissingFromStream)
            .expect("missing");
        assert_eq!(
            (missing.store_index, missing.checkpoint),
            (Some(5), Some(events[4].checkpoint()))
        );
        let gap = report
            .divergences
            .iter()
            .find(|d| d.kind == DivergenceKind::SequenceGap)
            .expect("gap");
        assert_eq!(gap.stream_sequence, Some(5));

        // The first and the last messages too.
        assert!(stream.delete_message(1).await.expect("delete 1"));
        assert!(stream.delete_message(12).await.expect("delete 12"));
        let report = compare(&js, store.as_ref()).await;
        assert_eq!(report.verdict, Verdict::Divergent, "{report}");
        assert_eq!(
            report.counts,
            counts(&[
                (DivergenceKind::MissingFromStream, 2),
                (DivergenceKind::SequenceGap, 3),
            ]),
            "{report}"
        );
        // The last event is after the last message: the relay would publish it again, so it is behind.
        assert_eq!((report.identical, report.behind), (9, 1), "{report}");
    })
    .await
    .expect("test finished in time");
}

/// Publishes the store's events at `order` (indexes into the global order) as the relay would encode
/// them, without the relay's guards, onto an empty stream.
async fn publish_in_order(js: &jetstream::Context, store: &dyn EventStore, order: &[usize]) {
    let events = store_events(store).await;
    let mut router = bus::route::Router::default();
    let mut encoded = Vec::new();
    for event in &events {
        let route = router.route(store, event).await.expect("route");
        encoded.push(bus::cloudevents::encode("petition.events", event, &route).expect("encode"));
    }
    for &i in order {
        let out = encoded[i].clone();
        js.publish_with_headers(out.subject, out.headers, out.body.into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
}

#[tokio::test]
async fn a_stream_in_another_order_with_a_repeat_and_a_hole_is_reported() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 2, 3).await; // 8 events
        let events = store_events(store.as_ref()).await;
        // 3 before 2, 4 twice, 5 never.
        publish_in_order(&js, store.as_ref(), &[0, 1, 3, 2, 4, 4, 6, 7]).await;
        let report = compare(&js, store.as_ref()).await;
        assert_eq!(
            report.counts,
            counts(&[
                (DivergenceKind::OutOfOrder, 1),
                (DivergenceKind::DuplicateInStream, 1),
                (DivergenceKind::MissingFromStream, 1),
            ]),
            "{report}"
        );
        assert_eq!((report.identical, report.behind), (6, 0));
        assert_eq!(
            kinds_of(&report, events[2].event_id),
            vec![DivergenceKind::OutOfOrder]
        );
        assert_eq!(
            kinds_of(&report, events[4].event_id),
            vec![DivergenceKind::DuplicateInStream]
        );
        assert_eq!(
            kinds_of(&report, events[5].event_id),
            vec![DivergenceKind::MissingFromStream]
        );
        let late = &report.divergences[0];
        assert_eq!(
            (late.kind, late.stream_sequence, late.store_index),
            (DivergenceKind::OutOfOrder, Some(4), Some(3))
        );
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn only_the_first_examples_are_kept_but_every_divergence_is_counted() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 10, 2).await; // 30 events
        // Every other event only.
        let order: Vec<usize> = (0..30).step_by(2).collect();
        publish_in_order(&js, store.as_ref(), &order).await;
        let options = bus::CompareOptions {
            examples: 3,
            page_size: 4,
            ..Default::default()
        };
        let report = bus::compare_stream(store.as_ref(), &js, &StreamSettings::default(), &options)
            .await
            .expect("compare");
        // Event 29 (index) is after the stream's last message (index 28): behind, not missing.
        assert_eq!(
            report.counts,
            counts(&[(DivergenceKind::MissingFromStream, 14)]),
            "{report}"
        );
        assert_eq!((report.identical, report.behind), (15, 1));
        let ranks: Vec<Option<u64>> = report.divergences.iter().map(|d| d.store_index).collect();
        assert_eq!(
            ranks,
            vec![Some(2), Some(4), Some(6)],
            "the first ones, in order"
        );
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn beyond_max_pending_the_report_is_approximate_but_counts_every_divergence() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 2, 4).await; // 10 events
        // The first two arrive last; only one skipped event may be held.
        publish_in_order(&js, store.as_ref(), &[2, 3, 4, 5, 6, 7, 8, 9, 0, 1]).await;
        let options = bus::CompareOptions {
            max_pending: 1,
            ..Default::default()
        };
        let report = bus::compare_stream(store.as_ref(), &js, &StreamSettings::default(), &options)
            .await
            .expect("compare");
        assert!(report.approximate, "{report}");
        assert_eq!(report.verdict, Verdict::Divergent);
        // Event 1 is held and found late; event 0 was given up on (missing), so its late copy looks repeated.
        assert_eq!(
            report.counts,
            counts(&[
                (DivergenceKind::MissingFromStream, 1),
                (DivergenceKind::DuplicateInStream, 1),
                (DivergenceKind::OutOfOrder, 1),
            ]),
            "{report}"
        );
        assert!(report.to_string().contains("misclassified"));
    })
    .await
    .expect("test finished in time");
}
