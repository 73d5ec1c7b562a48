//! Group commit (issue #14): concurrent appends share one transaction, a stream's commands in one batch apply
//! in the order they arrived, and a failing command fails only itself. The whole conformance suite also runs
//! with group commit on (`*_group_commit` modules); these cases pin what only a group commit can show.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use store::{
    Checkpoint, EventStore, ExpectedVersion, GroupCommitConfig, GroupCommitStore, StoreError,
};
use tokio::sync::Barrier;

use crate::fixtures::{events, meta, new_stream, read_at_least};
use crate::harness::{Raw, TestDb};

/// A group-commit store on the test's database that waits until `batch` commands are queued (or 5 s passed).
pub fn group(db: &TestDb, batch: usize) -> GroupCommitStore {
    with_config(
        db,
        GroupCommitConfig {
            max_batch: batch,
            max_wait: Duration::from_secs(5),
            queue: 1024,
            writers: 2,
        },
    )
}

pub fn with_config(db: &TestDb, config: GroupCommitConfig) -> GroupCommitStore {
    match &db.raw {
        Raw::Postgres { store, .. } => (**store).clone().group_commit(config),
        Raw::Sqlite { store, .. } => (**store).clone().group_commit(config),
    }
}

/// What the whole suite runs with when group commit is on: a short wait, so that concurrent cases batch.
const SUITE: GroupCommitConfig = GroupCommitConfig {
    max_batch: 64,
    max_wait: Duration::from_millis(2),
    queue: 1024,
    writers: 4,
};

pub async fn sqlite_store() -> TestDb {
    let mut db = crate::harness::make_sqlite_store().await;
    db.store = Arc::new(with_config(&db, SUITE));
    db
}

pub async fn pg_store() -> TestDb {
    let mut db = crate::harness::make_pg_store().await;
    db.store = Arc::new(with_config(&db, SUITE));
    db
}

pub async fn concurrent_appends_to_different_streams_share_one_transaction(db: &TestDb) {
    const WRITERS: usize = 16;
    let store = Arc::new(group(db, WRITERS));
    let start = Arc::new(Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (store, start) = (store.clone(), start.clone());
            tokio::spawn(async move {
                let stream = new_stream();
                start.wait().await;
                let outcome = store
                    .append(&stream, ExpectedVersion::NoStream, events(2), &meta())
                    .await
                    .expect("every append of the batch succeeds");
                (stream, outcome)
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        written.push(task.await.expect("writer task"));
    }
    let stats = store.stats();
    assert_eq!(
        (stats.transactions, stats.largest_batch, stats.retried_alone),
        (1, WRITERS as u64, 0),
        "{stats:?}"
    );
    let transactions: std::collections::BTreeSet<_> = written
        .iter()
        .flat_map(|(_, o)| o.events.iter().map(|e| e.transaction_id))
        .collect();
    assert_eq!(
        transactions.len(),
        1,
        "one database transaction wrote them all"
    );
    for (stream, outcome) in &written {
        assert_eq!(outcome.last_version, 2);
        let stored = store.read_stream(stream).await.expect("read");
        assert_eq!(stored, outcome.events, "the answer is what was stored");
        assert!(
            store
                .verify_stream(stream)
                .await
                .expect("verify")
                .is_intact()
        );
    }
    let seen = read_at_least(store.as_ref(), Checkpoint::START, 7, WRITERS * 2).await;
    let mut ids: Vec<_> = seen.iter().map(|e| e.event_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS * 2, "read_all delivers each event once");
}

pub async fn a_streams_commands_in_one_batch_apply_in_arrival_order(db: &TestDb) {
    const COMMANDS: u64 = 5;
    let store = group(db, COMMANDS as usize + 1);
    let stream = new_stream();
    let other = new_stream();
    let metas: Vec<_> = (0..COMMANDS).map(|_| meta()).collect();
    let other_meta = meta();
    // `join_all` polls in order, so the commands reach the queue in this order.
    let mut appends: Vec<_> = (0..COMMANDS)
        .map(|n| {
            let expected = if n == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(n)
            };
            store.append(&stream, expected, events(1), &metas[n as usize])
        })
        .collect();
    appends.insert(
        2,
        store.append(&other, ExpectedVersion::NoStream, events(1), &other_meta),
    );
    let outcomes: Vec<_> = join_all(appends)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("each command expects the version the one before it wrote");
    assert_eq!(store.stats().transactions, 1, "{:?}", store.stats());
    let versions: Vec<_> = outcomes
        .iter()
        .filter(|o| o.stream_id == stream)
        .map(|o| o.last_version)
        .collect();
    assert_eq!(versions, (1..=COMMANDS).collect::<Vec<_>>());
    let stored = store.read_stream(&stream).await.expect("read");
    for (event, meta) in stored.iter().zip(&metas) {
        assert_eq!(
            event.metadata.command_id, meta.command_id,
            "arrival order kept"
        );
    }
    assert!(
        store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}

pub async fn a_failing_command_in_a_batch_fails_only_itself(db: &TestDb) {
    let (ok_a, conflicting, reusing, ok_b) =
        (new_stream(), new_stream(), new_stream(), new_stream());
    let earlier = db
        .store
        .append(&conflicting, ExpectedVersion::NoStream, events(1), &meta())
        .await
        .expect("setup");
    let store = group(db, 4);
    let metas: Vec<_> = (0..4).map(|_| meta()).collect();
    // An event id already stored passes validation and fails only at the database's unique index.
    let mut reused = events(1);
    reused[0].event_id = earlier.events[0].event_id;
    let results = join_all([
        store.append(&ok_a, ExpectedVersion::NoStream, events(1), &metas[0]),
        store.append(
            &conflicting,
            ExpectedVersion::NoStream,
            events(1),
            &metas[1],
        ),
        store.append(&reusing, ExpectedVersion::NoStream, reused, &metas[2]),
        store.append(&ok_b, ExpectedVersion::NoStream, events(1), &metas[3]),
    ])
    .await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(StoreError::Conflict { actual: 1, .. })),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(results[2], Err(StoreError::Invalid(_))),
        "{:?}",
        results[2]
    );
    assert!(results[3].is_ok(), "{:?}", results[3]);
    let stats = store.stats();
    assert_eq!(
        (stats.largest_batch, stats.retried_alone),
        (4, 4),
        "{stats:?}"
    );
    for (stream, count) in [(&ok_a, 1), (&conflicting, 1), (&reusing, 0), (&ok_b, 1)] {
        assert_eq!(
            store.read_stream(stream).await.expect("read").len(),
            count,
            "{stream}"
        );
    }
    for (meta, recorded) in metas.iter().zip([true, false, false, true]) {
        let found = store
            .find_command(meta.command_id, None)
            .await
            .expect("find");
        assert_eq!(found.is_some(), recorded);
    }
}

pub async fn a_conflict_in_a_batch_is_answered_alone_and_the_batch_still_commits_once(db: &TestDb) {
    let taken = new_stream();
    db.store
        .append(&taken, ExpectedVersion::NoStream, events(1), &meta())
        .await
        .expect("setup");
    let store = group(db, 3);
    let fresh = new_stream();
    let (m1, m2) = (meta(), meta());
    let results = join_all([
        store.append(&taken, ExpectedVersion::Exact(7), events(1), &m1),
        store.append(&fresh, ExpectedVersion::NoStream, events(1), &m2),
        // The same command again in the same batch: it sees its first run, uncommitted, and replays it.
        store.append(&fresh, ExpectedVersion::NoStream, events(1), &m2),
    ])
    .await;
    assert!(matches!(
        results[0],
        Err(StoreError::Conflict { actual: 1, .. })
    ));
    let (first, again) = (
        results[1].as_ref().expect("ok"),
        results[2].as_ref().expect("replay"),
    );
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.events, again.events);
    let stats = store.stats();
    assert_eq!(
        (stats.transactions, stats.retried_alone),
        (1, 0),
        "{stats:?}"
    );
    assert_eq!(store.read_stream(&fresh).await.expect("read").len(), 1);
}
