//! The PostgreSQL global order under attack (ADR 0002): transaction ids across digit boundaries, transactions of
//! strangers that must not stall readers, appenders that must, stuck appenders bounded by the store's own session
//! limits, and transaction ids that restart below the stored ones after a logical restore.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};
use store::{Checkpoint, EventStore, ExpectedVersion, RecordedEvent};
use uuid::Uuid;

use crate::fixtures::{events, meta, new_stream, read_at_least};
use crate::harness::{Raw, TestDb, make_pg_store, service_url, with_database};
use crate::postgres_only::insert_first_event;

fn raw_pool(db: &TestDb) -> &PgPool {
    let Raw::Postgres { pool, .. } = &db.raw else {
        panic!("a PostgreSQL test database")
    };
    pool
}

/// Adds an epoch whose offset makes the next transaction id of the cluster about `next_id` (privileged: the
/// test connects as the owner). Returns false when the cluster's counter is already past that id.
async fn place_next_transaction_id(pool: &PgPool, next_id: u64) -> bool {
    let mut tx = pool.begin().await.expect("begin");
    let raw: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *tx)
        .await
        .expect("current xid");
    let epoch: i32 = sqlx::query_scalar("SELECT max(epoch) + 1 FROM transaction_id_offsets")
        .fetch_one(&mut *tx)
        .await
        .expect("next epoch");
    let offset = i64::try_from(next_id).expect("small") - raw - 1;
    let placed = sqlx::query(
        "INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) VALUES ($1, $2, 'test')",
    )
    .bind(epoch)
    .bind(offset)
    .execute(&mut *tx)
    .await;
    match placed {
        Ok(_) => {
            tx.commit().await.expect("commit");
            true
        }
        Err(_) => false,
    }
}

async fn append_one(store: &dyn EventStore) -> RecordedEvent {
    let outcome = store
        .append(&new_stream(), ExpectedVersion::NoStream, events(1), &meta())
        .await
        .expect("append");
    outcome.events.into_iter().next().expect("one event")
}

/// Every event once, in strictly increasing checkpoint order, for a page size.
async fn read_everything(store: &dyn EventStore, page: usize) -> Vec<RecordedEvent> {
    let mut at = Checkpoint::START;
    let mut all = Vec::new();
    loop {
        let next = store.read_all(&at, page).await.expect("read_all");
        if next.events.is_empty() {
            return all;
        }
        at = next.next;
        all.extend(next.events);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_order_is_numeric_across_digit_boundaries_of_transaction_ids_and_positions() {
    let db = make_pg_store().await;
    let pool = raw_pool(&db);
    // Positions cross 99,999 → 100,000 too.
    sqlx::query("SELECT setval(pg_get_serial_sequence('events', 'global_position'), 99997)")
        .execute(pool)
        .await
        .expect("setval");
    let mut appended = Vec::new();
    for boundary in [100_000u64, 1_000_000, 10_000_000, 100_000_000] {
        // Other tests share the cluster's counter: place it a little below the boundary, then append until
        // this store has ids on both sides of it.
        assert!(
            place_next_transaction_id(pool, boundary - 30).await,
            "placing the ids below {boundary}"
        );
        let (mut below, mut above) = (false, false);
        for _ in 0..200 {
            let event = append_one(db.store.as_ref()).await;
            below |= event.transaction_id < boundary;
            above |= event.transaction_id >= boundary;
            appended.push(event);
            if above {
                break;
            }
        }
        assert!(below && above, "ids on both sides of {boundary}");
    }
    let positions: Vec<i64> = appended.iter().map(|e| e.global_position).collect();
    assert!(
        positions.contains(&99_999) && positions.contains(&100_000),
        "{positions:?}"
    );
    let ids: HashSet<Uuid> = appended.iter().map(|e| e.event_id).collect();
    let last = appended
        .iter()
        .map(RecordedEvent::checkpoint)
        .max()
        .expect("events");
    for page in [1, 3, 1000] {
        let all = read_everything(db.store.as_ref(), page).await;
        let checkpoints: Vec<Checkpoint> = all.iter().map(RecordedEvent::checkpoint).collect();
        assert!(
            checkpoints.windows(2).all(|w| w[0] < w[1]),
            "strictly increasing in pages of {page}: {checkpoints:?}"
        );
        assert_eq!(all.len(), appended.len(), "every event, in pages of {page}");
        assert_eq!(all.iter().map(|e| e.event_id).collect::<HashSet<_>>(), ids);
        assert_eq!(checkpoints.last(), Some(&last));
    }
    assert_eq!(
        db.store.head().await.expect("head"),
        last,
        "head is the numerically last event"
    );
    // Resuming from just below a boundary finds exactly the events above it.
    let before = appended
        .iter()
        .filter(|e| e.transaction_id < 1_000_000)
        .map(RecordedEvent::checkpoint)
        .max()
        .expect("an event below 1,000,000");
    let rest = read_everything_after(db.store.as_ref(), before).await;
    assert_eq!(
        rest.len(),
        appended
            .iter()
            .filter(|e| e.transaction_id >= 1_000_000)
            .count()
    );
    assert!(rest.iter().all(|e| e.transaction_id >= 1_000_000));
    db.finish().await;
}

async fn read_everything_after(store: &dyn EventStore, mut at: Checkpoint) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    loop {
        let next = store.read_all(&at, 2).await.expect("read_all");
        if next.events.is_empty() {
            return all;
        }
        at = next.next;
        all.extend(next.events);
    }
}

/// Appends one event and expects `read_all` to deliver it within five seconds.
async fn appended_event_is_readable_promptly(db: &TestDb, why: &str) {
    let start = db.store.head().await.expect("head");
    let event = append_one(db.store.as_ref()).await;
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        read_at_least(db.store.as_ref(), start, 100, 1),
    )
    .await
    .unwrap_or_else(|_| panic!("{why}: a committed event was not readable within 5 s"));
    assert_eq!(read[0].event_id, event.event_id, "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_write_transaction_in_another_database_stalls_nothing() {
    let db = make_pg_store().await;
    let Raw::Postgres { admin_url, .. } = &db.raw else {
        panic!("PostgreSQL")
    };
    let stranger = format!("petition_stranger_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(admin_url).await.expect("admin");
    sqlx::raw_sql(&format!("CREATE DATABASE {stranger}"))
        .execute(&mut admin)
        .await
        .expect("create the stranger's database");
    let mut other = PgConnection::connect(&with_database(admin_url, &stranger))
        .await
        .expect("connect to the stranger's database");
    // A DBA's open psql, a migration, a reporting job: a write transaction that stays open.
    sqlx::raw_sql("BEGIN; CREATE TABLE report (n int); INSERT INTO report VALUES (1);")
        .execute(&mut other)
        .await
        .expect("open a write transaction");
    appended_event_is_readable_promptly(&db, "a transaction open in another database").await;
    let _ = other.close().await;
    sqlx::raw_sql(&format!("DROP DATABASE {stranger} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop the stranger's database");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_non_appending_write_transaction_in_the_same_database_stalls_nothing_and_cannot_append()
 {
    let db = make_pg_store().await;
    let pool = raw_pool(&db);
    sqlx::raw_sql("CREATE TABLE scratch (n int)")
        .execute(pool)
        .await
        .expect("scratch table");
    let mut other = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO scratch VALUES (1)")
        .execute(&mut *other)
        .await
        .expect("a write that assigns a transaction id");
    appended_event_is_readable_promptly(&db, "a non-appending transaction in the same database")
        .await;
    // Such a transaction is ignored by readers only because it can never write an event: taking the
    // appenders' lock now, with an id already assigned, does not let it insert.
    sqlx::query(store::postgres::APPENDER_LOCK)
        .execute(&mut *other)
        .await
        .expect("the lock itself is granted");
    let refused = sqlx::query(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         command_id, actor, correlation_id, prev_hash, hash) \
         VALUES ($1, 'case-late', 1, now(), 'test.late', 1, '{}', $1, 'test', $1, repeat('0', 64), repeat('0', 64))",
    )
    .bind(Uuid::new_v4())
    .execute(&mut *other)
    .await
    .expect_err("an insert after another write is refused");
    assert!(refused.to_string().contains("appenders' lock"), "{refused}");
    other.rollback().await.expect("rollback");
    // And without the lock at all.
    let mut bare = pool.begin().await.expect("begin");
    let refused = sqlx::query(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         command_id, actor, correlation_id, prev_hash, hash) \
         VALUES ($1, 'case-bare', 1, now(), 'test.bare', 1, '{}', $1, 'test', $1, repeat('0', 64), repeat('0', 64))",
    )
    .bind(Uuid::new_v4())
    .execute(&mut *bare)
    .await
    .expect_err("an insert without the appenders' lock is refused");
    assert!(refused.to_string().contains("appenders' lock"), "{refused}");
    bare.rollback().await.expect("rollback");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appender_that_has_locked_but_not_yet_written_is_read_after_the_events_committed_meanwhile()
 {
    let db = make_pg_store().await;
    let pool = raw_pool(&db);
    // A has taken the appenders' lock (first statement) but has no transaction id yet.
    let mut a = pool.begin().await.expect("begin A");
    sqlx::query(store::postgres::APPENDER_LOCK)
        .execute(&mut *a)
        .await
        .expect("A locks");
    // B appends and commits; a reader passes it without waiting for A.
    let b = append_one(db.store.as_ref()).await;
    let seen = tokio::time::timeout(
        Duration::from_secs(5),
        read_at_least(db.store.as_ref(), Checkpoint::START, 100, 1),
    )
    .await
    .expect("B is readable while A has not written");
    assert_eq!(seen[0].event_id, b.event_id);
    let after_b = seen[0].checkpoint();
    // A writes now: its id is assigned after B committed, so it lands after the reader's checkpoint.
    let stream = new_stream();
    // (Taking the shared lock again, as this helper does, keeps the proof at 'none': A has no id yet.)
    insert_first_event(&mut a, &stream).await;
    // While A is open and has written, the horizon holds: nothing after B is readable…
    let c = append_one(db.store.as_ref()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let page = db.store.read_all(&after_b, 100).await.expect("read_all");
    assert!(
        page.events.is_empty(),
        "C is held back behind the open appender A: {page:?}"
    );
    a.commit().await.expect("commit A");
    // …and once it commits, A then C arrive after B: nothing skipped.
    let rest = read_at_least(db.store.as_ref(), after_b, 100, 2).await;
    assert_eq!(rest[0].stream_id, stream, "A's event");
    assert_eq!(rest[1].event_id, c.event_id, "then C");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_bounds_its_own_sessions_so_a_stuck_appender_holds_readers_back_only_briefly() {
    let db = make_pg_store().await;
    let Raw::Postgres {
        store,
        admin_url,
        database,
        ..
    } = &db.raw
    else {
        panic!("PostgreSQL")
    };
    // Every pooled session of the store carries the limits.
    for (name, value) in store::postgres::SESSION_LIMITS {
        let shown: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(store.pool())
            .await
            .expect("SHOW");
        assert_eq!(shown, value, "{name} on the store's sessions");
    }
    // A stuck appender: it has written an event and then stops talking (a frozen process). The real limit is
    // 10 s; this session uses 1 s so the test is quick.
    let mut stuck = PgConnection::connect(&service_url(&with_database(admin_url, database)))
        .await
        .expect("connect");
    sqlx::raw_sql("SET idle_in_transaction_session_timeout = '1s'; BEGIN")
        .execute(&mut stuck)
        .await
        .expect("begin");
    insert_first_event(&mut stuck, &new_stream()).await;
    let start = db.store.head().await.expect("head");
    let event = append_one(db.store.as_ref()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let age = db.store.oldest_open_append().await.expect("lag");
    assert!(
        age.is_some_and(|a| a >= Duration::from_millis(100)),
        "the stuck appender shows in the lag: {age:?}"
    );
    assert!(
        db.store
            .read_all(&start, 10)
            .await
            .expect("read")
            .events
            .is_empty(),
        "the stuck appender holds the horizon"
    );
    let released = tokio::time::timeout(
        Duration::from_secs(8),
        read_at_least(db.store.as_ref(), start, 10, 1),
    )
    .await
    .expect("the server ends the stuck session and readers move on");
    assert_eq!(
        released.len(),
        1,
        "the stuck appender's event never appears"
    );
    assert_eq!(released[0].event_id, event.event_id);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_ids_that_restart_below_the_stored_ones_get_a_new_epoch_and_readers_miss_nothing()
 {
    let db = make_pg_store().await;
    let pool = raw_pool(&db);
    // The events of the old cluster: ids far above this server's counter.
    assert!(place_next_transaction_id(pool, 5_000_000_000).await);
    for _ in 0..3 {
        append_one(db.store.as_ref()).await;
    }
    let reader_at =
        read_at_least(db.store.as_ref(), Checkpoint::START, 100, 3).await[2].checkpoint();
    // The restore: the counter of the new cluster is back near zero. (A superuser bypasses the offsets'
    // checks, as pg_restore does by loading rows before the triggers exist.)
    sqlx::raw_sql(
        "SET session_replication_role = replica; \
         INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) \
         SELECT max(epoch) + 1, 0, 'simulated restore' FROM transaction_id_offsets; \
         RESET session_replication_role",
    )
    .execute(pool)
    .await
    .expect("simulate the restore");
    let lost = append_one(db.store.as_ref()).await;
    assert!(
        lost.checkpoint() < reader_at,
        "without a new epoch an event lands below the reader's checkpoint, where it would never be read"
    );
    // `migrate` (run at every start) notices and opens a new epoch.
    // (As the owner: the service role may not change the offsets.)
    let Raw::Postgres {
        store: service,
        admin_url,
        database,
        ..
    } = &db.raw
    else {
        panic!("PostgreSQL")
    };
    let refused = service
        .migrate()
        .await
        .expect_err("the service role cannot realign");
    assert!(
        refused.to_string().contains("petition migrate"),
        "{refused}"
    );
    let store = store::postgres::PgStore::connect(&with_database(admin_url, database))
        .await
        .expect("migrate realigns, as the owner");
    let epochs: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_id_offsets")
        .fetch_one(pool)
        .await
        .expect("epochs");
    assert!(epochs >= 4, "a new epoch was recorded");
    let after = append_one(db.store.as_ref()).await;
    assert!(
        after.checkpoint() > reader_at,
        "new events land after every stored one"
    );
    let read = read_at_least(db.store.as_ref(), reader_at, 100, 1).await;
    assert_eq!(read.last().map(|e| e.event_id), Some(after.event_id));
    // A second migrate changes nothing.
    store.migrate().await.expect("migrate");
    store.close().await;
    let again: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_id_offsets")
        .fetch_one(pool)
        .await
        .expect("epochs");
    assert_eq!(again, epochs);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_that_would_move_ids_backwards_is_refused() {
    let db = make_pg_store().await;
    let pool = raw_pool(&db);
    assert!(place_next_transaction_id(pool, 7_000_000_000).await);
    append_one(db.store.as_ref()).await;
    assert!(
        !place_next_transaction_id(pool, 1_000).await,
        "ids may never be placed below a stored one"
    );
    db.finish().await;
}
