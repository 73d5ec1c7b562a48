//! Publishing a denunciation conclusion (LTC art. 40): 7 working days from the conclusion.

use domain::{Command, DeadlineKey, DeadlineStatus, Event, Outcome};
use serde_json::json;

use crate::given_when_then::{Case, date, decision};
use crate::resolution::accepted_denunciation;

/// A denunciation accepted on 2026-07-03 and concluded on Monday 2026-07-20.
fn concluded() -> Case {
    accepted_denunciation(Default::default())
        .and("2026-07-20", decision(Outcome::PartlyUpheld, "5/KL-UBND"))
}

fn publish(medium: &str) -> Command {
    Command::from_action("record-publication", json!({ "medium": medium }))
        .expect("a well-formed record-publication command")
}

#[test]
fn a_conclusion_starts_the_publication_clock() {
    let case = concluded();
    let Some(Event::DecisionIssued(e)) = case.events.last() else {
        panic!("not a conclusion")
    };
    // 7 working days from Monday 2026-07-20, skipping the weekend of 07-25/26: Wednesday 2026-07-29.
    let publish = e
        .deadlines
        .started
        .values()
        .find(|d| d.rule_id == "denunciation.conclusion.publish")
        .expect("the publication deadline is started with the conclusion");
    assert_eq!(publish.due, date("2026-07-29"));
    assert_eq!(publish.basis, "LTC art. 40");
}

#[test]
fn recording_the_publication_meets_the_clock() {
    let (events, case) = concluded()
        .when(
            "2026-07-27",
            publish("Posted at the head office of UBND-HN and on its portal."),
        )
        .then_recorded(&["conclusion.published"]);
    assert_eq!(
        events[0].deadlines().closed[&DeadlineKey::PublishConclusion],
        DeadlineStatus::Met {
            on: date("2026-07-27")
        }
    );
    assert_eq!(
        case.state.deadlines[&DeadlineKey::PublishConclusion].status,
        DeadlineStatus::Met {
            on: date("2026-07-27")
        }
    );
    // Published once: a second record is refused.
    case.when("2026-07-28", publish("Again."))
        .then_refused("illegal-transition");
}

#[test]
fn a_late_publication_is_late_and_the_case_still_closes() {
    let case = concluded()
        .and(
            "2026-07-30",
            domain::RecordDeadlineMissed {
                deadline: DeadlineKey::PublishConclusion,
            },
        )
        .and("2026-08-03", publish("Announced at the agency meeting."));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::PublishConclusion].status,
        DeadlineStatus::Late {
            on: date("2026-08-03")
        }
    );
    case.when("2026-08-04", domain::Close { note: None })
        .then_recorded(&["case.closed"]);
}

#[test]
fn only_a_denunciation_conclusion_is_published() {
    crate::resolution::accepted_complaint("2026-07-03")
        .and("2026-07-20", decision(Outcome::Rejected, "12/QĐ-UBND"))
        .when("2026-07-21", publish("Posted."))
        .then_refused("not-applicable-to-kind");
}

#[test]
fn the_publication_round_trips_through_storage() {
    let (events, _) = concluded()
        .when("2026-07-27", publish("Posted on the agency's portal."))
        .then_recorded(&["conclusion.published"]);
    let stored = events[0].to_stored();
    assert_eq!(stored.personal, None);
    let back = Event::from_stored(
        stored.event_type,
        stored.schema_version,
        &stored.payload,
        None,
    )
    .expect("decodes");
    assert_eq!(back, events[0]);
}
