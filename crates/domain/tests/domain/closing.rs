//! How cases end, and how overdue steps are recorded.

use domain::{
    Accept, Channel, Close, DeadlineKey, DeadlineStatus, DomainError, Event, Outcome, PetitionKind,
    RecordDeadlineMissed, RecordDecisionEffect, RecordExecution, RecordNoticeSent, Status,
    Terminate, Withdraw,
};

use crate::given_when_then::{
    Case, complaint_at, date, decision, given, receive, text, within_competence,
};
use crate::resolution::accepted_complaint;

fn withdraw() -> Withdraw {
    Withdraw {
        reason: text("The complainant reached an agreement with the investor."),
    }
}

fn terminate() -> Terminate {
    Terminate {
        reason: text("The complaint was withdrawn."),
    }
}

#[test]
fn withdrawing_then_terminating_ends_the_case() {
    let (_, case) = accepted_complaint("2026-07-03")
        .when("2026-07-10", withdraw())
        .then_recorded(&["petition.withdrawn"]);
    assert_eq!(case.state.status, Status::Withdrawn);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].status,
        DeadlineStatus::Cancelled {
            on: date("2026-07-10")
        }
    );
    let (_, case) = case
        .when("2026-07-11", terminate())
        .then_recorded(&["case.terminated"]);
    assert_eq!(case.state.status, Status::Terminated);
    case.when("2026-07-12", Accept {})
        .then_refused("illegal-transition");
}

#[test]
fn a_withdrawn_petition_is_terminated_not_closed() {
    accepted_complaint("2026-07-03")
        .and("2026-07-10", withdraw())
        .when("2026-07-11", Close { note: None })
        .then_refused("illegal-transition");
}

#[test]
fn a_decided_case_cannot_be_withdrawn() {
    accepted_complaint("2026-07-03")
        .and("2026-07-20", decision(Outcome::Rejected, "1/QĐ"))
        .when("2026-07-21", withdraw())
        .then_refused("illegal-transition");
}

fn decided() -> Case {
    accepted_complaint("2026-07-03").and("2026-07-20", decision(Outcome::Rejected, "16/QĐ-UBND"))
}

#[test]
fn a_decision_takes_effect_only_after_the_effect_period() {
    let err = decided()
        .when("2026-08-19", RecordDecisionEffect {})
        .then_refused("effect-period-running");
    assert_eq!(
        err,
        DomainError::EffectPeriodRunning {
            earliest: date("2026-08-20")
        }
    );
    let (_, case) = decided()
        .when("2026-08-20", RecordDecisionEffect {})
        .then_recorded(&["decision.took_effect"]);
    assert_eq!(case.state.status, Status::Effective);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::TakeEffect].status,
        DeadlineStatus::Met {
            on: date("2026-08-20")
        }
    );
}

#[test]
fn a_complaint_decision_cannot_be_closed_before_it_takes_effect() {
    decided()
        .when("2026-07-25", Close { note: None })
        .then_refused("illegal-transition");
}

#[test]
fn an_effective_decision_is_executed_then_closed() {
    let (_, case) = decided()
        .and("2026-08-20", RecordDecisionEffect {})
        .and(
            "2026-09-15",
            RecordExecution {
                note: Some(text("Compensation paid.")),
            },
        )
        .when("2026-09-16", Close { note: None })
        .then_recorded(&["case.closed"]);
    assert_eq!(case.state.status, Status::Closed);
    assert!(
        case.state
            .deadlines
            .values()
            .all(|t| t.status != DeadlineStatus::Open)
    );
}

#[test]
fn a_denunciation_conclusion_is_acted_on_then_closed() {
    let (_, case) = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Online, "UBND-DN"),
        )
        .and("2026-07-02", within_competence())
        .and("2026-07-03", Accept {})
        .and("2026-07-25", decision(Outcome::PartlyUpheld, "5/KL-UBND"))
        .when("2026-07-28", RecordExecution { note: None })
        .then_recorded(&["decision.executed"]);
    let act = &case.state.deadlines[&DeadlineKey::ActOnConclusion];
    assert_eq!(
        act.status,
        DeadlineStatus::Met {
            on: date("2026-07-28")
        }
    );
    case.when("2026-07-29", Close { note: None })
        .then_recorded(&["case.closed"]);
}

fn missed(key: DeadlineKey) -> RecordDeadlineMissed {
    RecordDeadlineMissed { deadline: key }
}

#[test]
fn a_deadline_is_recorded_missed_only_after_it_is_due() {
    // Received in person on 2026-07-01: the reply is due on 2026-07-15.
    let case = given().and("2026-07-01", complaint_at("UBND-HN"));
    case.clone()
        .when("2026-07-15", missed(DeadlineKey::Reply))
        .then_refused("deadline-not-missed");
    let (events, case) = case
        .when("2026-07-16", missed(DeadlineKey::Reply))
        .then_recorded(&["deadline.missed"]);
    let Event::DeadlineMissed(e) = &events[0] else {
        panic!("not a missed deadline")
    };
    assert_eq!(e.due, date("2026-07-15"));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Reply].status,
        DeadlineStatus::Missed {
            on: date("2026-07-16")
        }
    );
    case.when("2026-07-17", missed(DeadlineKey::Reply))
        .then_refused("deadline-not-missed");
}

#[test]
fn a_missed_notice_sent_later_is_recorded_as_late() {
    let (_, case) = given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .and("2026-07-16", missed(DeadlineKey::Reply))
        .when(
            "2026-07-20",
            RecordNoticeSent {
                notice: DeadlineKey::Reply,
                note: None,
            },
        )
        .then_recorded(&["notice.sent"]);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Reply].status,
        DeadlineStatus::Late {
            on: date("2026-07-20")
        }
    );
}

#[test]
fn the_appeal_window_is_never_recorded_missed() {
    decided()
        .when("2026-09-01", missed(DeadlineKey::AppealWindow))
        .then_refused("deadline-not-missed");
}

#[test]
fn an_untracked_deadline_cannot_be_missed() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .when("2026-09-01", missed(DeadlineKey::Decision))
        .then_refused("deadline-not-missed");
}

#[test]
fn nothing_happens_after_closing() {
    let case = given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .and("2026-07-01", within_competence())
        .and(
            "2026-07-02",
            domain::FileWithoutProcessing {
                reason: domain::FilingReason::Duplicate,
                note: None,
            },
        )
        .and("2026-07-03", Close { note: None });
    case.clone()
        .when("2026-07-04", withdraw())
        .then_refused("illegal-transition");
    case.clone()
        .when("2026-09-04", missed(DeadlineKey::Reply))
        .then_refused("illegal-transition");
    case.when("2026-07-04", Close { note: None })
        .then_refused("illegal-transition");
}

#[test]
fn the_watcher_finds_what_is_overdue() {
    let case = given().and("2026-07-01", complaint_at("UBND-HN"));
    assert!(case.state.overdue_deadlines(date("2026-07-15")).is_empty());
    assert_eq!(
        case.state.overdue_deadlines(date("2026-07-16")),
        vec![DeadlineKey::Reply, DeadlineKey::Handling]
    );
    let suspended = accepted_complaint("2026-07-03").and(
        "2026-07-10",
        domain::Suspend {
            reason: text("Waiting."),
        },
    );
    // The decision clock stands still; only the notice of the suspension itself, owed during it
    // (3 working days, Decree 155/2026), can be overdue.
    assert_eq!(
        suspended.state.overdue_deadlines(date("2026-12-01")),
        vec![DeadlineKey::SendSuspension]
    );
}
