//! Issue 13, item 7: build the log over a real store, keep a checkpoint, tamper with the events the way an insider
//! with a superuser connection would, re-export, and let the verifier catch every change.
//!
//! PostgreSQL at `TEST_DATABASE_URL` (default `postgres://postgres:postgres@127.0.0.1:5432/postgres`),
//! one fresh database per test; the tampering connection sets `session_replication_role = replica`, which
//! switches the append-only triggers off. SQLite: the tampering connection drops the triggers.

use std::sync::Arc;

use ledger_log::{LogBuilder, LogDb, LogSettings};
use serde_json::json;
use sqlx::Connection as _;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use tlog::audit::{AuditOptions, FindingKind, KnownCheckpoint, Report, verify_bundle};
use tlog::bundle::Scope;
use tlog::note::{KeyRole, NoteSigner, TrustedKeys};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite,
}

async fn fresh_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            std::env::temp_dir()
                .join(format!("ledger-log-{}.db", Uuid::new_v4()))
                .display()
        ),
        Backend::Postgres => {
            let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
                "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned()
            });
            let name = format!("tlog_test_{}", Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is unreachable: {e}"));
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed("tiepdan.example.vn/log", KeyRole::Log, [7; 32]).expect("signer")
}

fn meta() -> CommandMeta {
    CommandMeta {
        command_id: Uuid::new_v4(),
        fingerprint: None,
        actor: "officer:42".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        rulebook_version: Some("2026.1".into()),
    }
}

fn event(event_type: &str, payload: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        payload,
        personal: Some(json!({"name": "Nguyễn Văn A"})),
    }
}

/// A world: the store, the log, three cases interleaved in the global order (one append per event, so each
/// event is its own transaction), a signed checkpoint over all of them.
struct World {
    url: String,
    backend: Backend,
    store: Arc<dyn EventStore>,
    db: LogDb,
    cases: Vec<StreamId>,
    kept: String,
    kept_size: u64,
}

const STEPS: &[(&str, &str)] = &[
    ("petition.received", "received"),
    ("petition.accepted", "accepted"),
    ("petition.decided", "decided"),
    ("petition.closed", "closed"),
];

async fn world(backend: Backend) -> World {
    let url = fresh_url(backend).await;
    let store = store::connect(&url).await.expect("store");
    let cases: Vec<StreamId> = (0..3).map(|_| StreamId::for_case(Uuid::now_v7())).collect();
    // Case 0 ends last: its last events are the end of the global order.
    for (step, (event_type, _)) in STEPS.iter().enumerate() {
        for (n, case) in cases.iter().enumerate() {
            let payload = match step {
                0 => json!({"tracking_code": format!("kn-2026-test{n}-0000-k")}),
                2 => json!({"outcome": "rejected", "reason": "unfounded"}),
                _ => json!({"step": step}),
            };
            let expected = if step == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(step as u64)
            };
            store
                .append(case, expected, vec![event(event_type, payload)], &meta())
                .await
                .expect("append");
        }
    }
    // Two more events of case 0, at the very end.
    for v in 5..7u64 {
        store
            .append(
                &cases[0],
                ExpectedVersion::Exact(v - 1),
                vec![event("petition.note_added", json!({"v": v}))],
                &meta(),
            )
            .await
            .expect("append");
    }
    let db = LogDb::connect(&url).await.expect("log db");
    let mut builder = LogBuilder::new(
        store.clone(),
        db.clone(),
        Arc::new(signer()),
        LogSettings {
            origin: "tiepdan.example.vn/log".into(),
            ..LogSettings::default()
        },
    );
    assert_eq!(builder.catch_up().await.expect("build"), 14);
    let kept = builder.sign().await.expect("sign").expect("a checkpoint");
    assert_eq!(kept.tree_size, 14);
    assert!(
        builder.sign().await.expect("sign again").is_none(),
        "one checkpoint per size"
    );
    World {
        url,
        backend,
        store,
        db,
        cases,
        kept: kept.note,
        kept_size: kept.tree_size,
    }
}

impl World {
    async fn verify(&self, scope: Scope) -> Report {
        let bundle = ledger_log::export::export(
            self.store.as_ref(),
            &self.db,
            "tiepdan.example.vn/log",
            scope,
            &[self.kept_size],
        )
        .await
        .expect("export");
        // Through JSON, as the verifier reads it.
        let text = serde_json::to_string(&bundle).expect("encode");
        let bundle = serde_json::from_str(&text).expect("decode");
        verify_bundle(
            &bundle,
            &AuditOptions {
                trusted: TrustedKeys::new(vec![signer().verifier_key()]),
                known_checkpoints: vec![KnownCheckpoint {
                    label: "kept".into(),
                    note: self.kept.clone(),
                }],
                min_witnesses: 0,
            },
        )
        .expect("verifiable")
    }

    /// A connection that bypasses the append-only triggers, as an insider's superuser session would.
    async fn insider(&self) -> Insider {
        let mut conn = match self.backend {
            Backend::Postgres => Insider::Pg(
                sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect"),
            ),
            Backend::Sqlite => Insider::Lite(
                sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect"),
            ),
        };
        match self.backend {
            Backend::Postgres => {
                conn.run("SET session_replication_role = replica", &[])
                    .await
            }
            Backend::Sqlite => {
                conn.run("DROP TRIGGER events_refuse_update", &[]).await;
                conn.run("DROP TRIGGER events_refuse_delete", &[]).await;
            }
        }
        conn
    }

    async fn global_order(&self) -> Vec<RecordedEvent> {
        let mut out = Vec::new();
        let mut after = store::Checkpoint::START;
        loop {
            let page = self.store.read_all(&after, 100).await.expect("read");
            if page.events.is_empty() {
                return out;
            }
            after = page.next;
            out.extend(page.events);
        }
    }
}

fn assert_intact(report: &Report) {
    assert!(report.intact, "expected intact, got {:#?}", report.findings);
}

fn assert_caught(report: &Report, at_leaf: Option<u64>, kinds: &[FindingKind]) {
    assert!(!report.intact, "the tampering went unnoticed");
    let first = report.first_bad().expect("a finding");
    assert!(
        kinds.contains(&first.kind),
        "first finding {first} is not one of {kinds:?}; all: {:#?}",
        report.findings
    );
    if let Some(leaf) = at_leaf {
        assert_eq!(first.leaf_index, Some(leaf), "first finding {first}");
    }
}

async fn untouched(backend: Backend) {
    let w = world(backend).await;
    assert_intact(&w.verify(Scope::All).await);
    assert_intact(
        &w.verify(Scope::Stream {
            stream_id: w.cases[1].to_string(),
        })
        .await,
    );
    assert_intact(&w.verify(Scope::Range { from: 3, to: 9 }).await);
    let report = w.verify(Scope::All).await;
    assert_eq!(report.events_covered, 14);
    assert_eq!(report.newest_checkpoint.map(|c| c.0), Some(14));
}

async fn delete_last_events_of_a_case(backend: Backend) {
    let w = world(backend).await;
    let mut conn = w.insider().await;
    conn.run(
        "DELETE FROM events WHERE stream_id = $1 AND version >= 5",
        &[Some(w.cases[0].to_string())],
    )
    .await;
    // The case's own chain still looks whole.
    let chain = w
        .store
        .verify_stream(&w.cases[0])
        .await
        .expect("verify stream");
    assert!(
        chain.is_intact(),
        "the per-case chain cannot see a deleted suffix"
    );
    assert_caught(
        &w.verify(Scope::All).await,
        None,
        &[FindingKind::Truncated, FindingKind::Rollback],
    );
    assert_caught(
        &w.verify(Scope::Range { from: 10, to: 14 }).await,
        None,
        &[
            FindingKind::Truncated,
            FindingKind::MissingLeaf,
            FindingKind::MissingProof,
            FindingKind::Rollback,
        ],
    );
}

async fn delete_a_middle_event(backend: Backend) {
    let w = world(backend).await;
    let order = w.global_order().await;
    let victim = &order[4]; // case 1, version 2
    let mut conn = w.insider().await;
    let sql = match w.backend {
        Backend::Postgres => "DELETE FROM events WHERE event_id = $1::uuid",
        Backend::Sqlite => "DELETE FROM events WHERE event_id = $1",
    };
    conn.run(sql, &[Some(victim.event_id.to_string())]).await;
    assert_caught(
        &w.verify(Scope::All).await,
        Some(4),
        &[
            FindingKind::NotInCheckpoint,
            FindingKind::MissingLeaf,
            FindingKind::BrokenLink,
            FindingKind::VersionGap,
        ],
    );
}

async fn rewrite_a_decision(backend: Backend) {
    let w = world(backend).await;
    let case = &w.cases[2];
    let mut events = w.store.read_stream(case).await.expect("read");
    // Version 3 is the decision; rewrite its outcome and recompute every hash after it, chain and all.
    events[2].payload = json!({"outcome": "upheld", "reason": "founded"});
    for i in 2..events.len() {
        if i > 0 {
            events[i].prev_hash = events[i - 1].hash.clone();
        }
        events[i].hash = store::hash::hash_of(&events[i]);
    }
    let decided_at = w
        .global_order()
        .await
        .iter()
        .position(|e| e.event_id == events[2].event_id)
        .expect("decision") as u64;
    let mut conn = w.insider().await;
    for e in &events[2..] {
        let sql = match w.backend {
            Backend::Postgres => {
                "UPDATE events SET payload = $1::jsonb, prev_hash = $2, hash = $3 WHERE event_id = $4::uuid"
            }
            Backend::Sqlite => {
                "UPDATE events SET payload = $1, prev_hash = $2, hash = $3 WHERE event_id = $4"
            }
        };
        let binds = [
            Some(e.payload.to_string()),
            Some(e.prev_hash.clone()),
            Some(e.hash.clone()),
            Some(e.event_id.to_string()),
        ];
        conn.run(sql, &binds).await;
    }
    let chain = w.store.verify_stream(case).await.expect("verify stream");
    assert!(
        chain.is_intact(),
        "a consistent rewrite keeps the chain intact"
    );
    assert_eq!(
        w.store.read_stream(case).await.expect("read")[2].payload["outcome"],
        "upheld"
    );
    assert_caught(
        &w.verify(Scope::All).await,
        Some(decided_at),
        &[FindingKind::NotInCheckpoint, FindingKind::RootMismatch],
    );
    assert_caught(
        &w.verify(Scope::Stream {
            stream_id: case.to_string(),
        })
        .await,
        Some(decided_at),
        &[FindingKind::NotInCheckpoint],
    );
}

async fn swap_two_events(backend: Backend) {
    let w = world(backend).await;
    let order = w.global_order().await;
    // Leaves 6 and 7: case 0 and case 1, version 3 each; swapping them keeps both chains intact.
    let (a, b) = (&order[6], &order[7]);
    assert_ne!(a.stream_id, b.stream_id);
    let mut conn = w.insider().await;
    let statements: Vec<String> = match w.backend {
        Backend::Postgres => vec![
            format!(
                "UPDATE events SET global_position = -1 WHERE global_position = {}",
                a.global_position
            ),
            format!(
                "UPDATE events SET global_position = {}, transaction_id = '{}'::text::xid8 WHERE global_position = {}",
                a.global_position, a.transaction_id, b.global_position
            ),
            format!(
                "UPDATE events SET global_position = {}, transaction_id = '{}'::text::xid8 WHERE global_position = -1",
                b.global_position, b.transaction_id
            ),
        ],
        Backend::Sqlite => vec![
            format!(
                "UPDATE events SET global_position = -1 WHERE global_position = {}",
                a.global_position
            ),
            format!(
                "UPDATE events SET global_position = {} WHERE global_position = {}",
                a.global_position, b.global_position
            ),
            format!(
                "UPDATE events SET global_position = {} WHERE global_position = -1",
                b.global_position
            ),
        ],
    };
    for s in statements {
        conn.run(&s, &[]).await;
    }
    let after = w.global_order().await;
    assert_eq!(after[6].event_id, b.event_id, "the swap took effect");
    for case in &w.cases {
        assert!(
            w.store
                .verify_stream(case)
                .await
                .expect("verify")
                .is_intact()
        );
    }
    assert_caught(
        &w.verify(Scope::All).await,
        Some(6),
        &[FindingKind::NotInCheckpoint, FindingKind::RootMismatch],
    );
}

#[tokio::test]
async fn postgres_untouched_store_is_intact() {
    untouched(Backend::Postgres).await;
}
#[tokio::test]
async fn postgres_deleted_last_events_of_a_case_are_caught() {
    delete_last_events_of_a_case(Backend::Postgres).await;
}
#[tokio::test]
async fn postgres_deleted_middle_event_is_caught() {
    delete_a_middle_event(Backend::Postgres).await;
}
#[tokio::test]
async fn postgres_consistently_rewritten_decision_is_caught() {
    rewrite_a_decision(Backend::Postgres).await;
}
#[tokio::test]
async fn postgres_swapped_events_are_caught() {
    swap_two_events(Backend::Postgres).await;
}
#[tokio::test]
async fn sqlite_untouched_store_is_intact() {
    untouched(Backend::Sqlite).await;
}
#[tokio::test]
async fn sqlite_deleted_last_events_of_a_case_are_caught() {
    delete_last_events_of_a_case(Backend::Sqlite).await;
}
#[tokio::test]
async fn sqlite_deleted_middle_event_is_caught() {
    delete_a_middle_event(Backend::Sqlite).await;
}
#[tokio::test]
async fn sqlite_consistently_rewritten_decision_is_caught() {
    rewrite_a_decision(Backend::Sqlite).await;
}
#[tokio::test]
async fn sqlite_swapped_events_are_caught() {
    swap_two_events(Backend::Sqlite).await;
}

/// A session that bypasses the append-only triggers, on either backend.
enum Insider {
    Pg(sqlx::PgConnection),
    Lite(sqlx::SqliteConnection),
}

impl Insider {
    /// Runs one statement with text (or NULL) parameters, and panics if it fails.
    async fn run(&mut self, sql: &str, binds: &[Option<String>]) {
        match self {
            Insider::Pg(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.clone());
                }
                q.execute(c).await.map(drop)
            }
            Insider::Lite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.clone());
                }
                q.execute(c).await.map(drop)
            }
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
