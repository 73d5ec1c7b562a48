//! Invariant 5: whoever bypasses the database's protection still cannot alter history unnoticed.

use serde_json::json;
use store::hash::TamperKind;
use store::{ExpectedVersion, StoreError};

use crate::fixtures::{event, events, meta, new_stream};
use crate::harness::TestDb;

async fn three_events(db: &TestDb) -> store::StreamId {
    let stream = new_stream();
    let batch = vec![
        event("payment.requested", json!({"amount": 10})),
        event("payment.approved", json!({"amount": 10})),
        event("payment.made", json!({"amount": 10})),
    ];
    db.store
        .append(&stream, ExpectedVersion::NoStream, batch, &meta())
        .await
        .expect("append");
    assert!(
        db.store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
    stream
}

pub async fn an_altered_payload_is_reported_as_a_hash_mismatch_at_its_version(db: &TestDb) {
    let stream = three_events(db).await;
    db.tamper(&format!("UPDATE events SET payload = '{{\"amount\": 999}}' WHERE stream_id = '{stream}' AND version = 2"))
        .await;
    let stored = db.store.read_stream(&stream).await.expect("read");
    assert_eq!(
        stored[1].payload,
        json!({"amount": 999}),
        "the tampering took effect"
    );

    let verification = db.store.verify_stream(&stream).await.expect("verify");
    assert!(!verification.is_intact());
    let found: Vec<_> = verification
        .problems
        .iter()
        .map(|p| (p.version, p.kind))
        .collect();
    assert_eq!(
        found,
        vec![(2, TamperKind::HashMismatch)],
        "{verification:?}"
    );
}

pub async fn an_altered_prev_hash_is_reported_as_a_broken_link(db: &TestDb) {
    let stream = three_events(db).await;
    let forged = "f".repeat(64);
    db.tamper(&format!(
        "UPDATE events SET prev_hash = '{forged}' WHERE stream_id = '{stream}' AND version = 2"
    ))
    .await;

    let verification = db.store.verify_stream(&stream).await.expect("verify");
    let link = verification
        .problems
        .iter()
        .find(|p| p.kind == TamperKind::BrokenLink)
        .expect("a broken link");
    assert_eq!(link.version, 2);
    assert_eq!(link.actual, forged);
    let stored = db.store.read_stream(&stream).await.expect("read");
    assert_eq!(link.expected, stored[0].hash);
}

/// The head of a stream is read, never repaired: a stored version that could not have been written (here a
/// negative one, forged with the CHECK constraint out of the way) makes an append refuse as corrupt on both
/// backends, instead of being clamped to "no events yet" and letting the append write a second version 1.
pub async fn an_append_after_a_forged_negative_version_is_refused_as_corrupt(db: &TestDb) {
    let stream = new_stream();
    db.store
        .append(&stream, ExpectedVersion::NoStream, events(1), &meta())
        .await
        .expect("append");
    let lift_check = if db.is_postgres() {
        "ALTER TABLE events DROP CONSTRAINT events_version_positive"
    } else {
        "PRAGMA ignore_check_constraints = ON"
    };
    db.tamper(&format!(
        "{lift_check}; UPDATE events SET version = -1 WHERE stream_id = '{stream}'"
    ))
    .await;

    let command = meta();
    for expected in [ExpectedVersion::Any, ExpectedVersion::NoStream] {
        let refused = db
            .store
            .append(&stream, expected, events(1), &command)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Corrupt(_))),
            "{expected:?}: {refused:?}"
        );
    }
    assert_eq!(
        db.store
            .find_command(command.command_id, None)
            .await
            .expect("find"),
        None,
        "nothing was recorded"
    );
    assert!(
        matches!(
            db.store.read_stream(&stream).await,
            Err(StoreError::Corrupt(_))
        ),
        "reading the forged row is refused as well"
    );
}
