//! Personal data: sealed in the database, readable only through the sealed store, erasable by destroying keys
//! while every chain still verifies, and readable across a rotation of the key-encryption key.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use store::privacy::{ENVELOPE_FORMAT, FileKeyProvider, PersonalParts, SealedStore};
use store::{EventStore, ExpectedVersion, StoreError, StreamId};
use uuid::Uuid;

use crate::fixtures::{event, meta, new_stream};
use crate::harness::TestDb;

const NAME: &str = "Trần Thị Denouncer";
const PHONE: &str = "0987654321";
const NATIONAL_ID: &str = "001099012345";
const WITNESS: &str = "Lê Văn Witness";

/// Each top-level member of a personal part is one person, as an application would divide its signatories.
#[derive(Debug)]
struct MembersArePersons;

impl PersonalParts for MembersArePersons {
    fn split(&self, _event_type: &str, personal: Value) -> Vec<(String, Value)> {
        match personal {
            Value::Object(map) => map.into_iter().collect(),
            other => vec![("subject".into(), other)],
        }
    }
    fn join(&self, _event_type: &str, parts: Vec<(String, Option<Value>)>) -> Option<Value> {
        let left: serde_json::Map<String, Value> = parts
            .into_iter()
            .filter_map(|(person, part)| part.map(|p| (person, p)))
            .collect();
        (!left.is_empty()).then_some(Value::Object(left))
    }
}

pub(crate) fn key_file() -> PathBuf {
    std::env::temp_dir()
        .join(format!("petition-keys-{}", Uuid::new_v4()))
        .join("keys.json")
}

pub(crate) fn sealed(db: &TestDb, keys: &std::path::Path) -> SealedStore {
    let provider = FileKeyProvider::load_or_create(keys).expect("key file");
    SealedStore::new(db.store.clone(), db.keys(), Arc::new(provider))
        .with_parts(Arc::new(MembersArePersons))
}

pub(crate) fn personal() -> Value {
    json!({
        "denouncer": {"full_name": NAME, "phone": PHONE, "national_id": NATIONAL_ID},
        "witness": {"full_name": WITNESS},
    })
}

/// Appends a petition with personal data and a step without, through `store`.
async fn append_case(store: &dyn EventStore, stream: &StreamId) {
    let mut received = event("petition.received", json!({"tracking_code": "PL-9"}));
    received.personal = Some(personal());
    let accepted = event("petition.accepted", json!({}));
    store
        .append(
            stream,
            ExpectedVersion::NoStream,
            vec![received, accepted],
            &meta(),
        )
        .await
        .expect("append");
}

/// The raw scan finds plaintext when there is some, so an empty scan means something.
async fn assert_the_scan_sees_plaintext(db: &TestDb) {
    let marker = format!("plaintext-{}", Uuid::new_v4().simple());
    let mut plain = event("test.plain", json!({}));
    plain.personal = Some(json!({ "name": marker }));
    db.store
        .append(
            &new_stream(),
            ExpectedVersion::NoStream,
            vec![plain],
            &meta(),
        )
        .await
        .expect("append");
    assert!(
        !db.raw_occurrences(&marker).await.is_empty(),
        "the raw scan is blind"
    );
}

async fn assert_nowhere_in_the_database(db: &TestDb, secrets: &[&str]) {
    assert_the_scan_sees_plaintext(db).await;
    for secret in secrets {
        let found = db.raw_occurrences(secret).await;
        assert!(
            found.is_empty(),
            "`{secret}` is readable in the database: {found:?}"
        );
    }
}

pub(crate) async fn key_rows(db: &TestDb, stream: &StreamId) -> u64 {
    db.keys().persons(stream).await.expect("persons").len() as u64
}

pub async fn personal_data_is_sealed_in_the_database_and_opens_only_through_the_sealed_store(
    db: &TestDb,
) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let stream = new_stream();
    append_case(&store, &stream).await;

    let opened = store.read_stream(&stream).await.expect("read");
    assert_eq!(opened[0].personal, Some(personal()));
    assert_eq!(opened[1].personal, None);
    let page = store
        .read_all(&store::Checkpoint::START, 10)
        .await
        .expect("read_all");
    assert!(page.events.iter().any(|e| e.personal == Some(personal())));

    // The undecorated store, the relay's and an auditor's view, holds only the envelope.
    let raw = db.store.read_stream(&stream).await.expect("raw read");
    let envelope = raw[0].personal.as_ref().expect("an envelope");
    assert_eq!(envelope["sealed"], ENVELOPE_FORMAT);
    assert_eq!(envelope["parts"].as_array().map(Vec::len), Some(2));
    for secret in [NAME, PHONE, NATIONAL_ID, WITNESS] {
        assert!(!envelope.to_string().contains(secret));
    }
    assert_nowhere_in_the_database(db, &[NAME, PHONE, NATIONAL_ID, WITNESS]).await;
    // The chain covers the ciphertext, and verifies through either door.
    assert!(
        db.store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
    assert!(
        store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}

pub async fn erasing_a_stream_leaves_nothing_readable_and_the_chain_still_verifies(db: &TestDb) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let (erased, kept) = (new_stream(), new_stream());
    append_case(&store, &erased).await;
    append_case(&store, &kept).await;
    let before = db.store.read_stream(&erased).await.expect("raw read");

    assert_eq!(store.erase(&erased, None).await.expect("erase"), 2);

    let after = store.read_stream(&erased).await.expect("read");
    assert!(after.iter().all(|e| e.personal.is_none()), "{after:?}");
    assert_eq!(key_rows(db, &erased).await, 0);
    // Not one event changed: the envelopes are still there, and every hash still holds.
    assert_eq!(
        db.store.read_stream(&erased).await.expect("raw read"),
        before
    );
    assert!(
        store
            .verify_stream(&erased)
            .await
            .expect("verify")
            .is_intact()
    );
    assert_nowhere_in_the_database(db, &[NAME, PHONE, NATIONAL_ID, WITNESS]).await;
    // Even the key-encryption key cannot open what is left: no data key remains for it to unwrap.
    let reopened = sealed(db, &keys).read_stream(&erased).await.expect("read");
    assert!(reopened.iter().all(|e| e.personal.is_none()));
    // Other cases are untouched.
    let other = store.read_stream(&kept).await.expect("read");
    assert_eq!(other[0].personal, Some(personal()));
}

pub async fn erasing_one_person_leaves_the_others_of_the_stream_readable(db: &TestDb) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let stream = new_stream();
    append_case(&store, &stream).await;

    assert_eq!(
        store
            .erase(&stream, Some("denouncer"))
            .await
            .expect("erase"),
        1
    );
    assert_eq!(
        store
            .erase(&stream, Some("denouncer"))
            .await
            .expect("again"),
        0
    );

    let after = store.read_stream(&stream).await.expect("read");
    assert_eq!(
        after[0].personal,
        Some(json!({"witness": {"full_name": WITNESS}}))
    );
    assert_eq!(
        store.readable_persons(&stream).await.expect("persons"),
        vec!["witness".to_owned()]
    );
    assert!(
        store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}

pub async fn rotating_the_key_encryption_key_rewraps_every_data_key_and_keeps_data_readable(
    db: &TestDb,
) {
    let keys = key_file();
    let first = sealed(db, &keys);
    let streams = [new_stream(), new_stream(), new_stream()];
    for stream in &streams {
        append_case(&first, stream).await;
    }
    let old_kek = FileKeyProvider::load(&keys).expect("keys").kek_ids()[0].clone();
    let stored_before = db.store.read_stream(&streams[0]).await.expect("raw");

    let new_kek = FileKeyProvider::add_kek(&keys).expect("add a KEK");
    let rotating = sealed(db, &keys);
    let report = rotating.rotate().await.expect("rotate");
    assert_eq!(
        (report.kek_id.as_str(), report.rewrapped),
        (new_kek.as_str(), 6)
    );
    assert_eq!(rotating.rotate().await.expect("again").rewrapped, 0);

    // With the old KEK gone from the key file, everything still opens: no data key needs it any more.
    FileKeyProvider::retire_kek(&keys, &old_kek).expect("retire");
    let after = sealed(db, &keys);
    for stream in &streams {
        let opened = after.read_stream(stream).await.expect("read");
        assert_eq!(opened[0].personal, Some(personal()));
    }
    assert!(
        db.keys()
            .wrapped_by_other(&new_kek, 10)
            .await
            .expect("keys")
            .is_empty()
    );
    // Rotation never touches an event.
    assert_eq!(
        db.store.read_stream(&streams[0]).await.expect("raw"),
        stored_before
    );
}

pub async fn a_sealed_part_copied_into_another_event_does_not_open(db: &TestDb) {
    let keys = key_file();
    let store = sealed(db, &keys);
    let stream = new_stream();
    append_case(&store, &stream).await;
    let raw = db.store.read_stream(&stream).await.expect("raw");
    let (from, to) = (raw[0].event_id, raw[1].event_id);
    db.tamper(&format!(
        "UPDATE events SET personal = (SELECT personal FROM events WHERE event_id = '{from}') \
         WHERE event_id = '{to}'"
    ))
    .await;

    let refused = store.read_stream(&stream).await;
    assert!(
        matches!(refused, Err(StoreError::Corrupt(_))),
        "{refused:?}"
    );
    assert!(
        !store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}

fn a_key(stream: &StreamId, person: &str) -> store::privacy::StoredKey {
    store::privacy::StoredKey {
        key_id: Uuid::now_v7(),
        stream_id: stream.clone(),
        person: person.to_owned(),
        kek_id: "kek-test".into(),
        wrapped: Uuid::new_v4().as_bytes().to_vec(),
    }
}

/// Key creation batched between concurrent callers (`BatchedKeys`, and `insert_or_get_many` under it) keeps
/// the table's rule: one key per (stream, person), the first stored wins, everyone asking for that scope gets
/// the stored one, also across one insert's chunks; and sealing through it opens every concurrent case.
pub async fn batched_key_creation_keeps_one_key_per_scope_and_every_case_readable(db: &TestDb) {
    // Straight through `insert_or_get_many`: more keys than one statement holds, one scope asked three times,
    // and a scope that already had a key.
    let earlier = new_stream();
    let first = db
        .keys()
        .insert_or_get(a_key(&earlier, "denouncer"))
        .await
        .expect("insert");
    let streams: Vec<StreamId> = (0..600).map(|_| new_stream()).collect();
    let mut keys: Vec<_> = streams.iter().map(|s| a_key(s, "denouncer")).collect();
    keys.push(a_key(&streams[7], "denouncer"));
    keys.push(a_key(&streams[7], "denouncer"));
    keys.push(a_key(&earlier, "denouncer"));
    let wanted: Vec<Uuid> = keys.iter().map(|k| k.key_id).collect();
    let stored = db
        .keys()
        .insert_or_get_many(keys)
        .await
        .expect("insert many");
    assert_eq!(stored.len(), 603);
    for (i, key) in stored.iter().take(600).enumerate() {
        assert_eq!(key.key_id, wanted[i], "key {i} stored as given");
        assert_eq!(key.stream_id, streams[i]);
    }
    assert_eq!(
        stored[600].key_id, wanted[7],
        "a repeated scope gets the stored key"
    );
    assert_eq!(stored[601].key_id, wanted[7]);
    assert_eq!(stored[602], first, "an existing key wins over a new one");
    assert_eq!(key_rows(db, &streams[7]).await, 1);
    assert_eq!(key_rows(db, &earlier).await, 1);

    // Concurrent callers through the batching front: two racing keys per scope, one stored.
    let batched = Arc::new(store::privacy::BatchedKeys::start(db.keys(), 64));
    let scopes: Vec<StreamId> = (0..20).map(|_| new_stream()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..2 {
        for (i, stream) in scopes.iter().enumerate() {
            let batched = batched.clone();
            let key = a_key(stream, "witness");
            tasks.spawn(async move {
                let got = store::privacy::PersonalKeys::insert_or_get(batched.as_ref(), key)
                    .await
                    .expect("insert through the batch");
                (i, round, got)
            });
        }
    }
    let mut winners: std::collections::HashMap<usize, Uuid> = std::collections::HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, _, got) = joined.expect("task");
        let winner = *winners.entry(i).or_insert(got.key_id);
        assert_eq!(got.key_id, winner, "both callers of scope {i} get one key");
    }
    for (i, stream) in scopes.iter().enumerate() {
        let found = db.keys().find(stream, "witness").await.expect("find");
        assert_eq!(found.map(|k| k.key_id), winners.get(&i).copied());
    }

    // Sealing through it: sixteen cases appended at once all open again.
    let provider = FileKeyProvider::load_or_create(&key_file()).expect("key file");
    let store = Arc::new(
        SealedStore::new(db.store.clone(), batched, Arc::new(provider))
            .with_parts(Arc::new(MembersArePersons)),
    );
    let cases: Vec<StreamId> = (0..16).map(|_| new_stream()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for stream in cases.clone() {
        let store = store.clone();
        tasks.spawn(async move { append_case(store.as_ref(), &stream).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("append task");
    }
    for stream in &cases {
        let opened = store.read_stream(stream).await.expect("read");
        assert_eq!(opened[0].personal, Some(personal()), "{stream}");
        assert_eq!(key_rows(db, stream).await, 2, "one key per person");
    }
}
