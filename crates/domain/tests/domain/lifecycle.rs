//! Whole cases, from receipt to closure, as the law lets them run.

use domain::{
    Accept, Channel, Classify, Close, ComplexityCriteria, DeadlineKey, DeadlineStatus, Extend,
    HoldDialogue, Instance, LodgeAppeal, LodgeReDenunciation, Outcome, PetitionKind, Petitioners,
    RecordDecisionEffect, RecordExecution, RecordFinding, RecordNoticeSent, Resume,
    StartVerification, Status, Suspend,
};

use crate::given_when_then::{
    Case, agency, complaint_at, date, decision, given, person, receive, text, within_competence,
};

fn notice(key: DeadlineKey) -> RecordNoticeSent {
    RecordNoticeSent {
        notice: key,
        note: None,
    }
}

fn verify() -> StartVerification {
    StartVerification {
        assigned_unit: Some(text("Thanh tra thành phố Hà Nội")),
    }
}

/// A group complaint against a commune's land decision, through both instances to closure.
pub fn complaint_lifecycle() -> Case {
    let mut receive = complaint_at("UBND-HN.HOAN-KIEM");
    receive.petitioners = Petitioners {
        signatories: [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Lê Văn Cường",
            "Phạm Thị Dung",
            "Hoàng Văn Em",
        ]
        .into_iter()
        .map(person)
        .collect(),
        representatives: vec![0, 1],
    };
    receive.signatory_count = 5;
    receive.decision_date_learned = Some(date("2026-06-15"));
    given()
        .and("2026-07-01", receive)
        .and("2026-07-02", within_competence())
        .and("2026-07-03", Accept {})
        .and("2026-07-06", verify())
        .and(
            "2026-07-10",
            RecordFinding {
                summary: text("The 2024 land price table was not applied."),
            },
        )
        .and(
            "2026-07-13",
            HoldDialogue {
                summary: text("The representatives maintain the claim."),
                notified_on: None,
            },
        )
        .and("2026-07-20", decision(Outcome::PartlyUpheld, "120/QĐ-UBND"))
        .and("2026-07-21", notice(DeadlineKey::SendDecision))
        .and(
            "2026-08-10",
            LodgeAppeal {
                grounds: text("Compensation still below the price table."),
                superior: None,
            },
        )
        .and("2026-08-12", Accept {})
        .and("2026-08-13", verify())
        .and("2026-09-10", decision(Outcome::Upheld, "3456/QĐ-UBND"))
        .and("2026-09-11", notice(DeadlineKey::SendDecision))
        .and("2026-10-13", RecordDecisionEffect {})
        .and(
            "2026-10-20",
            RecordExecution {
                note: Some(text("The additional compensation was paid.")),
            },
        )
        .and("2026-10-21", Close { note: None })
}

#[test]
fn a_complaint_goes_through_both_instances_to_closure() {
    let case = complaint_lifecycle();
    let s = &case.state;
    assert_eq!(s.status, Status::Closed);
    assert_eq!(s.version, 16);
    assert_eq!((s.appeals, s.instance), (1, Instance::Second));
    assert!(s.is_group);
    assert_eq!(s.current_agency, Some(agency("UBND-HN")));
    let instances: Vec<_> = s
        .decisions
        .iter()
        .map(|d| (d.instance, d.outcome, d.on_time))
        .collect();
    assert_eq!(
        instances,
        vec![
            (Instance::First, Outcome::PartlyUpheld, Some(true)),
            (Instance::Second, Outcome::Upheld, Some(true))
        ]
    );
    assert!(
        s.deadlines
            .values()
            .all(|t| t.status != DeadlineStatus::Open),
        "no clock runs on a closed case"
    );
    // The group was received in person: accepting the complaint answered it (LTCD art. 28(1)).
    assert_eq!(
        s.deadlines[&DeadlineKey::Reply].status,
        DeadlineStatus::Met {
            on: date("2026-07-03")
        }
    );
}

/// A particularly complex denunciation, suspended, extended, concluded, re-denounced and re-handled.
pub fn denunciation_lifecycle() -> Case {
    let criteria = ComplexityCriteria {
        several_places: true,
        many_denouncers: true,
        ..ComplexityCriteria::default()
    };
    let mut receive = receive(
        PetitionKind::Denunciation,
        Channel::Mail,
        "UBND-HN.HOAN-KIEM",
    );
    receive.petitioners.signatories = vec![person("Đỗ Thị Hạnh")];
    given()
        .and("2026-07-01", receive)
        .and(
            "2026-07-02",
            Classify {
                complexity: criteria,
                ..within_competence()
            },
        )
        .and("2026-07-03", Accept {})
        .and("2026-07-06", notice(DeadlineKey::NotifyAcceptance))
        .and("2026-07-06", verify())
        .and(
            "2026-07-10",
            Suspend {
                reason: text("Waiting for the land registry's records."),
            },
        )
        .and(
            "2026-07-20",
            Resume {
                reason: text("The records arrived."),
            },
        )
        .and(
            "2026-07-27",
            Extend {
                reason: text("Verification in two wards."),
                complexity: None,
            },
        )
        .and(
            "2026-08-05",
            RecordFinding {
                summary: text("The permit was issued without the required survey."),
            },
        )
        .and("2026-09-04", decision(Outcome::PartlyUpheld, "8/KL-UBND"))
        .and("2026-09-08", notice(DeadlineKey::SendDecision))
        .and(
            "2026-09-10",
            LodgeReDenunciation {
                grounds: text("The official was not disciplined."),
                superior: None,
            },
        )
        .and("2026-09-20", Accept {})
        .and("2026-09-21", verify())
        .and("2026-10-15", decision(Outcome::Upheld, "41/KL-UBND"))
        .and(
            "2026-10-16",
            RecordExecution {
                note: Some(text("Disciplinary proceedings opened.")),
            },
        )
        .and("2026-10-19", Close { note: None })
}

#[test]
fn a_denunciation_is_suspended_extended_and_re_denounced() {
    let case = denunciation_lifecycle();
    let s = &case.state;
    assert_eq!(s.status, Status::Closed);
    assert!(s.identity_protected);
    assert_eq!((s.extensions, s.re_denunciations), (1, 1));
    assert_eq!(s.decisions.len(), 2);
    assert_eq!(
        s.decisions[0].on_time,
        Some(true),
        "the pause and the extension moved the due date past 09-04"
    );
    assert_eq!(s.current_agency, Some(agency("UBND-HN")));
    assert_eq!(
        s.deadlines[&DeadlineKey::ReviewReDenunciation].status,
        DeadlineStatus::Met {
            on: date("2026-09-20")
        }
    );
    assert!(
        s.deadlines
            .values()
            .all(|t| t.status != DeadlineStatus::Open)
    );
}

#[test]
fn the_denunciation_clock_explains_its_pause_and_extension() {
    let case = given()
        .and(
            "2026-07-01",
            receive(
                PetitionKind::Denunciation,
                Channel::Mail,
                "UBND-HN.HOAN-KIEM",
            ),
        )
        .and(
            "2026-07-02",
            Classify {
                complexity: ComplexityCriteria {
                    several_places: true,
                    ..ComplexityCriteria::default()
                },
                ..within_competence()
            },
        )
        .and("2026-07-03", Accept {})
        .and(
            "2026-07-10",
            Suspend {
                reason: text("Waiting."),
            },
        )
        .and(
            "2026-07-20",
            Resume {
                reason: text("Resumed."),
            },
        )
        .and(
            "2026-07-27",
            Extend {
                reason: text("Two wards."),
                complexity: None,
            },
        );
    let d = &case.state.deadlines[&DeadlineKey::Decision].deadline;
    let kinds: Vec<_> = d.adjustments.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![
            clock::AdjustmentKind::Paused,
            clock::AdjustmentKind::Extended
        ]
    );
    assert_eq!(
        d.due,
        date("2026-09-11"),
        "08-02 + 10 suspended days = 08-12, then 30 more days"
    );
    assert!(d.explanation.contains("suspended"), "{}", d.explanation);
}

#[test]
fn a_recommendation_is_accepted_answered_and_closed() {
    let case = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Recommendation, Channel::Online, "UBND-DN"),
        )
        .and("2026-07-02", within_competence())
        .and("2026-07-03", Accept {});
    case.clone()
        .when(
            "2026-07-04",
            LodgeAppeal {
                grounds: text("x"),
                superior: None,
            },
        )
        .then_refused("not-applicable-to-kind");
    case.clone()
        .when("2026-07-04", verify())
        .then_refused("not-applicable-to-kind");
    case.clone()
        .when(
            "2026-07-04",
            Extend {
                reason: text("x"),
                complexity: None,
            },
        )
        .then_refused("not-applicable-to-kind");
    let (_, case) = case
        .and("2026-07-20", decision(Outcome::Upheld, "55/UBND-VP"))
        .when("2026-07-21", Close { note: None })
        .then_recorded(&["case.closed"]);
    assert_eq!(
        case.state.decisions[0].on_time, None,
        "no statutory period for answering a recommendation"
    );
    assert_eq!(case.state.status, Status::Closed);
}
