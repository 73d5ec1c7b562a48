//! What only the embedded backend has to get right: creating its file, WAL, and the single writer across
//! several store instances (as with several processes) on one file.

use std::sync::Arc;

use sqlx::Connection;
use store::sqlite::SqliteStore;
use store::{Checkpoint, EventStore, ExpectedVersion, StoreError};
use uuid::Uuid;

use crate::fixtures::{events, meta, new_stream, read_at_least};

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("petition-store-test-{}", Uuid::new_v4()))
}

#[tokio::test]
async fn opening_a_sqlite_url_creates_the_file_and_its_parent_directories_in_wal_mode() {
    let dir = temp_dir();
    for url in [
        format!(
            "sqlite://{}?mode=rwc",
            dir.join("a/b/petition.db").display()
        ),
        format!("sqlite://{}", dir.join("c/petition.db").display()),
    ] {
        let store = store::connect(&url)
            .await
            .expect("connect creates what is missing");
        assert_eq!(store.backend(), "sqlite");
        store
            .append(&new_stream(), ExpectedVersion::NoStream, events(1), &meta())
            .await
            .expect("append");
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("raw connection");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut conn)
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
    }
    assert!(dir.join("a/b/petition.db").is_file() && dir.join("c/petition.db").is_file());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_in_memory_store_works_for_unit_tests() {
    let store = SqliteStore::in_memory().await.expect("in memory");
    let stream = new_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, events(3), &meta())
        .await
        .expect("append");
    assert_eq!(store.read_stream(&stream).await.expect("read").len(), 3);
    assert_eq!(
        store
            .read_all(&Checkpoint::START, 10)
            .await
            .expect("read_all")
            .events
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_serialise_their_appends() {
    let dir = temp_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("shared.db").display());
    let first: Arc<dyn EventStore> = Arc::new(SqliteStore::connect(&url).await.expect("first"));
    let second: Arc<dyn EventStore> = Arc::new(SqliteStore::connect(&url).await.expect("second"));
    let stream = new_stream();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            let stream = stream.clone();
            tokio::spawn(async move {
                let mut appended = 0;
                let mut version = 0;
                while appended < 10 {
                    let expected = if version == 0 {
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exact(version)
                    };
                    match store.append(&stream, expected, events(1), &meta()).await {
                        Ok(outcome) => {
                            appended += 1;
                            version = outcome.last_version;
                        }
                        Err(StoreError::Conflict { actual, .. }) => version = actual,
                        Err(other) => panic!("unexpected error: {other}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("writer");
    }
    let stored = first.read_stream(&stream).await.expect("read");
    assert_eq!(
        stored.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=60).collect::<Vec<_>>()
    );
    assert!(
        first
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
    let all = read_at_least(second.as_ref(), Checkpoint::START, 25, 60).await;
    assert!(
        all.windows(2)
            .all(|w| w[0].global_position < w[1].global_position)
    );
    let _ = std::fs::remove_dir_all(dir);
}
