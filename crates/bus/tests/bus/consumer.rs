//! The JetStream source with a read model that keeps its checkpoint in the same SQLite transaction as
//! its rows: crashes before the ack are redelivered and applied once; failures are retried, then
//! dead-lettered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bus::{ConsumerConfig, JetStreamSource, Relay, StreamSettings};
use feed::{Delivery, EventHandler, EventSource, HandlerError};
use sqlx::SqlitePool;
use store::Checkpoint;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::harness::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A counter read model: one row per applied event and the checkpoint, written in one transaction.
#[derive(Debug)]
struct Counter {
    pool: SqlitePool,
    /// Index (0-based, in global order) of the event on which the process "dies" after committing.
    die_after_commit: Option<usize>,
    /// Index of the event on which it "dies" before committing.
    die_before_commit: Option<usize>,
    /// Index of the event that fails transiently twice, and of the one that fails permanently.
    transient: Option<usize>,
    permanent: Option<usize>,
    order: Vec<Uuid>,
    died: Arc<Notify>,
    crashed_once: [AtomicBool; 2],
}

impl Counter {
    async fn new(order: Vec<Uuid>) -> Self {
        let dir = std::env::temp_dir().join(format!("bus-counter-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}/counter.db?mode=rwc", dir.display());
        let pool = SqlitePool::connect(&url).await.expect("pool");
        sqlx::raw_sql(
            "CREATE TABLE applied (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
             CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), tx INTEGER, pos INTEGER);",
        )
        .execute(&pool)
        .await
        .expect("schema");
        Self {
            pool,
            die_after_commit: None,
            die_before_commit: None,
            transient: None,
            permanent: None,
            order,
            died: Arc::new(Notify::new()),
            crashed_once: [AtomicBool::new(false), AtomicBool::new(false)],
        }
    }

    async fn applied(&self) -> Vec<Uuid> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT event_id FROM applied ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .expect("rows");
        rows.iter().map(|r| r.0.parse().expect("uuid")).collect()
    }

    /// Blocks for ever the first time, like a process that died at this point.
    async fn die_once(&self, which: usize) {
        if !self.crashed_once[which].swap(true, Ordering::SeqCst) {
            self.died.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl EventHandler for Counter {
    fn name(&self) -> &str {
        "counter_test"
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT tx, pos FROM checkpoint WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        Ok(row.map(|(tx, pos)| Checkpoint {
            transaction_id: tx as u64,
            global_position: pos,
        }))
    }

    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let index = self
            .order
            .iter()
            .position(|id| *id == delivery.event.event_id)
            .expect("known event");
        if self.transient == Some(index) && delivery.attempt <= 2 {
            return Err(HandlerError::Transient("database busy".into()));
        }
        if self.permanent == Some(index) {
            return Err(HandlerError::Permanent("cannot parse payload".into()));
        }
        if self.die_before_commit == Some(index) {
            self.die_once(0).await;
        }
        let cp = delivery.checkpoint();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        sqlx::query(
            "INSERT INTO applied (event_id, seq) VALUES (?, (SELECT COUNT(*) FROM applied))",
        )
        .bind(delivery.event.event_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| HandlerError::Permanent(format!("applied twice: {e}")))?;
        sqlx::query("INSERT INTO checkpoint (id, tx, pos) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET tx = excluded.tx, pos = excluded.pos")
            .bind(cp.transaction_id as i64)
            .bind(cp.global_position)
            .execute(&mut *tx)
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        tx.commit()
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if self.die_after_commit == Some(index) {
            self.die_once(1).await;
        }
        Ok(())
    }
}

fn fast_consumer() -> ConsumerConfig {
    ConsumerConfig {
        max_deliver: 3,
        backoff: vec![Duration::from_millis(100)],
        ack_wait: Duration::from_secs(1),
        fetch_wait: Duration::from_millis(300),
        ..Default::default()
    }
}

/// Publishes `cases` × 2 events and returns the store's order.
async fn published(nats: &NatsServer, cases: usize) -> Vec<Uuid> {
    let js = setup(nats).await;
    let store = sqlite_store().await;
    record_cases(store.as_ref(), cases, 1).await;
    let relay = Relay::new(store.clone(), connect(nats).await, fast_relay(64));
    while !relay.run_once().await.expect("relay").caught_up {}
    wait_for_stream(&js, (cases * 2) as u64, LIMIT).await;
    store_ids(store.as_ref()).await
}

#[tokio::test]
async fn a_consumer_that_crashes_before_the_ack_gets_the_event_again_and_applies_it_once() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let order = published(&nats, 10).await;
        let mut counter = Counter::new(order.clone()).await;
        counter.die_before_commit = Some(4);
        counter.die_after_commit = Some(11);
        let counter = Arc::new(counter);
        // Two crashes; each time a new "process" (source and connection) takes over.
        for _ in 0..2 {
            let source = JetStreamSource::new(
                connect(&nats).await,
                StreamSettings::default(),
                fast_consumer(),
            );
            let (_stop, shutdown) = watch::channel(false);
            let handler: Arc<dyn EventHandler> = counter.clone();
            let task = tokio::spawn(async move { source.run(handler, shutdown).await });
            counter.died.notified().await;
            task.abort();
            let _ = task.await;
        }
        let source = JetStreamSource::new(
            connect(&nats).await,
            StreamSettings::default(),
            fast_consumer(),
        );
        let handler: Arc<dyn EventHandler> = counter.clone();
        while counter.applied().await.len() < order.len() {
            source.run_once(&handler, 100).await.expect("run_once");
        }
        assert_eq!(
            counter.applied().await,
            order,
            "every event applied once, in order"
        );
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_dead_lettered_without_losing_order() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let order = published(&nats, 5).await;
        let mut counter = Counter::new(order.clone()).await;
        counter.transient = Some(2);
        counter.permanent = Some(6);
        let counter = Arc::new(counter);
        let js = connect(&nats).await;
        let source = JetStreamSource::new(js.clone(), StreamSettings::default(), fast_consumer());
        let handler: Arc<dyn EventHandler> = counter.clone();
        let mut total = feed::RunOutcome::default();
        while total.handled + total.dead_lettered < order.len() {
            let o = source.run_once(&handler, 100).await.expect("run_once");
            total.handled += o.handled;
            total.retried += o.retried;
            total.dead_lettered += o.dead_lettered;
        }
        assert_eq!(
            (total.handled, total.retried, total.dead_lettered),
            (9, 2, 1)
        );
        let expected: Vec<Uuid> = order
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 6)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(counter.applied().await, expected);
        let dlq = js.get_stream("PETITION_DLQ").await.expect("dlq stream");
        let letter = dlq.direct_get(1).await.expect("one dead letter");
        assert_eq!(letter.subject.as_str(), "petition.dlq.counter_test");
        assert_eq!(
            bus::cloudevents::get(&letter.headers, "ce-id"),
            Some(order[6].to_string().as_str())
        );
        assert!(
            bus::cloudevents::get(&letter.headers, "petition-dlq-reason")
                .is_some_and(|r| r.contains("parse"))
        );
    })
    .await
    .expect("test finished in time");
}
