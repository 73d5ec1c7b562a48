//! The stored form of events: stable names, versioned payloads, lossless round trips, clear decode errors.

use domain::{CaseState, DecodeError, Event};

use crate::lifecycle::{complaint_lifecycle, denunciation_lifecycle};

/// Stores an event, sends it through JSON text as a database or a message bus would, and reads it back.
pub fn round_trip(event: &Event) -> Event {
    let stored = event.to_stored();
    let payload: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&stored.payload).expect("payload encodes"))
            .expect("payload decodes");
    let personal: Option<serde_json::Value> = stored
        .personal
        .as_ref()
        .map(|p| serde_json::from_str(&p.to_string()).expect("personal part decodes"));
    Event::from_stored(
        stored.event_type,
        stored.schema_version,
        &payload,
        personal.as_ref(),
    )
    .unwrap_or_else(|e| panic!("{} does not decode: {e}", stored.event_type))
}

#[test]
fn every_event_round_trips_through_storage() {
    let cases = [complaint_lifecycle(), denunciation_lifecycle()];
    for case in &cases {
        for event in &case.events {
            assert_eq!(&round_trip(event), event);
        }
        let replayed: Vec<Event> = case.events.iter().map(round_trip).collect();
        assert_eq!(CaseState::fold(&replayed), case.state);
    }
}

#[test]
fn event_type_names_are_stable() {
    assert_eq!(
        Event::TYPES,
        &[
            "petition.received",
            "petition.classified",
            "petition.forwarded",
            "petition.forwarded_received",
            "petition.guided",
            "petition.filed",
            "petition.accepted",
            "petition.acceptance_refused",
            "verification.started",
            "verification.finding_recorded",
            "dialogue.held",
            "deadline.extended",
            "case.suspended",
            "case.resumed",
            "decision.issued",
            "notice.sent",
            "appeal.lodged",
            "re_denunciation.lodged",
            "lawsuit.noted",
            "petition.withdrawn",
            "case.terminated",
            "decision.took_effect",
            "decision.executed",
            "case.closed",
            "deadline.missed",
            "conclusion.published",
            "deadline.corrected",
        ]
    );
    let case = complaint_lifecycle();
    assert!(case.events.iter().all(|e| e.schema_version() == 1));
}

#[test]
fn stored_deadlines_carry_their_rule_and_explanation() {
    let stored = complaint_lifecycle().events[0].to_stored();
    let reply = &stored.payload["deadlines"]["started"]["reply"];
    assert_eq!(reply["rule_id"], "reception.reply");
    assert_eq!(reply["rulebook_version"], "vn-2026.07.2");
    assert_eq!(reply["due"], "2026-07-15");
    assert!(
        reply["explanation"]
            .as_str()
            .is_some_and(|s| s.contains("working days")),
        "{reply}"
    );
    assert_eq!(stored.payload["occurred_on"], "2026-07-01");
    assert_eq!(stored.payload["is_group"], true);
}

#[test]
fn an_unknown_event_type_is_a_decode_error() {
    let payload = serde_json::json!({ "occurred_on": "2026-07-01" });
    assert_eq!(
        Event::from_stored("petition.teleported", 1, &payload, None),
        Err(DecodeError::UnknownEventType(
            "petition.teleported".to_owned()
        ))
    );
}

#[test]
fn a_schema_version_from_the_future_is_a_decode_error() {
    let stored = complaint_lifecycle().events[1].to_stored();
    assert!(matches!(
        Event::from_stored(stored.event_type, 2, &stored.payload, None),
        Err(DecodeError::UnsupportedSchemaVersion { version: 2, .. })
    ));
}

#[test]
fn a_malformed_payload_is_a_decode_error() {
    assert!(matches!(
        Event::from_stored(
            "case.closed",
            1,
            &serde_json::json!(["not", "an", "object"]),
            None
        ),
        Err(DecodeError::InvalidPayload { .. })
    ));
    assert!(matches!(
        Event::from_stored(
            "case.closed",
            1,
            &serde_json::json!({ "occurred_on": "yesterday" }),
            None
        ),
        Err(DecodeError::InvalidPayload { .. })
    ));
}

#[test]
fn a_malformed_personal_part_is_a_decode_error() {
    let stored = complaint_lifecycle().events[0].to_stored();
    let bad = serde_json::json!({ "petitioners": { "signatories": [{ "full_name": "" }] } });
    assert!(matches!(
        Event::from_stored(stored.event_type, 1, &stored.payload, Some(&bad)),
        Err(DecodeError::InvalidPersonal { .. })
    ));
}
