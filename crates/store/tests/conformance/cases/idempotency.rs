//! Invariant 3: a retried command never records the same fact twice, even when the retries race.

use store::{AppendOutcome, ExpectedVersion, StoreError};
use uuid::Uuid;

use crate::fixtures::{events, meta, new_stream};
use crate::harness::TestDb;

pub async fn retrying_a_command_returns_the_first_outcome_and_appends_nothing(db: &TestDb) {
    let stream = new_stream();
    let meta = meta();
    let batch = events(2);
    let first = db
        .store
        .append(&stream, ExpectedVersion::NoStream, batch.clone(), &meta)
        .await
        .expect("first");
    assert!(!first.replayed);
    // The retry even carries an expectation that would now conflict: the recorded outcome wins.
    let retry = db
        .store
        .append(&stream, ExpectedVersion::NoStream, batch, &meta)
        .await
        .expect("retry");
    assert!(retry.replayed);
    assert_eq!(
        AppendOutcome {
            replayed: false,
            ..retry.clone()
        },
        first
    );
    assert_eq!(
        db.store.read_stream(&stream).await.expect("read").len(),
        2,
        "nothing was appended"
    );

    let found = db
        .store
        .find_command(meta.command_id, meta.fingerprint.as_deref())
        .await
        .expect("find");
    assert_eq!(found, Some(retry.clone()));
    assert_eq!(
        db.store
            .find_command(meta.command_id, None)
            .await
            .expect("find"),
        Some(retry)
    );
    assert_eq!(
        db.store
            .find_command(Uuid::new_v4(), None)
            .await
            .expect("find"),
        None
    );
}

pub async fn a_command_id_reused_with_another_fingerprint_is_refused(db: &TestDb) {
    let stream = new_stream();
    let first = meta();
    db.store
        .append(&stream, ExpectedVersion::NoStream, events(1), &first)
        .await
        .expect("first");
    let reused = store::CommandMeta {
        fingerprint: Some("sha256:another-request".into()),
        ..first.clone()
    };
    let result = db
        .store
        .append(&stream, ExpectedVersion::Exact(1), events(1), &reused)
        .await;
    assert!(
        matches!(result, Err(StoreError::IdempotencyKeyReused { command_id }) if command_id == first.command_id),
        "{result:?}"
    );
    let found = db
        .store
        .find_command(first.command_id, reused.fingerprint.as_deref())
        .await;
    assert!(
        matches!(found, Err(StoreError::IdempotencyKeyReused { .. })),
        "{found:?}"
    );
    assert_eq!(db.store.read_stream(&stream).await.expect("read").len(), 1);
}

/// Runs `n` copies of one command at once; returns their outcomes. With `fresh_ids`, each copy carries new event
/// ids, as when a server decides the command again on each retry.
async fn race(
    db: &TestDb,
    n: usize,
    stream_for: impl Fn(usize) -> store::StreamId,
    fresh_ids: bool,
) -> Vec<AppendOutcome> {
    let meta = meta();
    let batch = events(2);
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let batch = if fresh_ids { events(2) } else { batch.clone() };
            let (store, stream, meta) = (db.store.clone(), stream_for(i), meta.clone());
            tokio::spawn(async move {
                store
                    .append(&stream, ExpectedVersion::Any, batch, &meta)
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(
            task.await
                .expect("task")
                .expect("every duplicate gets the first outcome, not an error"),
        );
    }
    outcomes
}

fn assert_one_append(outcomes: &[AppendOutcome]) {
    assert_eq!(
        outcomes.iter().filter(|o| !o.replayed).count(),
        1,
        "exactly one copy appended"
    );
    let first = outcomes
        .iter()
        .find(|o| !o.replayed)
        .cloned()
        .map(|o| AppendOutcome {
            replayed: true,
            ..o
        });
    assert!(
        outcomes
            .iter()
            .filter(|o| o.replayed)
            .all(|o| Some(o) == first.as_ref()),
        "all copies got the first outcome"
    );
}

pub async fn concurrent_duplicates_of_a_command_on_one_stream_append_once(db: &TestDb) {
    let stream = new_stream();
    let outcomes = race(db, 8, |_| stream.clone(), false).await;
    assert_one_append(&outcomes);
    assert_eq!(db.store.read_stream(&stream).await.expect("read").len(), 2);
}

/// A retried "create" command may pick a fresh case id (and fresh event ids) on each attempt; the first attempt's
/// stream is the answer. On PostgreSQL the copies run in parallel and collide on the `commands` primary key.
pub async fn concurrent_duplicates_of_a_create_command_on_fresh_streams_append_once(db: &TestDb) {
    let streams: Vec<_> = (0..8).map(|_| new_stream()).collect();
    let outcomes = race(db, 8, |i| streams[i].clone(), true).await;
    assert_one_append(&outcomes);
    let mut stored = 0;
    for stream in &streams {
        stored += db.store.read_stream(stream).await.expect("read").len();
    }
    assert_eq!(stored, 2, "only the winning stream holds events");
}
