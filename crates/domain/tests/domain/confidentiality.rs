//! Personal data stays in the personal part of stored events, and a denouncer's identity stays protected.

use domain::{CaseState, Channel, Classify, Event, PetitionKind};

use crate::given_when_then::{given, receive, within_competence};
use crate::lifecycle::{complaint_lifecycle, denunciation_lifecycle};

/// Every personal value the test petitioners carry.
const PERSONAL: &[&str] = &[
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Hoàng Văn Em",
    "Đỗ Thị Hạnh",
    "0912345678",
    "citizen@example.vn",
    "001099012345",
    "Hàng Bài",
];

#[test]
fn personal_data_never_appears_in_the_payload() {
    for case in [complaint_lifecycle(), denunciation_lifecycle()] {
        for event in &case.events {
            let stored = event.to_stored();
            let payload = stored.payload.to_string();
            for value in PERSONAL {
                assert!(
                    !payload.contains(value),
                    "{} payload leaks {value}: {payload}",
                    stored.event_type
                );
            }
            assert!(
                !payload.contains("petitioners"),
                "{} payload names the petitioners",
                stored.event_type
            );
            assert_eq!(
                stored.personal.is_some(),
                stored.event_type == "petition.received"
            );
        }
        let personal = case.events[0]
            .to_stored()
            .personal
            .expect("the petitioners are kept")
            .to_string();
        assert!(PERSONAL.iter().any(|v| personal.contains(v)));
    }
}

#[test]
fn erased_personal_data_decodes_as_no_petitioners() {
    let case = complaint_lifecycle();
    let replayed: Vec<Event> = case
        .events
        .iter()
        .map(|e| {
            let s = e.to_stored();
            // The store destroyed the petitioners' key: the personal part can no longer be read.
            Event::from_stored(s.event_type, s.schema_version, &s.payload, None)
                .expect("decodes without personal data")
        })
        .collect();
    let Event::PetitionReceived(first) = &replayed[0] else {
        panic!("the first event is the receipt")
    };
    assert_eq!(first.petitioners, None);
    let state = CaseState::fold(&replayed);
    assert_eq!(state.petitioners(), None);
    assert_eq!(
        serde_json::to_value(&state).expect("state serializes"),
        serde_json::to_value(&case.state).expect("state serializes"),
        "erasure changes nothing but the personal data"
    );
    assert!(state.is_group, "the group flag survives erasure");
}

#[test]
fn the_public_state_view_never_serializes_petitioners() {
    let case = complaint_lifecycle();
    let view = serde_json::to_string(&case.state).expect("state serializes");
    for value in PERSONAL {
        assert!(!view.contains(value), "the public view leaks {value}");
    }
    let petitioners = case
        .state
        .petitioners()
        .expect("the petitioners are known to the state");
    assert_eq!(petitioners.signatories.len(), 5);
    assert_eq!(petitioners.representatives, vec![0, 1]);
}

#[test]
fn a_denouncers_identity_stays_protected_after_a_kind_correction() {
    let corrected = Classify {
        kind: Some(PetitionKind::Complaint),
        ..within_competence()
    };
    let (_, case) = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .when("2026-07-02", corrected)
        .then_recorded(&["petition.classified"]);
    assert_eq!(case.state.kind, Some(PetitionKind::Complaint));
    assert!(case.state.identity_protected);
}

#[test]
fn a_complaint_corrected_into_a_denunciation_becomes_protected() {
    let corrected = Classify {
        kind: Some(PetitionKind::Denunciation),
        ..within_competence()
    };
    let case = given()
        .and(
            "2026-07-01",
            crate::given_when_then::complaint_at("UBND-HN"),
        )
        .and("2026-07-02", corrected);
    assert!(case.state.identity_protected);
    let handling = &case.state.deadlines[&domain::DeadlineKey::Handling].deadline;
    assert_eq!(handling.rule_id, "denunciation.initial_handling");
}
