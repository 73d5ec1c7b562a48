//! Appending and reading back: dense versions, metadata, exact timestamps, the hash chain, validation.

use serde_json::json;
use store::hash::GENESIS_PREV_HASH;
use store::{ExpectedVersion, StoreError};
use uuid::Uuid;

use crate::fixtures::{event, events, meta, new_stream};
use crate::harness::TestDb;

pub async fn appended_events_read_back_exactly_with_dense_versions_metadata_and_an_intact_chain(
    db: &TestDb,
) {
    let stream = new_stream();
    let mut meta = meta();
    meta.causation_id = Some(Uuid::new_v4());
    meta.rulebook_version = Some("2024.2".into());
    let mut batch = vec![
        event(
            "petition.received",
            json!({"tracking_code": "PL-1", "pages": 3, "nested": {"b": [1, 2], "a": null}}),
        ),
        event("petition.registered", json!({"agency": "ministry-of-x"})),
        // Values whose text form a database might change: they must come back as sent, or the hash breaks.
        event(
            "petition.acknowledged",
            json!({"floats": [0.1, 1.5e-7, 1e20, 1.0, -2.5], "big": u64::MAX, "negative": i64::MIN,
                   "text": "zażółć \"quoted\" \\ \n\t 🎉 \u{1}", "empty": {}, "list": []}),
        ),
    ];
    batch[0].personal = Some(json!({"name": "Ana Nowak", "email": "ana@example.org"}));
    batch[1].schema_version = 3;
    let sent = batch.clone();

    let outcome = db
        .store
        .append(&stream, ExpectedVersion::NoStream, batch, &meta)
        .await
        .expect("append");
    assert!(!outcome.replayed);
    assert_eq!(outcome.stream_id, stream);
    assert_eq!(outcome.last_version, 3);

    let stored = db.store.read_stream(&stream).await.expect("read_stream");
    // What the append answered is exactly what is stored, to the microsecond.
    assert_eq!(stored, outcome.events);
    assert_eq!(
        stored.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    for (event, new) in stored.iter().zip(&sent) {
        assert_eq!(event.event_id, new.event_id);
        assert_eq!(event.event_type, new.event_type);
        assert_eq!(event.schema_version, new.schema_version);
        assert_eq!(event.payload, new.payload);
        assert_eq!(event.personal, new.personal);
        assert_eq!(event.stream_id, stream);
        assert_eq!(event.metadata.command_id, meta.command_id);
        assert_eq!(event.metadata.actor, meta.actor);
        assert_eq!(event.metadata.correlation_id, meta.correlation_id);
        assert_eq!(event.metadata.causation_id, meta.causation_id);
        assert_eq!(event.metadata.rulebook_version, meta.rulebook_version);
        assert_eq!(
            event.recorded_at.timestamp_subsec_nanos() % 1_000,
            0,
            "recorded_at is truncated to microseconds"
        );
    }
    assert!(
        stored
            .windows(2)
            .all(|w| w[0].global_position < w[1].global_position)
    );
    assert_eq!(stored[0].prev_hash, GENESIS_PREV_HASH);
    assert!(stored.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    assert!(stored.iter().all(|e| e.hash == store::hash::hash_of(e)));
    let verification = db.store.verify_stream(&stream).await.expect("verify");
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.events_checked, 3);
}

pub async fn a_second_append_continues_the_versions_and_the_chain(db: &TestDb) {
    let stream = new_stream();
    let first = db
        .store
        .append(&stream, ExpectedVersion::NoStream, events(2), &meta())
        .await
        .expect("first");
    let second = db
        .store
        .append(&stream, ExpectedVersion::Exact(2), events(2), &meta())
        .await
        .expect("second");
    assert_eq!(
        second.events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(second.events[0].prev_hash, first.events[1].hash);
    assert!(second.events[0].recorded_at >= first.events[1].recorded_at);
    let all = db.store.read_stream(&stream).await.expect("read");
    assert_eq!(all.len(), 4);
    assert!(
        db.store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
    assert!(
        db.store
            .read_stream(&new_stream())
            .await
            .expect("read")
            .is_empty(),
        "an unknown stream is empty"
    );
}

pub async fn an_empty_batch_or_a_non_object_payload_is_invalid_and_writes_nothing(db: &TestDb) {
    let stream = new_stream();
    let empty = db
        .store
        .append(&stream, ExpectedVersion::NoStream, vec![], &meta())
        .await;
    assert!(matches!(empty, Err(StoreError::Invalid(_))), "{empty:?}");
    let batch = vec![
        event("petition.noted", json!({})),
        event("petition.noted", json!([1, 2])),
    ];
    let not_object = db
        .store
        .append(&stream, ExpectedVersion::NoStream, batch, &meta())
        .await;
    assert!(
        matches!(not_object, Err(StoreError::Invalid(_))),
        "{not_object:?}"
    );
    for unportable in [json!({"name": "a\u{0}b"}), json!({"nested": [{"x": -0.0}]})] {
        let batch = vec![event("petition.noted", unportable.clone())];
        let result = db
            .store
            .append(&stream, ExpectedVersion::NoStream, batch, &meta())
            .await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{unportable}: {result:?}"
        );
    }
    let twice = event("petition.noted", json!({}));
    let duplicate = db
        .store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![twice.clone(), twice],
            &meta(),
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Invalid(_))),
        "{duplicate:?}"
    );
    assert!(
        db.store
            .read_stream(&stream)
            .await
            .expect("read")
            .is_empty()
    );
}

pub async fn expected_versions_are_honoured_and_a_wrong_one_is_a_conflict_with_the_actual_version(
    db: &TestDb,
) {
    let stream = new_stream();
    let conflict = |r: Result<store::AppendOutcome, StoreError>| match r {
        Err(StoreError::Conflict { actual, .. }) => actual,
        other => panic!("expected a conflict, got {other:?}"),
    };
    assert_eq!(
        conflict(
            db.store
                .append(&stream, ExpectedVersion::Exact(5), events(1), &meta())
                .await
        ),
        0
    );
    db.store
        .append(&stream, ExpectedVersion::NoStream, events(2), &meta())
        .await
        .expect("NoStream on a new stream");
    assert_eq!(
        conflict(
            db.store
                .append(&stream, ExpectedVersion::NoStream, events(1), &meta())
                .await
        ),
        2
    );
    assert_eq!(
        conflict(
            db.store
                .append(&stream, ExpectedVersion::Exact(1), events(1), &meta())
                .await
        ),
        2
    );
    assert_eq!(
        conflict(
            db.store
                .append(&stream, ExpectedVersion::Exact(3), events(1), &meta())
                .await
        ),
        2
    );
    db.store
        .append(&stream, ExpectedVersion::Exact(2), events(1), &meta())
        .await
        .expect("Exact(2)");
    let any = db
        .store
        .append(&stream, ExpectedVersion::Any, events(2), &meta())
        .await
        .expect("Any");
    assert_eq!(any.last_version, 5);
    let other = new_stream();
    db.store
        .append(&other, ExpectedVersion::Any, events(1), &meta())
        .await
        .expect("Any on a new stream");
    let versions: Vec<u64> = db
        .store
        .read_stream(&stream)
        .await
        .expect("read")
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(
        versions,
        vec![1, 2, 3, 4, 5],
        "failed appends left nothing behind"
    );
}
