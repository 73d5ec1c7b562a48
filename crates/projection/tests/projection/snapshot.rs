//! A snapshot the read model cannot decode (corrupt, or written by a build with another shape of fold) is
//! not permanent: the case is refolded from the event store and the read model ends exactly where a
//! rebuild from scratch puts it.

use domain::{Outcome, PetitionKind};
use feed::{Delivery, EventSource, HandlerError, StoreTail};
use projection::Projections;

use crate::harness::{BACKENDS, Backend, TestDb, test_db};
use crate::history::{History, accept, classify, decide_with};
use crate::rebuild::dumps;

const HK: &str = "UBND-HN.HOAN-KIEM";
const SNAPSHOT_TABLES: [&str; 2] = ["case_list_snapshots", "stat_snapshots"];

async fn catch_up(projections: &Projections, db: &TestDb) {
    let tail = StoreTail::new(db.store.clone());
    for handler in projections.handlers() {
        loop {
            let o = tail.run_once(&handler, 1000).await.expect("tail");
            assert_eq!(
                (o.retried, o.dead_lettered),
                (0, 0),
                "{} failed",
                handler.name()
            );
            if o.handled == 0 {
                break;
            }
        }
    }
}

/// How a snapshot row is spoiled.
#[derive(Debug, Clone, Copy)]
enum Spoil {
    /// Not JSON at all.
    Garbage,
    /// Valid JSON of another shape: the state has a field this build does not know.
    OtherShape,
}

/// A typed pool on the test database, to reach the snapshot rows directly.
async fn open_pool(db: &TestDb) -> ::db::Pool {
    ::db::open(
        ::db::Role::ReadModels,
        &db.url,
        &::db::PoolSettings::default(),
    )
    .await
    .expect("connect")
}

async fn spoil(db: &TestDb, case_id: &str, how: Spoil) {
    let pool = open_pool(db).await;
    for table in SNAPSHOT_TABLES {
        let sql = format!("SELECT fold FROM {table} WHERE case_id = '{case_id}'");
        let fold: String = ::db::on_pool!(&pool, p => sqlx::query_scalar(&sql).fetch_one(p).await)
            .expect("a snapshot exists");
        let spoiled = match how {
            Spoil::Garbage => "{not json".to_owned(),
            Spoil::OtherShape => {
                let mut value: serde_json::Value = serde_json::from_str(&fold).expect("json");
                value["state"]["field_of_another_build"] = serde_json::json!(true);
                value.to_string()
            }
        };
        let sql = format!(
            "UPDATE {table} SET fold = '{}' WHERE case_id = '{case_id}'",
            spoiled.replace('\'', "''")
        );
        let done = ::db::on_pool!(&pool, p => sqlx::query(&sql).execute(p).await.map(|d| d.rows_affected()))
            .expect("update");
        assert_eq!(done, 1);
    }
    pool.close().await;
}

async fn recovers(backend: Backend, how: Spoil) {
    let db = test_db(backend).await;
    let projections = db.projections.clone().with_store(db.store.clone());
    let mut h = History::new();
    let a = h.receive(PetitionKind::Complaint, HK, "2026-03-02", 1);
    h.step(a, "2026-03-02", classify(true));
    let b = h.receive(PetitionKind::Denunciation, HK, "2026-03-03", 1);
    h.append_to(&db.store, 0).await;
    catch_up(&projections, &db).await;

    spoil(&db, &a.to_string(), how).await;
    let appended = h.events.len();
    h.step(a, "2026-03-04", accept());
    h.step(a, "2026-03-20", decide_with(Outcome::Upheld));
    h.step(b, "2026-03-05", classify(true));
    h.append_to(&db.store, appended).await;

    // Without the store to refold from, the consumer stops at the first event of that case, naming why.
    // (The event as the store recorded it: its checkpoint is the store's, not the history's.)
    let stored = db
        .store
        .read_stream(&feed::case::stream_of(a))
        .await
        .expect("read");
    let next = Delivery {
        event: stored[2].clone(),
        attempt: 1,
    };
    assert_eq!(next.event.version, 3);
    for handler in db.projections.handlers() {
        let refused = handler.handle_batch(std::slice::from_ref(&next)).await;
        match refused {
            Err(e) => match e.error {
                HandlerError::Permanent(m) => assert!(m.contains("snapshot of case"), "{m}"),
                HandlerError::Transient(m) => {
                    panic!("{}: expected permanent, got {m}", handler.name())
                }
            },
            Ok(()) => panic!("{} applied an event on a corrupt snapshot", handler.name()),
        }
    }

    // With it, the case is refolded and the read model carries on, as if nothing had happened.
    catch_up(&projections, &db).await;
    let recovered = dumps(&projections).await;
    let rebuilt = projection::rebuild(&db.store, &projections, None)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.len(), 2);
    assert_eq!(
        recovered,
        dumps(&projections).await,
        "recovered rows differ from a rebuild"
    );
    // The spoiled snapshots were rewritten with the real fold.
    let pool = open_pool(&db).await;
    for table in SNAPSHOT_TABLES {
        let sql = format!("SELECT fold FROM {table} WHERE case_id = '{a}'");
        let fold: String =
            ::db::on_pool!(&pool, p => sqlx::query_scalar(&sql).fetch_one(p).await).expect("row");
        let fold: projection::fold::CaseFold = serde_json::from_str(&fold).expect("decodes");
        assert_eq!(fold.state.version, 4, "{table}");
    }
    pool.close().await;
}

#[tokio::test]
async fn a_garbage_snapshot_is_refolded_from_the_store_on_sqlite() {
    recovers(BACKENDS[0], Spoil::Garbage).await;
}

#[tokio::test]
async fn a_garbage_snapshot_is_refolded_from_the_store_on_postgres() {
    recovers(BACKENDS[1], Spoil::Garbage).await;
}

#[tokio::test]
async fn a_snapshot_of_another_shape_is_refolded_from_the_store_on_sqlite() {
    recovers(BACKENDS[0], Spoil::OtherShape).await;
}

#[tokio::test]
async fn a_snapshot_of_another_shape_is_refolded_from_the_store_on_postgres() {
    recovers(BACKENDS[1], Spoil::OtherShape).await;
}
