//! Test helpers: stores with realistic events, JetStream connections, and the one assertion every
//! relay test ends with: the stream holds exactly the store's events, in order, once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use bus::{RelayConfig, StreamSettings, cloudevents};
use serde_json::json;
use sqlx::Connection;
use store::{Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

pub use crate::nats::NatsServer;

/// A JetStream context on its own connection (each relay or consumer gets one, like a process would).
pub async fn connect(server: &NatsServer) -> jetstream::Context {
    bus::connect(&server.url(), "bus-test")
        .await
        .expect("connect")
}

pub async fn setup(server: &NatsServer) -> jetstream::Context {
    let js = connect(server).await;
    bus::ensure_stream(&js, &StreamSettings::default())
        .await
        .expect("ensure stream");
    js
}

pub async fn sqlite_store() -> Arc<dyn EventStore> {
    sqlite_store_at().await.0
}

/// A store on a fresh SQLite file, and the file's URL (for tests that tamper with it behind its back).
pub async fn sqlite_store_at() -> (Arc<dyn EventStore>, String) {
    let dir = std::env::temp_dir().join(format!("bus-store-{}", Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/events.db", dir.display());
    let store = store::sqlite::SqliteStore::connect(&url)
        .await
        .expect("sqlite store");
    (Arc::new(store), url)
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// The same server URL pointing at another database (keeps any `?query`).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let (server, _) = base.rsplit_once('/').expect("URL with a database");
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{server}/{database}{query}")
}

/// A store on a fresh PostgreSQL database; fails (never skips) when the server is unreachable.
/// Returns the database name for [`drop_postgres`].
pub async fn postgres_store() -> (Arc<dyn EventStore>, String) {
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("PostgreSQL must be reachable (set TEST_DATABASE_URL)");
    let database = format!("petition_bus_test_{}", Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let url = with_database(&pg_admin_url(), &database);
    let store = store::postgres::PgStore::connect(&url)
        .await
        .expect("pg store");
    (Arc::new(store), database)
}

/// The URL of a test database made by [`postgres_store`].
pub fn postgres_url(database: &str) -> String {
    with_database(&pg_admin_url(), database)
}

/// Drops a test database, closing whatever connections remain.
pub async fn drop_postgres(database: &str) {
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("admin");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("DROP DATABASE");
}

/// Opens a case and records `extra` more steps in one append each, with realistic payloads.
pub async fn record_case(store: &dyn EventStore, extra: usize) {
    let case = Uuid::now_v7();
    let stream = StreamId::for_case(case);
    let types = [
        "petition.classified",
        "petition.accepted",
        "verification.started",
        "decision.issued",
    ];
    let mut events = vec![(
        "petition.received",
        json!({
            "case_id": case, "receiving_agency": "UBND-HN", "kind": "complaint",
            "occurred_on": "2026-09-01", "subject": "land use", "channel": "portal"
        }),
    )];
    for i in 0..extra {
        let t = types[i % types.len()];
        events.push((
            t,
            json!({"agency": "UBND-HN", "occurred_on": "2026-09-02", "step": i}),
        ));
    }
    for (version, (event_type, payload)) in events.into_iter().enumerate() {
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version as u64)
        };
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            personal: Some(json!({"petitioner": {"name": "Trần Thị B", "phone": "0912345678"}})),
        };
        let meta = CommandMeta {
            command_id: Uuid::now_v7(),
            fingerprint: None,
            actor: "officer-hn-1".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: Some(Uuid::now_v7()),
            rulebook_version: Some("2026.1".into()),
        };
        store
            .append(&stream, expected, vec![event], &meta)
            .await
            .expect("append");
    }
}

/// Records `cases` cases of `1 + extra` events each.
pub async fn record_cases(store: &dyn EventStore, cases: usize, extra: usize) {
    for _ in 0..cases {
        record_case(store, extra).await;
    }
}

/// Waits until `read_all` returns `n` events: on PostgreSQL an open transaction anywhere on the shared
/// server (another test's) holds the snapshot horizon back for a moment (issue 9, item 2).
pub async fn wait_for_readable(store: &dyn EventStore, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let readable = store_ids(store).await.len();
        if readable >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {readable} of {n} events readable"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The store's event ids in global order.
pub async fn store_ids(store: &dyn EventStore) -> Vec<Uuid> {
    let (mut ids, mut after) = (Vec::new(), Checkpoint::START);
    loop {
        let page = store.read_all(&after, 1000).await.expect("read_all");
        if page.events.is_empty() {
            return ids;
        }
        ids.extend(page.events.iter().map(|e| e.event_id));
        after = page.next;
    }
}

/// Every message of the event stream, by sequence 1..=last.
pub async fn stream_messages(js: &jetstream::Context) -> Vec<jetstream::message::StreamMessage> {
    let stream = js.get_stream("PETITION_EVENTS").await.expect("stream");
    let last = stream.cached_info().state.last_sequence;
    let mut messages = Vec::new();
    for seq in 1..=last {
        messages.push(stream.direct_get(seq).await.expect("message by sequence"));
    }
    messages
}

/// The event ids in the stream, in stream order.
pub async fn stream_ids(js: &jetstream::Context) -> Vec<Uuid> {
    stream_messages(js)
        .await
        .iter()
        .map(|m| {
            cloudevents::get(&m.headers, "ce-id")
                .expect("ce-id")
                .parse()
                .expect("uuid")
        })
        .collect()
}

pub async fn stream_len(js: &jetstream::Context) -> u64 {
    match js.get_stream("PETITION_EVENTS").await {
        Ok(s) => s.cached_info().state.messages,
        Err(_) => 0,
    }
}

/// The assertion of item 5: the stream holds exactly the store's events, in order, once; and
/// `compare_stream` (what `petition audit compare-stream` runs) finds them identical.
pub async fn assert_stream_is_the_store(js: &jetstream::Context, store: &dyn EventStore) {
    let report = compare(js, store).await;
    assert_eq!(
        report.verdict,
        bus::Verdict::Identical,
        "compare-stream after the fault:\n{report}"
    );
    assert_eq!(report.exit_code(true), 0);
    let expected = store_ids(store).await;
    assert_eq!(report.identical, expected.len() as u64);
    let actual = stream_ids(js).await;
    assert_eq!(
        actual.len(),
        expected.len(),
        "stream and store hold different numbers of events"
    );
    assert_eq!(
        actual, expected,
        "the stream differs from the store's global order"
    );
}

/// Runs the store/stream comparison with the default settings and every divergence kept.
pub async fn compare(js: &jetstream::Context, store: &dyn EventStore) -> bus::CompareReport {
    let options = bus::CompareOptions {
        examples: 1000,
        page_size: 64,
        ..Default::default()
    };
    bus::compare_stream(store, js, &StreamSettings::default(), &options)
        .await
        .expect("compare-stream runs")
}

/// Right after a fault, before recovery: the stream may be behind the store, but never divergent.
pub async fn assert_no_divergence(
    js: &jetstream::Context,
    store: &dyn EventStore,
) -> bus::CompareReport {
    let report = compare(js, store).await;
    assert_eq!(
        report.total_divergences(),
        0,
        "compare-stream right after the fault:\n{report}"
    );
    assert_eq!(report.exit_code(false), 0);
    report
}

/// Waits until the stream holds `n` messages, failing after `limit`.
pub async fn wait_for_stream(js: &jetstream::Context, n: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    while stream_len(js).await < n {
        assert!(
            Instant::now() < deadline,
            "stream stuck at {} of {n}",
            stream_len(js).await
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A relay configuration with short timers, so takeovers happen within test time.
pub fn fast_relay(window: usize) -> RelayConfig {
    RelayConfig {
        window,
        idle: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        lease: bus::LeaseConfig {
            ttl: Duration::from_secs(2),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Logs to stderr when `TEST_LOG` is set (e.g. `TEST_LOG=bus=debug`); tests are quiet otherwise.
pub fn init_log() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}
