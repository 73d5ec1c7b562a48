//! Resolution: verification, dialogue, extensions, suspensions, the decision and its notices.

use domain::{
    Accept, Channel, Classify, Complexity, ComplexityCriteria, DeadlineKey, DeadlineStatus, Event,
    Extend, HoldDialogue, Outcome, PetitionKind, RecordDeadlineMissed, RecordFinding,
    RecordNoticeSent, Resume, StartVerification, Status, Suspend, SuspensionMode,
};

use crate::given_when_then::{
    Case, complaint_at, date, decision, given, receive, text, within_competence,
};

pub fn accepted_complaint(on: &str) -> Case {
    given()
        .and(on, complaint_at("UBND-HN.HOAN-KIEM"))
        .and(on, within_competence())
        .and(on, Accept {})
}

pub fn accepted_denunciation(criteria: ComplexityCriteria) -> Case {
    given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and(
            "2026-07-02",
            Classify {
                complexity: criteria,
                ..within_competence()
            },
        )
        .and("2026-07-03", Accept {})
}

fn extend(complexity: Option<Complexity>) -> Extend {
    Extend {
        reason: text("Verification needs records from several agencies."),
        complexity,
    }
}

fn decision_due(case: &Case) -> chrono::NaiveDate {
    case.state.deadlines[&DeadlineKey::Decision].deadline.due
}

#[test]
fn deciding_a_case_never_accepted_is_refused() {
    let err = given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .and("2026-07-02", within_competence())
        .when("2026-07-03", decision(Outcome::Rejected, "12/QĐ-UBND"))
        .then_refused("illegal-transition");
    assert!(matches!(
        err,
        domain::DomainError::IllegalTransition {
            status: Status::Classified,
            ..
        }
    ));
}

#[test]
fn a_decision_on_time_marks_the_decision_deadline_met() {
    let (events, case) = accepted_complaint("2026-07-03")
        .and(
            "2026-07-06",
            StartVerification {
                assigned_unit: Some(text("Thanh tra thành phố Hà Nội")),
            },
        )
        .and(
            "2026-07-10",
            RecordFinding {
                summary: text("The land price table of 2024 was applied."),
            },
        )
        .and(
            "2026-07-13",
            HoldDialogue {
                summary: text("The complainant maintains the claim."),
                notified_on: None,
            },
        )
        .when("2026-07-20", decision(Outcome::PartlyUpheld, "12/QĐ-UBND"))
        .then_recorded(&["decision.issued"]);
    let Event::DecisionIssued(e) = &events[0] else {
        panic!("not a decision")
    };
    assert_eq!(e.on_time, Some(true));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].status,
        DeadlineStatus::Met {
            on: date("2026-07-20")
        }
    );
    for (key, rule) in [
        (DeadlineKey::SendDecision, "complaint.decision.send"),
        (DeadlineKey::AppealWindow, "complaint.appeal.window"),
        (DeadlineKey::TakeEffect, "complaint.decision.effect"),
    ] {
        assert_eq!(e.deadlines.started[&key].rule_id, rule);
    }
    assert_eq!(case.state.status, Status::Decided);
    assert_eq!(case.state.decisions.len(), 1);
}

#[test]
fn a_late_decision_is_recorded_as_late() {
    let (events, case) = accepted_complaint("2026-07-03")
        .when("2026-08-10", decision(Outcome::Rejected, "13/QĐ-UBND"))
        .then_recorded(&["decision.issued"]);
    let Event::DecisionIssued(e) = &events[0] else {
        panic!("not a decision")
    };
    assert_eq!(e.on_time, Some(false));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].status,
        DeadlineStatus::Late {
            on: date("2026-08-10")
        }
    );
    assert_eq!(case.state.decisions[0].on_time, Some(false));
}

#[test]
fn extending_a_complaint_counts_it_as_complex_once() {
    let (_, case) = accepted_complaint("2026-07-03")
        .when("2026-07-10", extend(None))
        .then_recorded(&["deadline.extended"]);
    let d = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    assert_eq!((d.count, d.variant.complexity), (45, Complexity::Complex));
    assert_eq!(case.state.complexity, Complexity::Complex);
    case.when("2026-07-11", extend(None))
        .then_refused("extension-not-allowed");
}

#[test]
fn a_normal_denunciation_cannot_be_extended() {
    accepted_denunciation(ComplexityCriteria::default())
        .when("2026-07-20", extend(None))
        .then_refused("extension-not-allowed");
}

#[test]
fn a_denunciation_found_complex_is_extended_once() {
    let case = accepted_denunciation(ComplexityCriteria::default())
        .and("2026-07-20", extend(Some(Complexity::Complex)));
    assert_eq!(
        decision_due(&case),
        date("2026-09-03"),
        "30 more days after 2026-08-03, past National Day"
    );
    case.when("2026-08-20", extend(None))
        .then_refused("extension-not-allowed");
}

#[test]
fn a_particularly_complex_denunciation_is_extended_twice_at_most() {
    let two = ComplexityCriteria {
        several_places: true,
        foreign_element: true,
        ..ComplexityCriteria::default()
    };
    let case = accepted_denunciation(two)
        .and("2026-07-20", extend(None))
        .and("2026-08-20", extend(None));
    assert_eq!(case.state.extensions, 2);
    // 90 days from the acceptance on 2026-07-03: Thursday 2026-10-01.
    assert_eq!(decision_due(&case), date("2026-10-01"));
    case.when("2026-09-20", extend(None))
        .then_refused("extension-not-allowed");
}

fn suspend() -> Suspend {
    Suspend {
        reason: text("Waiting for the court's ruling on the land boundary."),
    }
}

fn resume() -> Resume {
    Resume {
        reason: text("The court ruled."),
    }
}

#[test]
fn a_denunciation_suspension_does_not_count() {
    let (events, case) = accepted_denunciation(ComplexityCriteria::default())
        .and("2026-07-10", suspend())
        .when("2026-07-20", resume())
        .then_recorded(&["case.resumed"]);
    let Event::CaseResumed(e) = &events[0] else {
        panic!("not a resumption")
    };
    assert_eq!(e.mode, Some(SuspensionMode::Pause));
    assert_eq!(
        decision_due(&case),
        date("2026-08-12"),
        "the period ended on 08-02 and gains the 10 suspended days"
    );
    assert_eq!(case.state.status, Status::Accepted);
    assert_eq!(case.state.suspended_since, None);
}

/// Decree 124/2020 art. 28b(2) as amended by Decree 155/2026 art. 12: the period "continues to be
/// counted" from the decision to continue, so suspended time is not counted (rule v3, correcting v2's
/// restart).
#[test]
fn a_complaint_suspended_under_the_2026_rules_pauses_its_clock() {
    let (events, case) = accepted_complaint("2026-07-03")
        .and("2026-07-10", suspend())
        .when("2026-07-20", resume())
        .then_recorded(&["case.resumed"]);
    let Event::CaseResumed(e) = &events[0] else {
        panic!("not a resumption")
    };
    assert_eq!(e.mode, Some(SuspensionMode::Pause));
    let d = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    // 30 days from 2026-07-03 ended on Sunday 08-02; + the 10 suspended days = Wednesday 2026-08-12.
    // A restart would have given 2026-08-19.
    assert_eq!(
        (d.rule_version, d.trigger_date, d.due),
        (3, date("2026-07-03"), date("2026-08-12"))
    );
}

#[test]
fn a_complaint_suspended_before_2026_07_01_pauses_its_clock() {
    let (events, case) = accepted_complaint("2026-06-15")
        .and("2026-06-20", suspend())
        .when("2026-06-25", resume())
        .then_recorded(&["case.resumed"]);
    let Event::CaseResumed(e) = &events[0] else {
        panic!("not a resumption")
    };
    assert_eq!(e.mode, Some(SuspensionMode::Pause));
    assert_eq!(decision_due(&case), date("2026-07-20"));
}

#[test]
fn suspending_twice_is_refused() {
    accepted_complaint("2026-07-03")
        .and("2026-07-10", suspend())
        .when("2026-07-11", suspend())
        .then_refused("illegal-transition");
}

#[test]
fn resuming_a_case_not_suspended_is_refused() {
    accepted_complaint("2026-07-03")
        .when("2026-07-10", resume())
        .then_refused("illegal-transition");
}

#[test]
fn deciding_a_suspended_case_is_refused() {
    accepted_complaint("2026-07-03")
        .and("2026-07-10", suspend())
        .when("2026-07-11", decision(Outcome::Upheld, "1/QĐ"))
        .then_refused("illegal-transition");
}

#[test]
fn a_deadline_cannot_be_recorded_missed_while_suspended() {
    accepted_complaint("2026-07-03")
        .and("2026-07-10", suspend())
        .when(
            "2026-09-10",
            RecordDeadlineMissed {
                deadline: DeadlineKey::Decision,
            },
        )
        .then_refused("deadline-not-missed");
}

#[test]
fn a_dialogue_is_held_only_on_complaints() {
    accepted_denunciation(ComplexityCriteria::default())
        .when(
            "2026-07-10",
            HoldDialogue {
                summary: text("Met the denouncer."),
                notified_on: None,
            },
        )
        .then_refused("not-applicable-to-kind");
}

#[test]
fn findings_are_recorded_only_during_verification() {
    accepted_complaint("2026-07-03")
        .when(
            "2026-07-10",
            RecordFinding {
                summary: text("A finding."),
            },
        )
        .then_refused("illegal-transition");
}

#[test]
fn recording_the_decision_as_sent_meets_the_sending_deadline_and_reopens_the_appeal_window() {
    let case =
        accepted_complaint("2026-07-03").and("2026-07-20", decision(Outcome::Rejected, "14/QĐ"));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::AppealWindow]
            .deadline
            .due,
        date("2026-08-19")
    );
    let (_, case) = case
        .when(
            "2026-07-22",
            RecordNoticeSent {
                notice: DeadlineKey::SendDecision,
                note: None,
            },
        )
        .then_recorded(&["notice.sent"]);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::SendDecision].status,
        DeadlineStatus::Met {
            on: date("2026-07-22")
        }
    );
    assert_eq!(
        case.state.deadlines[&DeadlineKey::AppealWindow]
            .deadline
            .due,
        date("2026-08-21")
    );
    case.when(
        "2026-07-23",
        RecordNoticeSent {
            notice: DeadlineKey::SendDecision,
            note: None,
        },
    )
    .then_refused("no-notice-pending");
}

#[test]
fn only_notices_can_be_recorded_as_sent() {
    accepted_complaint("2026-07-03")
        .when(
            "2026-07-04",
            RecordNoticeSent {
                notice: DeadlineKey::Decision,
                note: None,
            },
        )
        .then_refused("invalid-input");
}

/// LTC art. 30: a particularly complex denunciation has at most 90 days from acceptance. Accepted Monday
/// 2026-03-02: + 90 = Sunday 2026-05-31, rolled to Monday 2026-06-01 (not 06-03, which the intermediate
/// roll from Labour Day 05-01 to 05-04 used to add).
#[test]
fn twice_extended_denunciation_is_due_90_days_after_acceptance() {
    let two = ComplexityCriteria {
        several_places: true,
        foreign_element: true,
        ..ComplexityCriteria::default()
    };
    let case = given()
        .and(
            "2026-02-25",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and(
            "2026-02-26",
            Classify {
                complexity: two,
                ..within_competence()
            },
        )
        .and("2026-03-02", Accept {})
        .and("2026-03-20", extend(None))
        .and("2026-04-20", extend(None));
    assert_eq!(decision_due(&case), date("2026-06-01"));
}

/// Accepted Friday 2026-03-06, complex, extended once: + 60 = Tuesday 2026-05-05.
#[test]
fn once_extended_denunciation_is_due_60_days_after_acceptance() {
    let case = given()
        .and(
            "2026-03-02",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and("2026-03-04", within_competence())
        .and("2026-03-06", Accept {})
        .and("2026-03-30", extend(Some(Complexity::Complex)));
    assert_eq!(decision_due(&case), date("2026-05-05"));
}
