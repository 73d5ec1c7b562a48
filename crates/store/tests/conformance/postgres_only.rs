//! Why PostgreSQL needs the transaction horizon (ADR 0002): a deterministic interleaving in which a reader
//! that follows `global_position` loses an event for ever, while `read_all` delivers it.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use store::hash::{GENESIS_PREV_HASH, compute_hash};
use store::{Checkpoint, EventMetadata, StreamId};
use uuid::Uuid;

use crate::fixtures::{new_stream, read_at_least};
use crate::harness::{Raw, make_pg_store};

/// Inserts version 1 of `stream` with a valid hash, inside the caller's transaction (which must not have
/// written anything yet); returns its position.
pub async fn insert_first_event(conn: &mut PgConnection, stream: &StreamId) -> i64 {
    sqlx::query(store::postgres::APPENDER_LOCK)
        .execute(&mut *conn)
        .await
        .expect("the appenders' lock");
    let (event_id, at, payload) = (
        Uuid::new_v4(),
        Utc::now().trunc_subsecs(6),
        json!({"raw": true}),
    );
    let metadata = EventMetadata {
        command_id: Uuid::new_v4(),
        actor: "test".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        rulebook_version: None,
    };
    let hash = compute_hash(
        GENESIS_PREV_HASH,
        stream,
        1,
        event_id,
        "test.raw",
        1,
        at,
        &payload,
        None,
        &metadata,
    );
    sqlx::query_scalar(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         command_id, actor, correlation_id, prev_hash, hash) \
         VALUES ($1, $2, 1, $3, 'test.raw', 1, $4, $5, 'test', $6, $7, $8) RETURNING global_position",
    )
    .bind(event_id)
    .bind(stream.as_str())
    .bind(at)
    .bind(sqlx::types::Json(&payload))
    .bind(metadata.command_id)
    .bind(metadata.correlation_id)
    .bind(GENESIS_PREV_HASH)
    .bind(&hash)
    .fetch_one(conn)
    .await
    .expect("raw insert")
}

/// The design every major PostgreSQL event store once shipped, kept here only to show that it is wrong.
async fn naive_read(pool: &PgPool, last: &mut i64) -> Vec<i64> {
    let positions: Vec<i64> = sqlx::query_scalar(
        "SELECT global_position FROM events WHERE global_position > $1 ORDER BY global_position",
    )
    .bind(*last)
    .fetch_all(pool)
    .await
    .expect("naive read");
    if let Some(p) = positions.last() {
        *last = *p;
    }
    positions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_naive_position_reader_skips_an_event_that_read_all_delivers() {
    let db = make_pg_store().await;
    let Raw::Postgres { pool, .. } = &db.raw else {
        panic!("a PostgreSQL test database")
    };
    let (stream_a, stream_b) = (new_stream(), new_stream());

    // Transaction A takes position p and stays open; transaction B takes p' > p and commits first.
    let mut a = pool.begin().await.expect("begin A");
    let p = insert_first_event(&mut a, &stream_a).await;
    let mut b = pool.begin().await.expect("begin B");
    let q = insert_first_event(&mut b, &stream_b).await;
    b.commit().await.expect("commit B");
    assert!(p < q, "A took the lower position");

    let mut naive_last = 0;
    let mut naive_seen = naive_read(pool, &mut naive_last).await;
    assert_eq!(
        naive_seen,
        vec![q],
        "the naive reader sees B and moves its checkpoint past p"
    );

    // read_all holds back: A is still running and could still commit below B.
    let page = db
        .store
        .read_all(&Checkpoint::START, 100)
        .await
        .expect("read_all");
    assert!(
        page.events.is_empty(),
        "nothing is readable past the horizon of the open transaction A: {page:?}"
    );
    assert_eq!(db.store.head().await.expect("head"), Checkpoint::START);

    a.commit().await.expect("commit A");
    // Give the naive reader every chance: it still never sees p, because its checkpoint is already past it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    naive_seen.extend(naive_read(pool, &mut naive_last).await);
    assert_eq!(
        naive_seen,
        vec![q],
        "THE BUG: the naive reader skipped position {p} for ever"
    );

    let delivered = read_at_least(db.store.as_ref(), Checkpoint::START, 100, 2).await;
    let positions: Vec<i64> = delivered.iter().map(|e| e.global_position).collect();
    assert_eq!(
        positions,
        vec![p, q],
        "read_all delivers A's event, then B's, once A has committed"
    );
    assert_eq!(delivered[0].stream_id, stream_a);
    assert!(
        db.store
            .verify_stream(&stream_a)
            .await
            .expect("verify")
            .is_intact()
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_cannot_forge_its_transaction_id_below_the_horizon() {
    let db = make_pg_store().await;
    let Raw::Postgres { pool, .. } = &db.raw else {
        panic!("a PostgreSQL test database")
    };
    let stream = new_stream();
    let mut tx = pool.begin().await.expect("begin");
    let position = insert_first_event(&mut tx, &stream).await;
    let (real, own): (String, String) = sqlx::query_as(
        "SELECT transaction_id::text, pg_current_xact_id()::text FROM events WHERE global_position = $1",
    )
    .bind(position)
    .fetch_one(&mut *tx)
    .await
    .expect("read back");
    assert_eq!(real, own);
    // Even an explicit value is overwritten by the trigger with the real transaction id.
    let forged = sqlx::query(
        "INSERT INTO events (transaction_id, event_id, stream_id, version, recorded_at, event_type, schema_version, \
         payload, command_id, actor, correlation_id, prev_hash, hash) \
         VALUES ('3'::xid8, $1, $2, 2, now(), 'test.forged', 1, '{}', $1, 'test', $1, $3, $3) \
         RETURNING transaction_id::text",
    )
    .bind(Uuid::new_v4())
    .bind(stream.as_str())
    .bind(GENESIS_PREV_HASH)
    .fetch_one(&mut *tx)
    .await
    .map(|row| sqlx::Row::get::<String, _>(&row, 0))
    .expect("insert with a forged transaction id");
    assert_eq!(forged, own, "the forged transaction id 3 was replaced");
    tx.rollback().await.expect("rollback");
    db.finish().await;
}
