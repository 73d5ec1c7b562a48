//! The log's public routes, the receipt lookup and the builder's cadence, on SQLite.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::BodyExt as _;
use ledger_log::http::{ConsistencyAnswer, InclusionAnswer, LogState};
use ledger_log::{LogBuilder, LogDb, LogSettings};
use serde_json::json;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use tlog::note::{KeyRole, NoteSigner, TrustedKeys};
use tower::ServiceExt as _;
use uuid::Uuid;

fn url() -> String {
    format!(
        "sqlite://{}?mode=rwc",
        std::env::temp_dir()
            .join(format!("ledger-log-http-{}.db", Uuid::new_v4()))
            .display()
    )
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed("example.org/log", KeyRole::Log, [3; 32]).expect("signer")
}

async fn record(store: &dyn EventStore, n: usize) -> Vec<(StreamId, Uuid)> {
    let mut out = Vec::new();
    for i in 0..n {
        let case = StreamId::for_case(Uuid::now_v7());
        let event_id = Uuid::now_v7();
        store
            .append(
                &case,
                ExpectedVersion::NoStream,
                vec![NewEvent {
                    event_id,
                    event_type: "petition.received".into(),
                    schema_version: 1,
                    payload: json!({"tracking_code": format!("KN-2026-AAAA{i}-BBBBB-K")}),
                    personal: None,
                }],
                &CommandMeta {
                    command_id: Uuid::new_v4(),
                    fingerprint: None,
                    actor: "test".into(),
                    correlation_id: Uuid::new_v4(),
                    causation_id: None,
                    rulebook_version: None,
                },
            )
            .await
            .expect("append");
        out.push((case, event_id));
    }
    out
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn hashes(v: &[String]) -> Vec<tlog::tree::Hash> {
    v.iter()
        .map(|h| tlog::tree::hash_from_slice(&BASE64.decode(h).expect("b64")).expect("32 bytes"))
        .collect()
}

#[tokio::test]
async fn proofs_checkpoint_key_and_receipt_over_http() {
    let url = url();
    let store = store::connect(&url).await.expect("store");
    let events = record(store.as_ref(), 5).await;
    let db = LogDb::connect(&url).await.expect("log");
    let settings = LogSettings {
        origin: "example.org/log".into(),
        ..LogSettings::default()
    };
    let mut builder = LogBuilder::new(store.clone(), db.clone(), Arc::new(signer()), settings);
    let app = ledger_log::http::router(LogState {
        db: db.clone(),
        public_key: signer().verifier_key().to_vkey(),
    });

    let (status, ctype, _) = get(&app, "/api/v1/log/checkpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, "application/problem+json");

    builder.catch_up().await.expect("build");
    // Logged but not yet in a checkpoint: the receipt says so.
    let (status, _, body) = get(&app, "/api/v1/log/receipt/kn-2026-aaaa1-bbbbb-k").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("not_yet_checkpointed"), "{body}");
    let first = builder.sign().await.expect("sign").expect("checkpoint");
    assert_eq!(first.tree_size, 5);
    record(store.as_ref(), 3).await;
    builder.catch_up().await.expect("build");
    builder.sign().await.expect("sign").expect("checkpoint");

    let (status, ctype, note) = get(&app, "/api/v1/log/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/plain"));
    let (_, _, vkey) = get(&app, "/api/v1/log/key").await;
    let trusted = TrustedKeys::new(vec![
        tlog::note::VerifierKey::parse(vkey.trim()).expect("vkey"),
    ]);
    let opened = trusted
        .open_checkpoint(&note, Some("example.org/log"))
        .expect("verifies");
    assert_eq!(opened.checkpoint.size(), 8);
    let root = *opened.checkpoint.hash();

    // Inclusion of the third event in the newest checkpoint.
    let (status, _, body) = get(
        &app,
        &format!("/api/v1/log/inclusion?event_id={}", events[2].1),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: InclusionAnswer = serde_json::from_str(&body).expect("json");
    assert_eq!((answer.leaf_index, answer.tree_size), (2, 8));
    let leaf =
        tlog::tree::leaf_hash(&tlog::event::parse_hex_hash("h", &answer.event_hash).expect("hex"));
    tlog::tree::verify_inclusion(2, 8, leaf, &hashes(&answer.hashes), root)
        .expect("inclusion verifies");

    // In the older checkpoint, by size.
    let (status, _, body) = get(
        &app,
        &format!("/api/v1/log/inclusion?event_id={}&tree_size=5", events[2].1),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let old: InclusionAnswer = serde_json::from_str(&body).expect("json");
    let old_note = old.checkpoint.expect("checkpoint 5 is returned");
    let old_root = *trusted
        .open_checkpoint(&old_note, None)
        .expect("verifies")
        .checkpoint
        .hash();
    tlog::tree::verify_inclusion(2, 5, leaf, &hashes(&old.hashes), old_root)
        .expect("inclusion in 5");

    // Consistency 5 → 8.
    let (status, _, body) = get(&app, "/api/v1/log/consistency?first=5&second=8").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let c: ConsistencyAnswer = serde_json::from_str(&body).expect("json");
    tlog::tree::verify_consistency(5, 8, old_root, root, &hashes(&c.hashes)).expect("consistent");

    // The petitioner's receipt, by tracking code (case-insensitive).
    let (status, _, body) = get(&app, "/api/v1/log/receipt/kn-2026-aaaa1-bbbbb-k").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r: InclusionAnswer = serde_json::from_str(&body).expect("json");
    assert_eq!(r.event_id, events[1].1.to_string());
    assert_eq!(r.tracking_code.as_deref(), Some("KN-2026-AAAA1-BBBBB-K"));
    let rleaf =
        tlog::tree::leaf_hash(&tlog::event::parse_hex_hash("h", &r.event_hash).expect("hex"));
    let rroot = *trusted
        .open_checkpoint(r.checkpoint.as_deref().expect("note"), None)
        .expect("ok")
        .checkpoint
        .hash();
    tlog::tree::verify_inclusion(r.leaf_index, r.tree_size, rleaf, &hashes(&r.hashes), rroot)
        .expect("receipt proof");

    // Bounds and bad input: problems, never panics.
    for (uri, status) in [
        ("/api/v1/log/inclusion", StatusCode::BAD_REQUEST),
        (
            "/api/v1/log/inclusion?event_id=nope",
            StatusCode::BAD_REQUEST,
        ),
        (
            &*format!("/api/v1/log/inclusion?event_id={}", Uuid::new_v4()),
            StatusCode::NOT_FOUND,
        ),
        (
            &*format!("/api/v1/log/inclusion?event_id={}&tree_size=9", events[0].1),
            StatusCode::BAD_REQUEST,
        ),
        (
            &*format!("/api/v1/log/inclusion?event_id={}&tree_size=2", events[2].1),
            StatusCode::BAD_REQUEST,
        ),
        (
            &*format!(
                "/api/v1/log/inclusion?event_id={}&tree_size=-1",
                events[0].1
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/log/consistency?first=6&second=5",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/log/consistency?first=1&second=99",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/log/consistency?first=1", StatusCode::BAD_REQUEST),
        (
            "/api/v1/log/consistency?first=1&second=18446744073709551616",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/log/receipt/KN-2026-NOPE0-NOPE0-K",
            StatusCode::NOT_FOUND,
        ),
        ("/api/v1/log/receipt/%3Cscript%3E", StatusCode::BAD_REQUEST),
    ] {
        let (got, ctype, body) = get(&app, uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
    }
    let (status, _, body) = get(&app, "/api/v1/log/consistency?first=0&second=8").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_builder_follows_appends_and_signs_at_its_cadence() {
    let url = url();
    let store = store::connect(&url).await.expect("store");
    let db = LogDb::connect(&url).await.expect("log");
    let settings = LogSettings {
        origin: "example.org/log".into(),
        checkpoint_interval_secs: 3600,
        checkpoint_every_leaves: 4,
        poll_ms: 20,
        ..LogSettings::default()
    };
    let builder = LogBuilder::new(store.clone(), db.clone(), Arc::new(signer()), settings);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    // Both leaves exist before the builder starts, so its first checkpoint (due at once: nothing was signed
    // before) covers both however slowly the machine schedules it.
    record(store.as_ref(), 2).await;
    let task = tokio::spawn(builder.run(stopping));
    wait_for(&db, 2).await;
    record(store.as_ref(), 3).await;
    // 3 new leaves < 4, and the hour has not passed: no checkpoint of 5.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.head().await.expect("head").size, 5);
    assert_eq!(
        db.latest_checkpoint()
            .await
            .expect("latest")
            .map(|c| c.tree_size),
        Some(2)
    );
    record(store.as_ref(), 1).await;
    wait_for(&db, 6).await;
    stop.send(true).expect("stop");
    task.await.expect("join").expect("clean stop");
    assert_eq!(db.checkpoints().await.expect("all").len(), 2);
}

async fn wait_for(db: &LogDb, size: u64) {
    // Generous (20 s): the builder's cadence is what is tested, not how fast a loaded machine schedules it.
    for _ in 0..800 {
        if db
            .latest_checkpoint()
            .await
            .expect("latest")
            .is_some_and(|c| c.tree_size == size)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no checkpoint of size {size}");
}

/// NATS at `TEST_NATS_URL` (default `nats://127.0.0.1:4222`); fails, never skips, when it is down.
#[tokio::test]
async fn checkpoints_are_published_on_nats() {
    use futures::StreamExt as _;
    let nats = std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let client = async_nats::connect(&nats).await.expect("NATS is reachable");
    let subject = format!("test.tlog.{}", Uuid::new_v4().simple());
    let mut sub = client.subscribe(subject.clone()).await.expect("subscribe");
    client.flush().await.expect("flush");
    let url = url();
    let store = store::connect(&url).await.expect("store");
    record(store.as_ref(), 3).await;
    let db = LogDb::connect(&url).await.expect("log");
    let settings = LogSettings {
        origin: "example.org/log".into(),
        nats_subject: subject,
        ..LogSettings::default()
    };
    let mut builder =
        LogBuilder::new(store.clone(), db, Arc::new(signer()), settings).with_nats(client);
    builder.catch_up().await.expect("build");
    let signed = builder.sign().await.expect("sign").expect("checkpoint");
    let message = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("published in time")
        .expect("a message");
    assert_eq!(
        std::str::from_utf8(&message.payload).expect("utf-8"),
        signed.note
    );
}
