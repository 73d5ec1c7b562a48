//! Many writers racing on one stream: optimistic concurrency must let exactly one win each version.

use std::sync::Arc;

use store::{ExpectedVersion, StoreError};
use tokio::sync::Barrier;

use crate::fixtures::{events, meta, new_stream};
use crate::harness::TestDb;

const WRITERS: usize = 8;
const ROUNDS: u64 = 25;

pub async fn eight_concurrent_writers_on_one_stream_get_exactly_one_winner_per_version(
    db: &TestDb,
) {
    let stream = new_stream();
    // Two barriers per round: everyone appends against the same version, then everyone waits for the round to end.
    let start = Arc::new(Barrier::new(WRITERS));
    let end = Arc::new(Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (store, stream, start, end) =
                (db.store.clone(), stream.clone(), start.clone(), end.clone());
            tokio::spawn(async move {
                let mut results = Vec::new();
                for round in 1..=ROUNDS {
                    let expected = if round == 1 {
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exact(round - 1)
                    };
                    start.wait().await;
                    let result = store.append(&stream, expected, events(1), &meta()).await;
                    results.push(match result {
                        Ok(outcome) => Ok(outcome.events[0].event_id),
                        Err(StoreError::Conflict { actual, .. }) => Err(actual),
                        Err(other) => panic!("round {round}: unexpected error {other}"),
                    });
                    end.wait().await;
                }
                results
            })
        })
        .collect();
    let mut per_writer = Vec::new();
    for task in tasks {
        per_writer.push(task.await.expect("writer task"));
    }

    let stored = db.store.read_stream(&stream).await.expect("read");
    assert_eq!(
        stored.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=ROUNDS).collect::<Vec<_>>()
    );
    for round in 1..=ROUNDS {
        let index = (round - 1) as usize;
        let winners: Vec<_> = per_writer.iter().filter_map(|r| r[index].ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one writer wins");
        assert_eq!(
            winners[0], stored[index].event_id,
            "round {round}: the winner's event holds the version"
        );
        for loser in per_writer.iter().filter_map(|r| r[index].err()) {
            assert_eq!(
                loser, round,
                "round {round}: a loser learns the version the winner wrote"
            );
        }
    }
    assert!(
        db.store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}
