//! The one definition of "overdue" (`CaseState::days_overdue`): a duty of the agency, not a period of
//! the petitioner's; paused while the case is suspended; a recorded miss stays overdue until done.

use domain::{
    Accept, Channel, Close, DeadlineKey, FileWithoutProcessing, FilingReason, Outcome,
    PetitionKind, RecordDeadlineMissed, RecordNoticeSent, Resume, Suspend,
};

use crate::given_when_then::{Case, date, decision, given, receive, text, within_competence};
use crate::resolution::accepted_denunciation;

fn missed(key: DeadlineKey) -> RecordDeadlineMissed {
    RecordDeadlineMissed { deadline: key }
}

fn notice(key: DeadlineKey) -> RecordNoticeSent {
    RecordNoticeSent {
        notice: key,
        note: None,
    }
}

#[test]
fn a_recorded_miss_stays_overdue_until_the_step_is_done() {
    // Received in person on 2026-07-01: the reply is due 10 working days later, on 2026-07-15.
    let case = given()
        .and(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                Channel::InPerson,
                "UBND-HN.HOAN-KIEM",
            ),
        )
        .and("2026-07-16", missed(DeadlineKey::Reply));
    let today = date("2026-07-20");
    assert!(case.state.is_overdue(DeadlineKey::Reply, today));
    assert_eq!(case.state.days_overdue(DeadlineKey::Reply, today), Some(5));
    // Already recorded: the watcher does not record it again, but it is still overdue.
    assert!(
        !case
            .state
            .overdue_deadlines(today)
            .contains(&DeadlineKey::Reply)
    );
    let case = case.and("2026-07-20", notice(DeadlineKey::Reply));
    assert!(!case.state.is_overdue(DeadlineKey::Reply, today));
}

/// A complaint whose duties were all met: its appeal window and effect period have long passed,
/// but they run for the complainant, so nothing is overdue 236 days later.
#[test]
fn the_petitioners_own_periods_are_never_overdue() {
    let case = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Complaint, Channel::Mail, "UBND-HN.HOAN-KIEM"),
        )
        .and("2026-07-01", within_competence())
        .and("2026-07-03", Accept {})
        .and("2026-07-20", decision(Outcome::Rejected, "12/QĐ-UBND"))
        .and("2026-07-21", notice(DeadlineKey::SendDecision));
    let today = date("2027-03-13");
    for key in [DeadlineKey::AppealWindow, DeadlineKey::TakeEffect] {
        let due = case.state.deadlines[&key].deadline.due;
        assert!(today > due, "{key} is past its due date {due}");
        assert!(!case.state.is_overdue(key, today), "{key} is not a duty");
    }
    assert_eq!(case.state.overdue(today), vec![]);
    assert_eq!(case.state.pending_due(), None);
}

fn suspend() -> Suspend {
    Suspend {
        reason: text("Waiting for the land registry's records."),
    }
}

#[test]
fn a_suspended_clock_is_not_overdue_and_a_resumed_one_is_judged_by_its_moved_due_date() {
    // Accepted 2026-07-03: resolution due 2026-08-03; suspended from 2026-07-10.
    let case = accepted_denunciation(Default::default())
        .and("2026-07-06", notice(DeadlineKey::NotifyAcceptance))
        .and("2026-07-10", suspend());
    let today = date("2026-08-20");
    assert!(date("2026-08-03") < today);
    assert!(!case.state.is_overdue(DeadlineKey::Decision, today));
    assert_eq!(case.state.overdue(today), vec![]);
    assert_eq!(case.state.overdue_deadlines(today), vec![]);
    assert_eq!(case.state.pending_due(), None);
    let case = case.and(
        "2026-08-20",
        Resume {
            reason: text("The records arrived."),
        },
    );
    let due = case.state.deadlines[&DeadlineKey::Decision].deadline.due;
    assert!(
        due > date("2026-09-01"),
        "moved by the 41 suspended days: {due}"
    );
    assert!(
        !case
            .state
            .is_overdue(DeadlineKey::Decision, date("2026-08-21"))
    );
    assert_eq!(case.state.pending_due(), Some(due));
}

#[test]
fn a_miss_recorded_before_a_suspension_stays_overdue_during_it() {
    // The acceptance notice was due 5 working days after 2026-07-03: 2026-07-10.
    let case = accepted_denunciation(Default::default())
        .and("2026-07-13", missed(DeadlineKey::NotifyAcceptance))
        .and("2026-07-14", suspend());
    let today = date("2026-07-20");
    assert_eq!(
        case.state.overdue(today),
        vec![(DeadlineKey::NotifyAcceptance, 10)]
    );
    assert_eq!(case.state.pending_due(), Some(date("2026-07-10")));
}

#[test]
fn nothing_is_overdue_once_the_case_is_over() {
    // A complaint within competence whose acceptance was missed, then filed without processing.
    let case: Case = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Complaint, Channel::Mail, "UBND-HN.HOAN-KIEM"),
        )
        .and("2026-07-01", within_competence())
        .and("2026-07-20", missed(DeadlineKey::Accept))
        .and(
            "2026-07-21",
            FileWithoutProcessing {
                reason: FilingReason::Duplicate,
                note: None,
            },
        )
        .and("2026-07-22", Close { note: None });
    assert_eq!(case.state.overdue(date("2026-09-01")), vec![]);
}
