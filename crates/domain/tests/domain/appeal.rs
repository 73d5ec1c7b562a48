//! After the decision: second-instance complaints, re-denunciations and lawsuits.

use domain::{
    Accept, AgencyCode, Channel, Close, DeadlineKey, DeadlineStatus, Event, Instance, LodgeAppeal,
    LodgeReDenunciation, NoteLawsuit, Outcome, PetitionKind, Status,
};

use crate::given_when_then::{
    Case, agency, complaint_at, date, decision, given, receive, text, within_competence,
};
use crate::resolution::accepted_complaint;

fn appeal() -> LodgeAppeal {
    LodgeAppeal {
        grounds: text("The first-instance decision ignored the 2024 land price table."),
        superior: None,
    }
}

fn appeal_to(superior: &str) -> LodgeAppeal {
    LodgeAppeal {
        superior: Some(agency(superior)),
        ..appeal()
    }
}

/// A commune's first-instance decision issued on 2026-07-20: the appeal window ends on 2026-08-19.
fn decided_complaint() -> Case {
    accepted_complaint("2026-07-03").and("2026-07-20", decision(Outcome::Rejected, "15/QĐ-UBND"))
}

#[test]
fn appeal_after_the_window_is_refused() {
    let err = decided_complaint()
        .when("2026-08-20", appeal())
        .then_refused("appeal-window-closed");
    assert_eq!(
        err,
        domain::DomainError::AppealWindowClosed {
            closed_on: date("2026-08-19")
        }
    );
    assert_eq!(err.legal_basis(), Some("LKN art. 33"));
}

#[test]
fn an_appeal_within_the_window_goes_to_the_superior() {
    let (events, case) = decided_complaint()
        .when("2026-08-10", appeal())
        .then_recorded(&["appeal.lodged"]);
    let Event::AppealLodged(e) = &events[0] else {
        panic!("not an appeal")
    };
    assert_eq!(
        (e.from_agency.as_str(), e.to_agency.as_str()),
        ("UBND-HN.HOAN-KIEM", "UBND-HN")
    );
    assert!(!e.decision_period_lapsed);
    assert_eq!(case.state.status, Status::Appealed);
    assert_eq!(case.state.instance, Instance::Second);
    assert_eq!(case.state.current_agency, Some(agency("UBND-HN")));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::AppealWindow].status,
        DeadlineStatus::Met {
            on: date("2026-08-10")
        }
    );
    assert!(matches!(
        case.state.deadlines[&DeadlineKey::TakeEffect].status,
        DeadlineStatus::Cancelled { .. }
    ));
    let accept = &case.state.deadlines[&DeadlineKey::Accept];
    assert_eq!(
        (accept.deadline.trigger_date, accept.status),
        (date("2026-08-10"), DeadlineStatus::Open)
    );
}

#[test]
fn appealing_twice_at_one_level_is_refused() {
    decided_complaint()
        .and("2026-08-10", appeal())
        .when("2026-08-11", appeal())
        .then_refused("already-appealed");
}

#[test]
fn the_second_instance_is_accepted_and_decided_by_the_superior() {
    let (_, case) = decided_complaint()
        .and("2026-08-10", appeal())
        .and("2026-08-12", Accept {})
        .when("2026-09-10", decision(Outcome::Upheld, "99/QĐ-UBND"))
        .then_recorded(&["decision.issued"]);
    assert_eq!(case.state.decisions.len(), 2);
    assert_eq!(case.state.decisions[1].instance, Instance::Second);
    assert_eq!(case.state.decisions[1].agency, agency("UBND-HN"));
    let d = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    assert_eq!(d.rule_id, "complaint.decision.second");
}

#[test]
fn appealing_a_second_instance_decision_is_refused() {
    let err = decided_complaint()
        .and("2026-08-10", appeal())
        .and("2026-08-12", Accept {})
        .and("2026-09-10", decision(Outcome::Upheld, "99/QĐ-UBND"))
        .when("2026-09-11", appeal())
        .then_refused("no-further-appeal");
    assert_eq!(err.legal_basis(), Some("LKN art. 7"));
}

#[test]
fn an_appeal_is_allowed_once_the_first_instance_period_lapsed_without_a_decision() {
    let (events, case) = accepted_complaint("2026-07-03")
        .when("2026-08-10", appeal())
        .then_recorded(&["appeal.lodged"]);
    let Event::AppealLodged(e) = &events[0] else {
        panic!("not an appeal")
    };
    assert!(e.decision_period_lapsed);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Decision].status,
        DeadlineStatus::Missed {
            on: date("2026-08-10")
        }
    );
}

#[test]
fn an_appeal_long_after_the_lapsed_period_is_refused() {
    // The first-instance period ended on 2026-08-03; the window then ran 30 days, to 2026-09-03.
    accepted_complaint("2026-07-03")
        .when("2026-09-10", appeal())
        .then_refused("appeal-window-closed");
}

#[test]
fn an_appeal_while_the_first_instance_is_still_running_is_refused() {
    accepted_complaint("2026-07-03")
        .when("2026-07-20", appeal())
        .then_refused("illegal-transition");
}

#[test]
fn appealing_a_denunciation_is_refused() {
    given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .when("2026-07-02", appeal())
        .then_refused("not-applicable-to-kind");
}

#[test]
fn a_province_decision_is_appealed_to_a_named_ministry() {
    let case = given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .and("2026-07-01", within_competence())
        .and("2026-07-02", Accept {})
        .and("2026-07-20", decision(Outcome::Rejected, "7/QĐ-UBND"));
    case.clone()
        .when("2026-07-25", appeal())
        .then_refused("no-superior-agency");
    case.clone()
        .when("2026-07-25", appeal_to("UBND-HN"))
        .then_refused("invalid-input");
    let (_, case) = case
        .when("2026-07-25", appeal_to("BO-NNMT"))
        .then_recorded(&["appeal.lodged"]);
    assert_eq!(case.state.current_agency, Some(agency("BO-NNMT")));
}

fn re_denounce() -> LodgeReDenunciation {
    LodgeReDenunciation {
        grounds: text("The conclusion ignored the evidence submitted."),
        superior: None,
    }
}

fn concluded_denunciation() -> Case {
    given()
        .and(
            "2026-07-01",
            receive(
                PetitionKind::Denunciation,
                Channel::Mail,
                "UBND-HN.HOAN-KIEM",
            ),
        )
        .and("2026-07-02", within_competence())
        .and("2026-07-03", Accept {})
        .and("2026-07-25", decision(Outcome::Rejected, "3/KL-UBND"))
}

#[test]
fn a_re_denunciation_after_a_conclusion_starts_the_review_clock() {
    let (_, case) = concluded_denunciation()
        .when("2026-08-01", re_denounce())
        .then_recorded(&["re_denunciation.lodged"]);
    let review = &case.state.deadlines[&DeadlineKey::ReviewReDenunciation].deadline;
    assert_eq!(
        (review.rule_id.as_str(), review.due),
        ("denunciation.redenunciation.review", date("2026-08-21"))
    );
    assert_eq!(case.state.status, Status::ReDenounced);
    assert_eq!(case.state.current_agency, Some(agency("UBND-HN")));
    assert_eq!(case.state.re_denunciations, 1);
    case.when("2026-08-02", re_denounce())
        .then_refused("illegal-transition");
}

#[test]
fn re_denouncing_before_any_conclusion_is_refused() {
    given()
        .and(
            "2026-07-01",
            receive(
                PetitionKind::Denunciation,
                Channel::Mail,
                "UBND-HN.HOAN-KIEM",
            ),
        )
        .and("2026-07-02", within_competence())
        .and("2026-07-03", Accept {})
        .when("2026-07-10", re_denounce())
        .then_refused("illegal-transition");
}

#[test]
fn re_denouncing_a_complaint_is_refused() {
    decided_complaint()
        .when("2026-07-25", re_denounce())
        .then_refused("not-applicable-to-kind");
}

#[test]
fn a_lawsuit_after_a_decision_moves_the_case_to_court() {
    let lawsuit = NoteLawsuit {
        court: text("Tòa án nhân dân thành phố Hà Nội"),
        note: None,
    };
    let (_, case) = decided_complaint()
        .when("2026-07-30", lawsuit)
        .then_recorded(&["lawsuit.noted"]);
    assert_eq!(case.state.status, Status::InLitigation);
    assert!(matches!(
        case.state.deadlines[&DeadlineKey::AppealWindow].status,
        DeadlineStatus::Cancelled { .. }
    ));
    let (_, case) = case
        .when("2026-12-01", Close { note: None })
        .then_recorded(&["case.closed"]);
    assert_eq!(case.state.status, Status::Closed);
}

#[test]
fn a_lawsuit_before_any_decision_or_lapse_is_refused() {
    let lawsuit = NoteLawsuit {
        court: text("Tòa án nhân dân thành phố Hà Nội"),
        note: None,
    };
    accepted_complaint("2026-07-03")
        .when("2026-07-10", lawsuit)
        .then_refused("illegal-transition");
}

#[test]
fn superiors_are_named_by_code() {
    // A typo in the superior's code is an unknown agency, not a silent default.
    let bad = LodgeAppeal {
        superior: Some(AgencyCode::parse("BO-XX").expect("well-formed")),
        ..appeal()
    };
    decided_complaint()
        .when("2026-08-10", bad)
        .then_refused("unknown-agency");
}

/// The superior accepts a second-instance complaint within 7 working days of receiving it (Decree 124/2020
/// art. 16(1) as amended by Decree 155/2026 art. 10), and sends its decision within 7 days (LKN art. 41),
/// not the first instance's 3 working days (LKN art. 32).
#[test]
fn the_second_instance_accepts_within_7_working_days_and_sends_its_decision_within_7_days() {
    let case = decided_complaint().and("2026-08-10", appeal());
    let accept = &case.state.deadlines[&DeadlineKey::Accept].deadline;
    // From Monday 2026-08-10: 08-11 .. 08-14 (1-4), weekend, 08-17 .. 08-19 (5-7).
    assert_eq!(
        (accept.rule_id.as_str(), accept.rule_version, accept.due),
        ("complaint.accept", 3, date("2026-08-19"))
    );
    assert!(accept.basis.contains("Decree 155/2026 art. 10"));
    let (events, _) = case
        .and("2026-08-12", Accept {})
        .when("2026-09-07", decision(Outcome::Upheld, "3456/QĐ-UBND"))
        .then_recorded(&["decision.issued"]);
    let send = &events[0].deadlines().started[&DeadlineKey::SendDecision];
    // Issued Monday 2026-09-07: + 7 days = Monday 2026-09-14.
    assert_eq!(
        (send.rule_id.as_str(), send.due),
        ("complaint.decision.second.send", date("2026-09-14"))
    );
    assert_eq!(send.basis, "LKN art. 41");
}
