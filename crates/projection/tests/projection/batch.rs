//! A live consumer applies a whole page per transaction: the rows are exactly those of one event at a time
//! (and of a rebuild), overlapping pages are harmless, a bad event stops its page where it is, and two
//! instances of a consumer, each with its folds cached in memory, may take turns.

use domain::PetitionKind;
use feed::{BatchError, Delivery, EventSource, HandlerError, StoreTail};
use projection::Projections;
use proptest::prelude::*;
use store::{Checkpoint, RecordedEvent};

use crate::harness::{BACKENDS, Backend, TestDb, test_db};
use crate::history::{History, accept, classify};
use crate::rebuild::{dumps, play, scripted_steps};

fn deliveries(events: &[RecordedEvent]) -> Vec<Delivery> {
    events
        .iter()
        .map(|event| Delivery {
            event: event.clone(),
            attempt: 1,
        })
        .collect()
}

async fn read_everything(db: &TestDb) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    let mut cp = Checkpoint::START;
    loop {
        let page = db.store.read_all(&cp, 500).await.expect("read");
        if page.events.is_empty() {
            return all;
        }
        cp = page.next;
        all.extend(page.events);
    }
}

/// Empty read models in the same database: without their checkpoint rows, `connect` recreates the tables.
async fn reset(db: &TestDb) -> Projections {
    let pool = db::open(db::Role::ReadModels, &db.url, &db::PoolSettings::default())
        .await
        .expect("connect");
    db::on_pool!(&pool, p => sqlx::query("DELETE FROM projection_checkpoints")
        .execute(p)
        .await
        .map(drop))
    .expect("forget the checkpoints");
    pool.close().await;
    Projections::connect(&db.url).await.expect("reconnect")
}

/// One event at a time, then (from empty read models) pages of `batch` that each repeat the last `overlap`
/// events of the previous page, then everything again in one page: the same rows every time.
async fn batches_equal_single_deliveries(
    backend: Backend,
    steps: &[(usize, u8, u64)],
    batch: usize,
    overlap: usize,
) {
    let db = test_db(backend).await;
    let mut h = History::new();
    let mut cases = Vec::new();
    for &(slot, action, gap) in steps {
        play(&mut h, &mut cases, slot, action, gap);
    }
    h.append_to(&db.store, 0).await;
    let all = deliveries(&read_everything(&db).await);
    for handler in db.projections.handlers() {
        for d in &all {
            handler.handle(d).await.expect("handled");
        }
    }
    let single = dumps(&db.projections).await;

    let projections = reset(&db).await;
    let step = batch.saturating_sub(overlap).max(1);
    for handler in projections.handlers() {
        let mut start = 0;
        while start < all.len() {
            let end = (start + batch).min(all.len());
            handler.handle_batch(&all[start..end]).await.expect("page");
            start += step;
        }
        handler.handle_batch(&all).await.expect("redelivery");
        assert_eq!(
            handler.checkpoint().await.expect("checkpoint"),
            all.last().map(Delivery::checkpoint)
        );
    }
    assert_eq!(dumps(&projections).await, single);
}

#[tokio::test]
async fn pages_give_the_same_rows_as_single_deliveries_on_sqlite() {
    batches_equal_single_deliveries(BACKENDS[0], &scripted_steps(), 7, 2).await;
}

#[tokio::test]
async fn pages_give_the_same_rows_as_single_deliveries_on_postgres() {
    batches_equal_single_deliveries(BACKENDS[1], &scripted_steps(), 7, 2).await;
}

#[tokio::test]
async fn the_store_tail_hands_pages_and_the_rows_match_single_deliveries() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let mut cases = Vec::new();
    for (slot, action, gap) in scripted_steps() {
        play(&mut h, &mut cases, slot, action, gap);
    }
    h.append_to(&db.store, 0).await;
    let all = deliveries(&read_everything(&db).await);
    for handler in db.projections.handlers() {
        for d in &all {
            handler.handle(d).await.expect("handled");
        }
    }
    let single = dumps(&db.projections).await;
    let projections = reset(&db).await;
    let tail = StoreTail::new(db.store.clone()).with_page_size(10);
    for handler in projections.handlers() {
        let mut runs = 0;
        loop {
            let o = tail.run_once(&handler, 10).await.expect("tail");
            assert_eq!((o.retried, o.dead_lettered), (0, 0));
            if o.handled == 0 {
                break;
            }
            runs += 1;
        }
        assert_eq!(runs, all.len().div_ceil(10), "one call per page");
    }
    assert_eq!(dumps(&projections).await, single);
}

async fn a_gap_stops_the_page_at_the_event_after_it(backend: Backend) {
    let db = test_db(backend).await;
    let mut h = History::new();
    let a = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-03-02",
        1,
    );
    let b = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-03-02",
        1,
    );
    h.step(a, "2026-03-02", classify(true));
    h.step(b, "2026-03-02", classify(true));
    h.step(a, "2026-03-03", accept());
    // a1 b1 a2 b2 a3: deliver a1 b1 b2 a3, so a3 arrives after a gap (a2 missing).
    let events = deliveries(&h.events);
    let page = [&events[0], &events[1], &events[3], &events[4]].map(Clone::clone);
    for handler in db.projections.handlers() {
        let err = handler.handle_batch(&page).await.expect_err("a gap");
        let BatchError { applied, error } = err;
        assert_eq!(applied, 3, "{}: a1, b1, b2 were applied", handler.name());
        assert!(matches!(error, HandlerError::Permanent(m) if m.contains("version 3")));
        assert_eq!(
            handler.checkpoint().await.expect("checkpoint"),
            Some(page[2].checkpoint()),
            "the events before the gap are committed"
        );
    }
    let list = db
        .projections
        .list_cases(&Default::default(), crate::history::date("2026-03-04"))
        .await
        .expect("list");
    assert_eq!(list.items.len(), 2);
}

#[tokio::test]
async fn a_gap_stops_the_page_at_the_event_after_it_on_sqlite() {
    a_gap_stops_the_page_at_the_event_after_it(BACKENDS[0]).await;
}

#[tokio::test]
async fn a_gap_stops_the_page_at_the_event_after_it_on_postgres() {
    a_gap_stops_the_page_at_the_event_after_it(BACKENDS[1]).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn pages_of_any_size_on_a_random_history_give_the_same_rows_as_single_deliveries(
        steps in proptest::collection::vec(
            (0usize..6, prop_oneof![4 => 100u8..101, 1 => 0u8..16], prop_oneof![3 => 0u64..6, 1 => 30u64..70]),
            1..80,
        ),
        batch in 1usize..40,
        overlap in 0usize..5,
    ) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(batches_equal_single_deliveries(Backend::Sqlite, &steps, batch, overlap));
    }
}

#[tokio::test]
async fn a_page_is_applied_in_one_transaction_on_postgres() {
    let db = test_db(Backend::Postgres).await;
    let mut h = History::new();
    let mut cases = Vec::new();
    for (slot, action, gap) in scripted_steps() {
        play(&mut h, &mut cases, slot, action, gap);
    }
    h.append_to(&db.store, 0).await;
    let all = deliveries(&read_everything(&db).await);
    for handler in db.projections.handlers() {
        handler.handle_batch(&all).await.expect("page");
    }
    // Every row a page wrote carries the id of the one transaction that wrote it.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    for table in [
        "case_list",
        "case_deadlines",
        "case_list_snapshots",
        "stat_episodes",
    ] {
        let sql = format!("SELECT count(DISTINCT xmin::text) AS n, count(*) AS rows FROM {table}");
        let row = sqlx::query(&sql).fetch_one(&pool).await.expect("count");
        let (n, rows): (i64, i64) = (sqlx::Row::get(&row, "n"), sqlx::Row::get(&row, "rows"));
        assert!(rows > 1, "{table} has rows");
        assert_eq!(n, 1, "{table}: written by one transaction");
    }
}

/// Each instance's consumers in turn, page by page (pages of 5: with seven cases taking turns in the
/// history, each instance meets cases the other has moved since it cached them).
async fn take_turns(
    instances: &[Vec<std::sync::Arc<dyn feed::EventHandler>>; 2],
    all: &[Delivery],
) {
    for (turn, page) in all.chunks(5).enumerate() {
        for handler in &instances[turn % 2] {
            handler.handle_batch(page).await.expect("page");
        }
    }
}

/// The rows of a rebuild from scratch.
async fn from_scratch(db: &TestDb) -> Vec<Vec<String>> {
    projection::rebuild(&db.store, &db.projections, None)
        .await
        .expect("rebuilt");
    dumps(&db.projections).await
}

/// Two instances of each consumer, each keeping its own folds in memory between pages, take turns page by
/// page; then a rebuild swaps new tables in under them and they carry on. The rows are always those of a
/// rebuild from scratch.
async fn two_instances_taking_turns(backend: Backend) {
    let db = test_db(backend).await;
    let steps = scripted_steps();
    let (first, rest) = steps.split_at(steps.len() / 2);
    let mut h = History::new();
    let mut cases = Vec::new();
    for &(slot, action, gap) in first {
        play(&mut h, &mut cases, slot, action, gap);
    }
    h.append_to(&db.store, 0).await;
    let other = Projections::connect(&db.url)
        .await
        .expect("second instance");
    let instances = [db.projections.handlers(), other.handlers()];
    take_turns(&instances, &deliveries(&read_everything(&db).await)).await;
    let live = dumps(&db.projections).await;
    assert_eq!(live, from_scratch(&db).await);

    let appended = h.events.len();
    for &(slot, action, gap) in rest {
        play(&mut h, &mut cases, slot, action, gap);
    }
    h.append_to(&db.store, appended).await;
    take_turns(&instances, &deliveries(&read_everything(&db).await)).await;
    let later = dumps(&db.projections).await;
    assert_ne!(later, live, "the second half moved the read models");
    assert_eq!(later, from_scratch(&db).await);
}

#[tokio::test]
async fn two_instances_taking_turns_give_the_rows_of_a_rebuild_on_sqlite() {
    two_instances_taking_turns(BACKENDS[0]).await;
}

#[tokio::test]
async fn two_instances_taking_turns_give_the_rows_of_a_rebuild_on_postgres() {
    two_instances_taking_turns(BACKENDS[1]).await;
}
