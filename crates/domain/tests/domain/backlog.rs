//! Backlog entry: an old paper case keyed in step by step, with their real dates, while the deadline
//! watcher runs. A watcher's record of a miss is dated the day it is recorded; it does not stop a step
//! that happened earlier from being recorded, and such a step supersedes the miss.

use domain::{
    Accept, Channel, DeadlineKey, DeadlineStatus, IssueDecision, Outcome, PetitionKind,
    RecordDeadlineMissed, Resume, Suspend,
};

use crate::given_when_then::{Case, date, given, receive, text, types, within_competence};

const TODAY: &str = "2026-09-01";

fn missed(key: DeadlineKey) -> RecordDeadlineMissed {
    RecordDeadlineMissed { deadline: key }
}

/// A complaint received by mail on Monday 2026-03-02 and keyed in on 2026-09-01: its triage period
/// (10 working days) ended on 2026-03-16, so the watcher records it missed today.
fn keyed_in_and_missed() -> Case {
    let mut case = given();
    case.today = Some(date(TODAY));
    case.and(
        "2026-03-02",
        receive(PetitionKind::Complaint, Channel::Mail, "UBND-HN.HOAN-KIEM"),
    )
    .and(TODAY, missed(DeadlineKey::Handling))
}

#[test]
fn a_step_before_a_recorded_miss_is_recorded_with_its_real_date() {
    let (_, case) = keyed_in_and_missed()
        .when("2026-03-05", within_competence())
        .then_recorded(&["petition.classified"]);
    // Triage ends with the acceptance, on 2026-03-10: before the due date 2026-03-16, so it is met, and the
    // miss recorded today is superseded.
    let (_, case) = case
        .when("2026-03-10", Accept {})
        .then_recorded(&["petition.accepted"]);
    let handling = &case.state.deadlines[&DeadlineKey::Handling];
    assert_eq!(
        handling.status,
        DeadlineStatus::Met {
            on: date("2026-03-10")
        }
    );
    assert_eq!(handling.superseded_miss(), Some(date(TODAY)));
    assert!(!case.state.is_overdue(DeadlineKey::Handling, date(TODAY)));
    // The miss stays in history.
    assert_eq!(
        types(&case.events),
        vec![
            "petition.received",
            "deadline.missed",
            "petition.classified",
            "petition.accepted"
        ]
    );
    // Steps keep their own order: nothing dated before the acceptance may follow it.
    case.when(
        "2026-03-09",
        Suspend {
            reason: text("Waiting for the land registry."),
        },
    )
    .then_refused("step-date-before-previous-step");
}

#[test]
fn a_step_late_by_its_real_date_is_late_and_still_supersedes_the_miss() {
    // The acceptance period (10 working days from 2026-03-02) ended on 2026-03-16.
    let case = keyed_in_and_missed()
        .and("2026-03-05", within_competence())
        .and(TODAY, missed(DeadlineKey::Accept))
        .and("2026-03-20", Accept {});
    let accept = &case.state.deadlines[&DeadlineKey::Accept];
    assert_eq!(
        accept.status,
        DeadlineStatus::Late {
            on: date("2026-03-20")
        }
    );
    assert_eq!(accept.superseded_miss(), Some(date(TODAY)));
}

#[test]
fn a_step_done_after_the_miss_was_recorded_leaves_the_miss_standing() {
    let mut case = given();
    case.today = Some(date("2026-03-20"));
    let case = case
        .and(
            "2026-03-02",
            receive(PetitionKind::Complaint, Channel::Mail, "UBND-HN.HOAN-KIEM"),
        )
        .and("2026-03-17", missed(DeadlineKey::Handling))
        .and("2026-03-20", within_competence())
        .and("2026-03-20", Accept {});
    let handling = &case.state.deadlines[&DeadlineKey::Handling];
    assert_eq!(
        handling.status,
        DeadlineStatus::Late {
            on: date("2026-03-20")
        }
    );
    assert_eq!(handling.superseded_miss(), None);
}

/// A suspension keyed in after the watcher recorded the decision period missed: the suspension happened
/// before the due date, so the clock is paused as the law says and the miss is superseded.
#[test]
fn a_suspension_before_a_recorded_miss_pauses_the_clock() {
    let case = keyed_in_and_missed()
        .and("2026-03-05", within_competence())
        .and("2026-03-20", Accept {})
        .and(TODAY, missed(DeadlineKey::Decision));
    // 30 days from 2026-03-20: Sunday 2026-04-19, rolled to Monday 2026-04-20.
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].deadline.due,
        date("2026-04-20")
    );
    let case = case
        .and(
            "2026-04-01",
            Suspend {
                reason: text("Waiting for the land registry."),
            },
        )
        .and(
            "2026-04-15",
            Resume {
                reason: text("The records arrived."),
            },
        );
    let decision = &case.state.deadlines[&DeadlineKey::Decision];
    // 14 days suspended: 2026-04-19 + 14 = Sunday 2026-05-03, rolled to Monday 2026-05-04.
    assert_eq!(decision.deadline.due, date("2026-05-04"));
    assert_eq!(decision.status, DeadlineStatus::Open);
    assert_eq!(decision.superseded_miss(), Some(date(TODAY)));
    let case = case.and(
        "2026-04-30",
        IssueDecision {
            outcome: Outcome::Rejected,
            summary: text("The compensation follows the price table."),
            decision_number: "7/QĐ-UBND".to_owned(),
        },
    );
    let decision = &case.state.deadlines[&DeadlineKey::Decision];
    assert_eq!(
        decision.status,
        DeadlineStatus::Met {
            on: date("2026-04-30")
        }
    );
    assert_eq!(decision.superseded_miss(), Some(date(TODAY)));
    assert_eq!(case.state.decisions[0].on_time, Some(true));
}
