//! The verifier's event hash is the store's, byte for byte: computed here by `store::hash` itself.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use store::hash::{GENESIS_PREV_HASH, format_recorded_at, hash_of, verify_chain};
use store::{EventMetadata, RecordedEvent, StreamId};
use uuid::Uuid;

fn recorded(
    version: u64,
    prev_hash: &str,
    payload: Value,
    personal: Option<Value>,
    micros: i64,
) -> RecordedEvent {
    let at = Utc
        .with_ymd_and_hms(2024, 2, 29, 23, 59, 59)
        .single()
        .unwrap_or_default()
        + chrono::Duration::microseconds(micros);
    let mut e = RecordedEvent {
        event_id: Uuid::from_u128(0x0190_c2aa_0000_7000_8000_0000_0000_0000 + u128::from(version)),
        stream_id: StreamId::for_case(Uuid::from_u128(42)),
        version,
        global_position: version as i64 * 10,
        transaction_id: 99,
        recorded_at: at,
        event_type: "petition.received".into(),
        schema_version: 3,
        payload,
        personal,
        metadata: EventMetadata {
            command_id: Uuid::from_u128(0xabc0 + u128::from(version)),
            actor: "officer:Nguyễn Văn A".into(),
            correlation_id: Uuid::from_u128(0xdef0),
            causation_id: (version > 1).then(|| Uuid::from_u128(0x1234)),
            rulebook_version: (version & 1 == 0).then(|| "2024.1".to_owned()),
        },
        prev_hash: prev_hash.to_owned(),
        hash: String::new(),
    };
    e.hash = hash_of(&e);
    e
}

/// The event as an exporter writes it: fields in their hashed spelling.
fn exported(e: &RecordedEvent, leaf_index: u64) -> tlog::event::Event {
    tlog::event::Event {
        leaf_index,
        stream_id: e.stream_id.to_string(),
        version: e.version,
        event_id: e.event_id.hyphenated().to_string(),
        event_type: e.event_type.clone(),
        schema_version: e.schema_version,
        recorded_at: format_recorded_at(e.recorded_at),
        payload: e.payload.clone(),
        personal: e.personal.clone(),
        personal_withheld: false,
        metadata: tlog::event::Metadata {
            command_id: e.metadata.command_id.hyphenated().to_string(),
            actor: e.metadata.actor.clone(),
            correlation_id: e.metadata.correlation_id.hyphenated().to_string(),
            causation_id: e
                .metadata
                .causation_id
                .map(|id| id.hyphenated().to_string()),
            rulebook_version: e.metadata.rulebook_version.clone(),
        },
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
    }
}

fn payloads() -> Vec<(Value, Option<Value>, i64)> {
    vec![
        (json!({"tracking_code": "PL-7", "pages": 3}), None, 0),
        (
            json!({"b": [1, 2.5, null, true, 1e20, -0.0, 1.5e-7], "a": {"z": "x", "Z": "y"}, "é": "\u{1}\n\"\\/ü😀"}),
            Some(
                json!({"name": "Trần Thị B", "phone": "+84 90 000 0000", "id": {"kind": "cccd", "n": 1}}),
            ),
            123,
        ),
        (json!({}), Some(json!(null)), 999_999),
        (
            json!({"emoji_key_😀": 1, "ascii": 2, "\u{7f}": "\u{1f}\t\r\u{8}\u{c}"}),
            Some(json!([])),
            1,
        ),
    ]
}

#[test]
fn the_verifier_recomputes_every_hash_the_store_computes() {
    let mut prev = GENESIS_PREV_HASH.to_owned();
    let mut chain = Vec::new();
    for (i, (payload, personal, micros)) in payloads().into_iter().enumerate() {
        let e = recorded(i as u64 + 1, &prev, payload, personal, micros);
        let ours = exported(&e, i as u64);
        assert_eq!(ours.check_form(), Ok(()), "version {}", e.version);
        assert_eq!(
            ours.recompute_hash().as_deref(),
            Some(e.hash.as_str()),
            "version {}",
            e.version
        );
        // The bundle's JSON keeps what the hash covers, a JSON-null personal part included.
        let json = serde_json::to_string(&ours).unwrap_or_default();
        let back: tlog::event::Event =
            serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            back.recompute_hash().as_deref(),
            Some(e.hash.as_str()),
            "round trip of version {}",
            e.version
        );
        prev = e.hash.clone();
        chain.push(e);
    }
    assert!(verify_chain(&chain[0].stream_id, &chain).is_intact());
}

#[test]
fn a_changed_field_changes_both_hashes_alike() {
    let e = recorded(1, GENESIS_PREV_HASH, json!({"outcome": "upheld"}), None, 5);
    let mut changed = e.clone();
    changed.payload = json!({"outcome": "rejected"});
    let mut ours = exported(&e, 0);
    ours.payload = changed.payload.clone();
    assert_eq!(ours.recompute_hash(), Some(hash_of(&changed)));
    assert_ne!(ours.recompute_hash(), Some(e.hash.clone()));
}

#[test]
fn spellings_the_store_never_hashes_are_refused() {
    let e = exported(&recorded(1, GENESIS_PREV_HASH, json!({}), None, 0), 0);
    let mut upper = e.clone();
    upper.event_id = upper.event_id.to_uppercase();
    let mut millis = e.clone();
    millis.recorded_at = "2024-02-29T23:59:59.000Z".into();
    let mut feb30 = e.clone();
    feb30.recorded_at = "2023-02-29T23:59:59.000000Z".into();
    let mut offset = e.clone();
    offset.recorded_at = "2024-02-29T23:59:59.000000+00:00".into();
    let mut short_hash = e.clone();
    short_hash.prev_hash = "00".into();
    for (what, bad) in [
        ("uppercase uuid", upper),
        ("millis", millis),
        ("feb 30", feb30),
        ("offset", offset),
        ("hash", short_hash),
    ] {
        assert!(bad.check_form().is_err(), "accepted {what}");
    }
}
