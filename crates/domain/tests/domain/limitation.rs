//! The limitation period (LKN arts. 9, 48) beyond the scenarios: what obstacles may be recorded, that a
//! late filing stays recorded and is refused with a clear reason, and the 2026 notice clocks around a
//! suspension (the suspension notice runs while the case is suspended).

use domain::{
    Accept, Channel, Contested, DeadlineKey, LimitationObstacle, ObstacleCause, PetitionKind,
    Resume, Suspend,
};

use crate::given_when_then::{complaint_at, date, given, receive, text, within_competence};

fn obstacle(from: &str, to: &str) -> LimitationObstacle {
    LimitationObstacle {
        from: date(from),
        to: date(to),
        cause: ObstacleCause::Illness,
        evidence: text("Giấy ra viện số 15/BV"),
    }
}

fn late_complaint(obstacles: Vec<LimitationObstacle>) -> domain::Receive {
    let mut cmd = complaint_at("UBND-HN");
    cmd.decision_date_learned = Some(date("2026-07-07"));
    cmd.limitation_obstacles = obstacles;
    cmd
}

#[test]
fn an_obstacle_ending_after_the_filing_is_refused_at_receipt() {
    let err = given()
        .when(
            "2026-10-16",
            late_complaint(vec![obstacle("2026-10-10", "2026-10-20")]),
        )
        .then_refused("invalid-input");
    assert!(
        err.to_string().contains("after the petition was received"),
        "{err}"
    );
}

#[test]
fn an_obstacle_ending_before_it_starts_is_refused() {
    let err = given()
        .when(
            "2026-10-16",
            late_complaint(vec![obstacle("2026-08-12", "2026-08-03")]),
        )
        .then_refused("invalid-input");
    assert!(err.to_string().contains("before it starts"), "{err}");
}

#[test]
fn obstacles_need_the_date_the_decision_was_learned_of() {
    let mut cmd = late_complaint(vec![obstacle("2026-08-03", "2026-08-12")]);
    cmd.decision_date_learned = None;
    given()
        .when("2026-10-16", cmd)
        .then_refused("invalid-input");
}

#[test]
fn obstacles_and_the_contested_decision_are_for_complaints_only() {
    let mut cmd = receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN");
    cmd.contested = Contested::DisciplinaryDecision;
    given()
        .when("2026-10-16", cmd)
        .then_refused("invalid-input");
}

#[test]
fn a_late_complaint_stays_recorded_and_its_acceptance_is_refused_with_the_reason() {
    let (events, case) = given()
        .when(
            "2026-10-16",
            late_complaint(vec![obstacle("2026-08-03", "2026-08-12")]),
        )
        .then_recorded(&["petition.received"]);
    assert_eq!(case.state.limitation_obstacles.len(), 1);
    assert_eq!(events.len(), 1);
    let err = given()
        .and(
            "2026-10-16",
            late_complaint(vec![obstacle("2026-08-03", "2026-08-12")]),
        )
        .and("2026-10-16", within_competence())
        .when("2026-10-19", Accept {})
        .then_refused("limitation-period-expired");
    let message = err.to_string();
    assert!(message.contains("ended on 2026-10-15"), "{message}");
    assert!(message.contains("limitation_obstacles"), "{message}");
}

#[test]
fn an_obstacle_after_the_period_ended_does_not_revive_it() {
    // 90 days from 07-07 end on 10-05; an illness from 10-06 came after the right had lapsed.
    given()
        .and(
            "2026-10-16",
            late_complaint(vec![obstacle("2026-10-06", "2026-10-14")]),
        )
        .and("2026-10-16", within_competence())
        .when("2026-10-19", Accept {})
        .then_refused("limitation-period-expired");
}

#[test]
fn the_suspension_notice_runs_while_the_case_is_suspended_and_the_decision_clock_does_not() {
    let case = given()
        .and("2026-08-03", complaint_at("UBND-HN"))
        .and("2026-08-03", within_competence())
        .and("2026-08-04", Accept {})
        .and(
            "2026-08-26",
            Suspend {
                reason: text("Awaiting a court ruling on the land title."),
            },
        );
    // On 09-10 both the notice (due 09-03) and the decision period (nominally 09-03) have passed.
    let overdue = case.state.overdue(date("2026-09-10"));
    assert_eq!(overdue, vec![(DeadlineKey::SendSuspension, 7)]);
    assert_eq!(
        case.state.overdue_deadlines(date("2026-09-10")),
        vec![DeadlineKey::SendSuspension],
        "the watcher records the missed notice during the suspension"
    );
    let case = case.and(
        "2026-09-08",
        Resume {
            reason: text("The court ruled."),
        },
    );
    assert!(
        case.state
            .deadlines
            .contains_key(&DeadlineKey::SendContinuation)
    );
}

#[test]
fn a_dialogue_cannot_be_notified_after_it_is_held() {
    let err = given()
        .and("2026-08-03", complaint_at("UBND-HN"))
        .and("2026-08-03", within_competence())
        .and("2026-08-04", Accept {})
        .when(
            "2026-08-13",
            domain::HoldDialogue {
                summary: text("The parties were heard."),
                notified_on: Some(date("2026-08-14")),
            },
        )
        .then_refused("invalid-input");
    assert!(
        err.to_string().contains("cannot be notified after it"),
        "{err}"
    );
}

#[test]
fn a_suspended_denunciation_owes_no_suspension_notice() {
    let case = given()
        .and(
            "2026-08-03",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and("2026-08-03", within_competence())
        .and("2026-08-04", Accept {})
        .and(
            "2026-08-26",
            Suspend {
                reason: text("Awaiting an expert opinion."),
            },
        );
    assert!(
        !case
            .state
            .deadlines
            .contains_key(&DeadlineKey::SendSuspension)
    );
    assert!(case.state.overdue(date("2026-12-01")).is_empty());
}
