//! Unit tests of the hash chain: the documented encoding, canonical JSON and chain verification.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::*;
use crate::{CommandMeta, NewEvent, StreamId, batch};

fn metadata() -> EventMetadata {
    EventMetadata {
        command_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
        actor: "officer:42".into(),
        correlation_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002),
        causation_id: None,
        rulebook_version: Some("2024.1".into()),
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 9, 30, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::microseconds(123)
}

fn stream() -> StreamId {
    StreamId::for_case(Uuid::from_u128(7))
}

fn sample_hash(payload: &Value, metadata: &EventMetadata) -> String {
    compute_hash(
        GENESIS_PREV_HASH,
        &stream(),
        1,
        Uuid::from_u128(9),
        "petition.received",
        1,
        at(),
        payload,
        None,
        metadata,
    )
}

#[test]
fn recorded_at_is_formatted_with_six_fractional_digits_and_z() {
    assert_eq!(format_recorded_at(at()), "2024-05-01T09:30:00.000123Z");
}

#[test]
fn canonical_json_sorts_keys_by_bytes_and_has_no_whitespace() {
    let value = json!({"b": [1, 2.5, null, true], "a": {"z": "x", "Z": "y"}, "é": "\u{1}\n\"\\/ü"});
    assert_eq!(
        canonical_json(&value),
        r#"{"a":{"Z":"y","z":"x"},"b":[1,2.5,null,true],"é":"\u0001\n\"\\/ü"}"#
    );
}

#[test]
fn an_auditor_following_the_documentation_gets_the_same_hash() {
    // Re-implemented from the module documentation alone, byte by byte.
    fn field(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let payload = json!({"tracking_code": "PL-7", "pages": 3});
    let mut bytes = Vec::new();
    field(&mut bytes, "petition-ledger/event/v1");
    field(&mut bytes, GENESIS_PREV_HASH);
    field(&mut bytes, "case-00000000-0000-0000-0000-000000000007");
    field(&mut bytes, "1");
    field(&mut bytes, "00000000-0000-0000-0000-000000000009");
    field(&mut bytes, "petition.received");
    field(&mut bytes, "1");
    field(&mut bytes, "2024-05-01T09:30:00.000123Z");
    field(&mut bytes, r#"{"pages":3,"tracking_code":"PL-7"}"#);
    bytes.push(0); // no personal part
    field(&mut bytes, "01900000-0000-7000-8000-000000000001");
    field(&mut bytes, "officer:42");
    field(&mut bytes, "01900000-0000-7000-8000-000000000002");
    bytes.push(0); // no causation id
    bytes.push(1);
    field(&mut bytes, "2024.1");
    let expected = hex::encode(Sha256::digest(&bytes));
    assert_eq!(sample_hash(&payload, &metadata()), expected);
}

#[test]
fn the_encoding_is_pinned_by_a_known_answer() {
    // If this changes, every stored chain breaks: bump the domain separator instead. (Cross-checked with an
    // independent Python implementation of the documented encoding.)
    let hash = sample_hash(&json!({"tracking_code": "PL-7", "pages": 3}), &metadata());
    assert_eq!(
        hash,
        "996ac7a2d42796a85bd47a53048d2c03318d0ad59fcf4653f64e4488ad32c6f9"
    );
}

#[test]
fn an_absent_optional_field_hashes_differently_from_an_empty_one() {
    let payload = json!({});
    let absent = EventMetadata {
        rulebook_version: None,
        ..metadata()
    };
    let empty = EventMetadata {
        rulebook_version: Some(String::new()),
        ..metadata()
    };
    assert_ne!(
        sample_hash(&payload, &absent),
        sample_hash(&payload, &empty)
    );
}

fn chain(n: usize) -> Vec<RecordedEvent> {
    let meta = CommandMeta {
        command_id: Uuid::new_v4(),
        fingerprint: None,
        actor: "officer:42".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        rulebook_version: None,
    };
    let events = (0..n)
        .map(|i| NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "petition.noted".into(),
            schema_version: 1,
            payload: json!({ "n": i }),
            personal: (i == 1).then(|| json!({"name": "Ana"})),
        })
        .collect();
    batch::build(&stream(), &batch::StreamHead::empty(), events, &meta, at())
}

#[test]
fn an_untouched_chain_is_intact() {
    let events = chain(3);
    let verification = verify_chain(&stream(), &events);
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.events_checked, 3);
}

#[test]
fn an_altered_payload_is_a_hash_mismatch_at_that_version_only() {
    let mut events = chain(3);
    events[1].payload = json!({"n": 99});
    let problems = verify_chain(&stream(), &events).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (problems[0].version, problems[0].kind),
        (2, TamperKind::HashMismatch)
    );
    assert_eq!(problems[0].actual, events[1].hash);
}

#[test]
fn a_rehashed_forgery_is_caught_by_the_next_link() {
    let mut events = chain(3);
    events[1].payload = json!({"n": 99});
    events[1].hash = hash_of(&events[1]);
    let problems = verify_chain(&stream(), &events).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (problems[0].version, problems[0].kind),
        (3, TamperKind::BrokenLink)
    );
}

#[test]
fn a_missing_event_is_a_version_gap_and_a_broken_link() {
    let mut events = chain(3);
    events.remove(1);
    let kinds: Vec<_> = verify_chain(&stream(), &events)
        .problems
        .iter()
        .map(|p| (p.version, p.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![(3, TamperKind::VersionGap), (3, TamperKind::BrokenLink)]
    );
}

#[test]
fn an_event_moved_to_another_stream_does_not_verify() {
    let events = chain(1);
    let other = StreamId::parse("case-other").unwrap_or_else(|_| stream());
    assert!(!verify_chain(&other, &events).is_intact());
}
