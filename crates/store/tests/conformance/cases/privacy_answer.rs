//! The sealed store's answer to an append: the events just appended carry the personal data they were given
//! without being opened again, so these cases check that the answer is exactly what a read returns — for a
//! new case, a later step, a replayed command — and that a create which skips the key lookup (a new stream
//! has no keys) still keeps one key per person.

use serde_json::json;
use store::{EventStore, ExpectedVersion, StoreError};

use super::privacy::{key_file, key_rows, personal, sealed};
use crate::fixtures::{event, meta, new_stream};
use crate::harness::TestDb;

pub async fn an_append_answers_with_its_personal_data_exactly_as_a_read_returns_it(db: &TestDb) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let stream = new_stream();

    let mut received = event("petition.received", json!({"tracking_code": "PL-10"}));
    received.personal = Some(personal());
    let noted = event("petition.noted", json!({}));
    let created_meta = meta();
    let created = store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![received, noted],
            &created_meta,
        )
        .await
        .expect("create");
    assert_eq!(created.events[0].personal, Some(personal()));
    assert_eq!(created.events[1].personal, None);
    assert_eq!(
        created.events,
        store.read_stream(&stream).await.expect("read")
    );

    // A later step naming one person who has a key and one who has none yet.
    let mut amended = event("petition.amended", json!({}));
    amended.personal = Some(json!({
        "denouncer": {"phone": "0912000111"},
        "lawyer": {"full_name": "Phạm Luật Sư"},
    }));
    let later = store
        .append(&stream, ExpectedVersion::Exact(2), vec![amended], &meta())
        .await
        .expect("later step");
    let read = store.read_stream(&stream).await.expect("read");
    assert_eq!(later.events[..], read[2..]);
    assert_eq!(
        read[2].personal,
        Some(json!({
            "denouncer": {"phone": "0912000111"},
            "lawyer": {"full_name": "Phạm Luật Sư"},
        }))
    );
    assert_eq!(key_rows(db, &stream).await, 3, "denouncer, witness, lawyer");

    // A replayed command answers with the events first recorded, opened from the store.
    let mut again = event("petition.received", json!({"tracking_code": "PL-10"}));
    again.personal = Some(personal());
    let replayed = store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![again, event("petition.noted", json!({}))],
            &created_meta,
        )
        .await
        .expect("replay");
    assert!(replayed.replayed);
    assert_eq!(replayed.events, read[..2]);

    // Once erased, the stored events open to nothing, whatever the earlier answers held.
    store.erase(&stream, None).await.expect("erase");
    let erased = store.read_stream(&stream).await.expect("read");
    assert!(erased.iter().all(|e| e.personal.is_none()), "{erased:?}");
}

pub async fn a_refused_create_keeps_the_keys_the_stream_has(db: &TestDb) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let stream = new_stream();
    let mut received = event("petition.received", json!({}));
    received.personal = Some(personal());
    store
        .append(&stream, ExpectedVersion::NoStream, vec![received], &meta())
        .await
        .expect("create");
    assert_eq!(key_rows(db, &stream).await, 2);

    // A second create of the same stream looks no key up first; it is refused, and leaves no second key.
    let mut duplicate = event("petition.received", json!({}));
    duplicate.personal = Some(json!({"denouncer": {"full_name": "Someone Else"}}));
    let refused = store
        .append(&stream, ExpectedVersion::NoStream, vec![duplicate], &meta())
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert_eq!(key_rows(db, &stream).await, 2);
    let read = store.read_stream(&stream).await.expect("read");
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].personal, Some(personal()));
}
