//! Acceptance and refusal: which rule version applies, the limitation period, remote and complex variants.

use domain::{
    Accept, Channel, ComplexityCriteria, DeadlineKey, DeadlineStatus, Event, LegalGround,
    PetitionKind, Refuse, Status, Withdraw,
};

use crate::given_when_then::{
    Case, complaint_at, date, given, outside_competence, receive, text, within_competence,
};

fn classified_complaint(at: &str, received_on: &str) -> Case {
    given()
        .and(received_on, complaint_at(at))
        .and(received_on, within_competence())
}

#[test]
fn a_complaint_accepted_on_2026_06_30_keeps_the_ten_day_rule() {
    let (_, case) = classified_complaint("UBND-HN.HOAN-KIEM", "2026-06-30")
        .when("2026-06-30", Accept {})
        .then_recorded(&["petition.accepted"]);
    let accept = &case.state.deadlines[&DeadlineKey::Accept];
    assert_eq!(
        (
            accept.deadline.rule_id.as_str(),
            accept.deadline.rule_version
        ),
        ("complaint.accept", 1)
    );
    assert_eq!(accept.deadline.count, 10);
    assert_eq!(accept.deadline.due, date("2026-07-14"));
    assert_eq!(
        accept.status,
        DeadlineStatus::Met {
            on: date("2026-06-30")
        }
    );
}

#[test]
fn a_complaint_received_on_2026_07_01_gets_the_seven_day_rule() {
    let case = classified_complaint("UBND-HN.HOAN-KIEM", "2026-07-01");
    let accept = &case.state.deadlines[&DeadlineKey::Accept];
    assert_eq!(
        (accept.deadline.rule_version, accept.deadline.count),
        (3, 7),
        "v3, the correction of v2's basis"
    );
    assert_eq!(accept.deadline.due, date("2026-07-10"));
    assert!(
        !accept.deadline.verified,
        "the 7-day figure comes from a single secondary source"
    );
}

#[test]
fn accepting_a_complaint_starts_the_first_instance_decision_clock() {
    let (events, case) = classified_complaint("UBND-HN.HOAN-KIEM", "2026-07-01")
        .when("2026-07-03", Accept {})
        .then_recorded(&["petition.accepted"]);
    let Event::PetitionAccepted(e) = &events[0] else {
        panic!("not an acceptance")
    };
    let decision = &e.deadlines.started[&DeadlineKey::Decision];
    assert_eq!(
        (decision.rule_id.as_str(), decision.count),
        ("complaint.decision.first", 30)
    );
    assert_eq!(decision.trigger_date, date("2026-07-03"));
    assert_eq!(case.state.status, Status::Accepted);
    assert_eq!(case.state.accepted_on, Some(date("2026-07-03")));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Handling].status,
        DeadlineStatus::Met {
            on: date("2026-07-03")
        }
    );
}

#[test]
fn a_remote_agency_gets_the_longer_decision_period() {
    let (_, case) = classified_complaint("UBND-TQ.DONG-VAN", "2026-07-01")
        .when("2026-07-03", Accept {})
        .then_recorded(&["petition.accepted"]);
    let decision = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    assert_eq!(decision.count, 45);
    assert!(decision.variant.remote);
}

#[test]
fn a_complex_complaint_gets_the_longer_decision_period() {
    let complex = domain::Classify {
        complexity: ComplexityCriteria {
            several_contents: true,
            ..ComplexityCriteria::default()
        },
        ..within_competence()
    };
    let (_, case) = given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .and("2026-07-02", complex)
        .when("2026-07-03", Accept {})
        .then_recorded(&["petition.accepted"]);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].deadline.count,
        45
    );
}

#[test]
fn a_late_acceptance_is_recorded_as_late() {
    let (_, case) = classified_complaint("UBND-HN", "2026-07-01")
        .when("2026-07-20", Accept {})
        .then_recorded(&["petition.accepted"]);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Accept].status,
        DeadlineStatus::Late {
            on: date("2026-07-20")
        }
    );
}

fn complaint_learned_on(learned: &str) -> Case {
    let mut cmd = complaint_at("UBND-HN");
    cmd.decision_date_learned = Some(date(learned));
    given()
        .and("2026-07-01", cmd)
        .and("2026-07-02", within_competence())
}

#[test]
fn a_complaint_filed_after_the_limitation_period_cannot_be_accepted() {
    let err = complaint_learned_on("2026-03-01")
        .when("2026-07-03", Accept {})
        .then_refused("limitation-period-expired");
    assert_eq!(err.legal_basis(), Some("LKN arts. 9, 48"));
    // The officer must refuse it instead, citing the ground.
    let refuse = Refuse {
        legal_ground: LegalGround::parse("LKN art. 11(3): the limitation period has expired")
            .expect("ground"),
    };
    let (_, case) = complaint_learned_on("2026-03-01")
        .when("2026-07-03", refuse)
        .then_recorded(&["petition.acceptance_refused"]);
    assert_eq!(case.state.status, Status::Refused);
}

#[test]
fn a_complaint_within_the_limitation_period_is_accepted_and_keeps_the_period() {
    let (events, _) = complaint_learned_on("2026-05-01")
        .when("2026-07-03", Accept {})
        .then_recorded(&["petition.accepted"]);
    let Event::PetitionAccepted(e) = &events[0] else {
        panic!("not an acceptance")
    };
    let limitation = e
        .limitation
        .as_ref()
        .expect("the limitation period is kept");
    assert_eq!(limitation.rule_id, "complaint.limitation");
    assert_eq!(limitation.due, date("2026-07-30"));
}

#[test]
fn accepting_after_withdrawal_is_refused() {
    let err = classified_complaint("UBND-HN", "2026-07-01")
        .and(
            "2026-07-02",
            Withdraw {
                reason: text("The matter was settled amicably."),
            },
        )
        .when("2026-07-03", Accept {})
        .then_refused("illegal-transition");
    assert!(err.to_string().contains("withdrawn"), "{err}");
}

#[test]
fn accepting_a_petition_outside_competence_is_refused() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
        .and("2026-07-01", outside_competence(Some("UBND-HN")))
        .when("2026-07-02", Accept {})
        .then_refused("illegal-transition");
}

#[test]
fn accepting_twice_is_refused() {
    classified_complaint("UBND-HN", "2026-07-01")
        .and("2026-07-02", Accept {})
        .when("2026-07-03", Accept {})
        .then_refused("illegal-transition");
}

#[test]
fn accepting_a_denunciation_starts_the_resolution_and_notification_clocks() {
    let (_, case) = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and("2026-07-02", within_competence())
        .when("2026-07-03", Accept {})
        .then_recorded(&["petition.accepted"]);
    let decision = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    assert_eq!(
        (decision.rule_id.as_str(), decision.due),
        ("denunciation.resolution", date("2026-08-03"))
    );
    assert_eq!(
        case.state.deadlines[&DeadlineKey::NotifyAcceptance]
            .deadline
            .rule_id,
        "denunciation.accept.notify"
    );
}
