//! The set-based write of a group commit (ADR 0012): one batch mixing every kind of command must answer each
//! exactly as the commands would be answered one after another, and a batch larger than one multi-row insert
//! may hold must still commit whole, with dense versions and intact chains.

use std::collections::BTreeMap;

use futures::future::join_all;
use store::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, StoreError, StreamId,
};

use crate::cases::group_commit::group;
use crate::fixtures::{events, meta, new_stream, read_at_least};
use crate::harness::TestDb;

/// `meta` with another fingerprint: the same command id for a different request.
fn other_request(meta: &CommandMeta) -> CommandMeta {
    CommandMeta {
        fingerprint: Some("sha256:another-request".into()),
        ..meta.clone()
    }
}

async fn assert_intact(store: &dyn EventStore, stream: &StreamId) {
    let verification = store.verify_stream(stream).await.expect("verify");
    assert!(verification.is_intact(), "{stream}: {verification:?}");
}

fn first_run(outcome: &AppendOutcome) -> AppendOutcome {
    AppendOutcome {
        replayed: false,
        ..outcome.clone()
    }
}

pub async fn a_mixed_batch_answers_each_command_as_if_they_ran_one_after_another(db: &TestDb) {
    let (stream, fresh, retried_fresh) = (new_stream(), new_stream(), new_stream());
    let old = meta();
    let recorded = db
        .store
        .append(&stream, ExpectedVersion::NoStream, events(1), &old)
        .await
        .expect("setup");
    let (m1, m2, m3, m4) = (meta(), meta(), meta(), meta());
    let store = group(db, 11);
    // `join_all` polls in order, so the commands reach the queue, and are decided, in this order.
    let results = join_all([
        // 0: three events on top of the recorded one.
        store.append(&stream, ExpectedVersion::Exact(1), events(3), &m1),
        // 1: sees the head the command before it left.
        store.append(&stream, ExpectedVersion::Exact(4), events(2), &m2),
        // 2: a stale expectation: a conflict with the version the batch has reached.
        store.append(&stream, ExpectedVersion::Exact(1), events(1), &m3),
        // 3: a retry of the recorded command: its first outcome, even with a stale expectation.
        store.append(&stream, ExpectedVersion::NoStream, events(1), &old),
        // 4: the recorded command id for another request.
        store.append(
            &stream,
            ExpectedVersion::Any,
            events(1),
            &other_request(&old),
        ),
        // 5: a repeat of command 0 inside the batch: a replay of what 0 wrote.
        store.append(&stream, ExpectedVersion::Exact(1), events(3), &m1),
        // 6: command 0's id for another request.
        store.append(
            &stream,
            ExpectedVersion::Any,
            events(1),
            &other_request(&m1),
        ),
        // 7: a new stream with two events.
        store.append(&fresh, ExpectedVersion::NoStream, events(2), &m4),
        // 8: the same "create" command retried on a fresh stream id: it gets back the stream 7 created.
        store.append(&retried_fresh, ExpectedVersion::NoStream, events(2), &m4),
        // 9: command 2 again, now expecting the right version: it conflicted, so it wrote nothing, and now writes.
        store.append(&stream, ExpectedVersion::Exact(6), events(1), &m3),
        // 10: any version: after what 9 wrote.
        store.append(&stream, ExpectedVersion::Any, events(1), &meta()),
    ])
    .await;
    let stats = store.stats();
    assert_eq!(
        (stats.transactions, stats.largest_batch, stats.retried_alone),
        (1, 11, 0),
        "one batch, nothing retried alone: {stats:?}"
    );
    let ok = |i: usize| -> &AppendOutcome {
        results[i]
            .as_ref()
            .unwrap_or_else(|e| panic!("command {i}: {e:?}"))
    };
    let versions = |o: &AppendOutcome| -> Vec<u64> { o.events.iter().map(|e| e.version).collect() };
    assert_eq!((versions(ok(0)), ok(0).replayed), (vec![2, 3, 4], false));
    assert_eq!((versions(ok(1)), ok(1).last_version), (vec![5, 6], 6));
    assert!(
        matches!(&results[2], Err(StoreError::Conflict { actual: 6, .. })),
        "{:?}",
        results[2]
    );
    assert!(ok(3).replayed);
    assert_eq!(first_run(ok(3)), recorded);
    for (i, reused) in [(4, old.command_id), (6, m1.command_id)] {
        assert!(
            matches!(&results[i], Err(StoreError::IdempotencyKeyReused { command_id }) if *command_id == reused),
            "command {i}: {:?}",
            results[i]
        );
    }
    assert!(ok(5).replayed);
    assert_eq!(first_run(ok(5)), *ok(0), "the repeat replays the first run");
    assert_eq!(
        (ok(7).stream_id.clone(), versions(ok(7))),
        (fresh.clone(), vec![1, 2])
    );
    assert!(ok(8).replayed);
    assert_eq!(
        first_run(ok(8)),
        *ok(7),
        "the retried create gets its stream"
    );
    assert_eq!((versions(ok(9)), ok(9).replayed), (vec![7], false));
    assert_eq!(versions(ok(10)), vec![8]);

    // What the answers say is what is stored, in a dense, intact chain, recorded once per command.
    let stored = store.read_stream(&stream).await.expect("read");
    let stored_versions: Vec<_> = stored.iter().map(|e| e.version).collect();
    assert_eq!(stored_versions, (1..=8).collect::<Vec<_>>());
    let answered: Vec<_> = [0, 1, 9, 10]
        .iter()
        .flat_map(|&i| ok(i).events.clone())
        .collect();
    assert_eq!(stored[1..], answered[..]);
    assert_eq!(store.read_stream(&fresh).await.expect("read"), ok(7).events);
    assert!(
        store
            .read_stream(&retried_fresh)
            .await
            .expect("read")
            .is_empty()
    );
    assert_intact(&store, &stream).await;
    assert_intact(&store, &fresh).await;
    for (meta, answer) in [(&m1, 0), (&m2, 1), (&m3, 9), (&m4, 7)] {
        let found = store
            .find_command(meta.command_id, meta.fingerprint.as_deref())
            .await
            .expect("find")
            .expect("recorded");
        assert_eq!(first_run(&found), *ok(answer));
    }
}

pub async fn a_batch_larger_than_one_insert_statement_commits_whole_and_in_order(db: &TestDb) {
    // 4,800 rows: more than one multi-row insert holds on either backend (15 parameters a row: 4,369 rows on
    // PostgreSQL, 2,184 on SQLite).
    const STREAMS: usize = 3;
    const PER_STREAM: u64 = 4;
    const EVENTS: usize = 400;
    let streams: Vec<_> = (0..STREAMS).map(|_| new_stream()).collect();
    let store = group(db, STREAMS * PER_STREAM as usize);
    let metas: Vec<_> = (0..STREAMS * PER_STREAM as usize).map(|_| meta()).collect();
    let mut appends = Vec::new();
    for n in 0..PER_STREAM {
        for (s, stream) in streams.iter().enumerate() {
            let expected = ExpectedVersion::Exact(n * EVENTS as u64);
            let meta = &metas[n as usize * STREAMS + s];
            appends.push(store.append(stream, expected, events(EVENTS), meta));
        }
    }
    let outcomes: Vec<_> = join_all(appends)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every command expects the version the one before it on its stream left");
    let stats = store.stats();
    assert_eq!(
        (stats.transactions, stats.retried_alone),
        (1, 0),
        "{stats:?}"
    );
    let total = STREAMS * PER_STREAM as usize * EVENTS;
    let mut answered: BTreeMap<StreamId, Vec<_>> = BTreeMap::new();
    for outcome in &outcomes {
        answered
            .entry(outcome.stream_id.clone())
            .or_default()
            .extend(outcome.events.iter().cloned());
    }
    for stream in &streams {
        let stored = store.read_stream(stream).await.expect("read");
        let versions: Vec<_> = stored.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=PER_STREAM * EVENTS as u64).collect::<Vec<_>>()
        );
        assert_eq!(
            answered.get(stream),
            Some(&stored),
            "answers are the stored rows"
        );
        assert_intact(&store, stream).await;
    }
    // The global order holds every event once, and each stream's events in version order.
    let seen = read_at_least(&store, Checkpoint::START, 1000, total).await;
    assert_eq!(seen.len(), total);
    let mut last: BTreeMap<&StreamId, u64> = BTreeMap::new();
    for event in &seen {
        let before = last.insert(&event.stream_id, event.version).unwrap_or(0);
        assert_eq!(event.version, before + 1, "{}", event.stream_id);
    }
}
