//! Receiving and triage: the clocks that start, groups, identity protection, forwarding and guiding.

use domain::{
    CaseId, Channel, DeadlineKey, DeadlineStatus, Event, FileWithoutProcessing, FilingReason,
    Forward, Guide, PetitionKind, Petitioners, ReceiveForwarded, Status, TrackingCode,
};

use crate::given_when_then::{
    Case, agency, complaint_at, date, given, outside_competence, person, receive, text,
    within_competence,
};

fn received(events: &[Event]) -> &domain::PetitionReceived {
    match events.first() {
        Some(Event::PetitionReceived(e)) => e,
        other => panic!("expected petition.received, got {other:?}"),
    }
}

#[test]
fn receiving_in_person_starts_the_reply_and_triage_clocks() {
    let (events, case) = given()
        .when("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
        .then_recorded(&["petition.received"]);
    let e = received(&events);
    let reply = &e.deadlines.started[&DeadlineKey::Reply];
    assert_eq!(reply.rule_id, "reception.reply");
    assert_eq!(
        reply.due,
        date("2026-07-15"),
        "10 working days from Wednesday 2026-07-01"
    );
    assert_eq!(
        e.deadlines.started[&DeadlineKey::Handling].rule_id,
        "petition.handling"
    );
    assert!(
        !e.deadlines
            .started
            .contains_key(&DeadlineKey::ReferralReply)
    );
    assert_eq!(case.state.status, Status::Received);
    assert_eq!(case.state.current_agency, Some(agency("UBND-HN.HOAN-KIEM")));
    assert_eq!(case.state.version, 1);
}

#[test]
fn a_referral_starts_the_referral_reply_clock() {
    let cmd = receive(PetitionKind::Denunciation, Channel::Referral, "UBND-DN");
    let (events, _) = given()
        .when("2026-07-01", cmd)
        .then_recorded(&["petition.received"]);
    let e = received(&events);
    assert_eq!(
        e.deadlines.started[&DeadlineKey::ReferralReply].rule_id,
        "referral.reply"
    );
    assert_eq!(
        e.deadlines.started[&DeadlineKey::ReferralReply].due,
        date("2026-07-21")
    );
    assert!(!e.deadlines.started.contains_key(&DeadlineKey::Reply));
    assert_eq!(e.referrer.as_deref(), Some("Báo Nhân Dân"));
}

#[test]
fn a_referral_without_a_referrer_is_refused() {
    let mut cmd = receive(PetitionKind::Feedback, Channel::Referral, "UBND-DN");
    cmd.referrer = Some("   ".to_owned());
    given()
        .when("2026-07-01", cmd)
        .then_refused("invalid-input");
}

#[test]
fn a_denunciation_gets_its_own_triage_clock_and_identity_protection() {
    let cmd = receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN");
    let (events, case) = given()
        .when("2026-07-01", cmd)
        .then_recorded(&["petition.received"]);
    assert_eq!(
        received(&events).deadlines.started[&DeadlineKey::Handling].rule_id,
        "denunciation.initial_handling"
    );
    assert!(case.state.identity_protected);
}

fn signed_by(n: usize, representatives: Vec<usize>) -> domain::Receive {
    let mut cmd = complaint_at("UBND-HN.HOAN-KIEM");
    cmd.petitioners = Petitioners {
        signatories: (0..n).map(|i| person(&format!("Người ký {i}"))).collect(),
        representatives,
    };
    cmd.signatory_count = u32::try_from(n).expect("small");
    cmd
}

#[test]
fn five_signatories_make_a_group_petition() {
    let (events, case) = given()
        .when("2026-07-01", signed_by(5, vec![0, 1]))
        .then_recorded(&["petition.received"]);
    assert!(received(&events).is_group);
    assert!(case.state.is_group);
    assert_eq!(case.state.signatory_count, 5);
}

#[test]
fn four_signatories_are_not_a_group() {
    let (_, case) = given()
        .when("2026-07-01", signed_by(4, vec![]))
        .then_recorded(&["petition.received"]);
    assert!(!case.state.is_group);
}

#[test]
fn a_group_petition_without_representatives_is_refused() {
    given()
        .when("2026-07-01", signed_by(6, vec![]))
        .then_refused("invalid-input");
}

#[test]
fn receiving_the_same_case_twice_is_refused() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .when("2026-07-01", complaint_at("UBND-HN"))
        .then_refused("case-already-exists");
}

#[test]
fn a_command_on_a_case_never_received_is_refused() {
    given()
        .when("2026-07-01", within_competence())
        .then_refused("case-not-found");
}

#[test]
fn a_tracking_code_of_another_kind_is_refused() {
    let mut cmd = complaint_at("UBND-HN");
    cmd.tracking_code = TrackingCode::generate(PetitionKind::Denunciation, 2026, [1; 8]);
    given()
        .when("2026-07-01", cmd)
        .then_refused("invalid-input");
}

#[test]
fn an_unknown_receiving_agency_is_refused() {
    given()
        .when("2026-07-01", complaint_at("UBND-XX"))
        .then_refused("unknown-agency");
}

#[test]
fn a_step_dated_in_the_future_is_refused() {
    let mut case = given();
    case.today = Some(date("2026-06-30"));
    case.when("2026-07-01", complaint_at("UBND-HN"))
        .then_refused("step-date-in-future");
}

#[test]
fn a_step_dated_before_the_previous_step_is_refused() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN"))
        .when("2026-06-30", within_competence())
        .then_refused("step-date-before-previous-step");
}

fn denunciation_outside_competence() -> crate::given_when_then::Case {
    given()
        .and(
            "2026-07-01",
            receive(
                PetitionKind::Denunciation,
                Channel::Mail,
                "UBND-HN.HOAN-KIEM",
            ),
        )
        .and("2026-07-02", outside_competence(Some("UBND-HN")))
}

#[test]
fn a_denunciation_outside_competence_starts_the_forwarding_clock() {
    let case = denunciation_outside_competence();
    let forward = &case.state.deadlines[&DeadlineKey::Forward];
    assert_eq!(forward.deadline.rule_id, "denunciation.forward");
    assert_eq!(
        forward.deadline.trigger_date,
        date("2026-07-01"),
        "counted from receipt, not classification"
    );
    assert_eq!(forward.deadline.due, date("2026-07-08"));
    assert_eq!(case.state.status, Status::OutsideCompetence);
}

fn forward_to(to: &str) -> Forward {
    Forward {
        to_agency: agency(to),
        reason: text("The denounced official answers to the city."),
    }
}

#[test]
fn forwarding_to_the_same_agency_is_refused() {
    denunciation_outside_competence()
        .when("2026-07-03", forward_to("UBND-HN.HOAN-KIEM"))
        .then_refused("forward-to-same-agency");
}

#[test]
fn forwarding_a_denunciation_in_time_is_recorded_as_on_time() {
    let (events, case) = denunciation_outside_competence()
        .when("2026-07-06", forward_to("UBND-HN"))
        .then_recorded(&["petition.forwarded"]);
    let Event::PetitionForwarded(e) = &events[0] else {
        panic!("not a forwarding")
    };
    assert_eq!(e.on_time, Some(true));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Forward].status,
        DeadlineStatus::Met {
            on: date("2026-07-06")
        }
    );
}

#[test]
fn forwarding_a_denunciation_late_is_recorded_as_late() {
    let (events, case) = denunciation_outside_competence()
        .when("2026-07-20", forward_to("UBND-HN"))
        .then_recorded(&["petition.forwarded"]);
    let Event::PetitionForwarded(e) = &events[0] else {
        panic!("not a forwarding")
    };
    assert_eq!(e.on_time, Some(false));
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Forward].status,
        DeadlineStatus::Late {
            on: date("2026-07-20")
        }
    );
}

#[test]
fn the_triage_clock_restarts_where_the_forwarded_petition_arrives() {
    let (_, case) = denunciation_outside_competence()
        .and("2026-07-03", forward_to("UBND-HN"))
        .when("2026-07-09", ReceiveForwarded {})
        .then_recorded(&["petition.forwarded_received"]);
    assert_eq!(case.state.current_agency, Some(agency("UBND-HN")));
    assert_eq!(case.state.status, Status::Received);
    let handling = &case.state.deadlines[&DeadlineKey::Handling];
    assert_eq!(
        (handling.deadline.trigger_date, handling.status),
        (date("2026-07-09"), DeadlineStatus::Open)
    );
    // The competent agency can now accept it.
    let (_, case) = case
        .and("2026-07-10", within_competence())
        .when("2026-07-10", domain::Accept {})
        .then_recorded(&["petition.accepted"]);
    assert_eq!(case.state.competent_agency, Some(agency("UBND-HN")));
}

#[test]
fn a_petition_not_forwarded_cannot_be_recorded_as_arrived() {
    denunciation_outside_competence()
        .when("2026-07-03", ReceiveForwarded {})
        .then_refused("illegal-transition");
}

fn guide() -> Guide {
    Guide {
        guidance: text("Address the complaint to the chairman of the city people's committee."),
    }
}

#[test]
fn guiding_twice_is_refused() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
        .and("2026-07-02", outside_competence(None))
        .and("2026-07-02", guide())
        .when("2026-07-03", guide())
        .then_refused("guided-already");
}

/// The same content, guided once on an earlier case (Circular 05/2021/TT-TTCP): a repeat petition naming
/// that case as `related_case` is not guided again, it is filed as a duplicate.
fn repeat_of_a_guided_case() -> Case {
    let first = given()
        .and("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
        .and("2026-07-02", outside_competence(None))
        .and("2026-07-02", guide());
    let mut repeat = complaint_at("UBND-HN.HOAN-KIEM");
    repeat.related_case = Some(first.id);
    let mut second = Case {
        id: CaseId::from_uuid(uuid::Uuid::from_u128(2)),
        related: Some(first.state),
        ..Case::default()
    };
    second = second
        .and("2026-08-03", repeat)
        .and("2026-08-04", outside_competence(None));
    second
}

#[test]
fn a_repeat_of_content_already_guided_is_not_guided_again() {
    let case = repeat_of_a_guided_case();
    case.clone()
        .when("2026-08-05", guide())
        .then_refused("guided-already");
    case.when(
        "2026-08-05",
        FileWithoutProcessing {
            reason: FilingReason::Duplicate,
            note: None,
        },
    )
    .then_recorded(&["petition.filed"]);
}

#[test]
fn a_repeat_of_content_never_guided_may_be_guided() {
    let mut case = repeat_of_a_guided_case();
    if let Some(related) = case.related.as_mut() {
        *related = given()
            .and("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
            .state;
    }
    case.when("2026-08-05", guide())
        .then_recorded(&["petition.guided"]);
}

#[test]
fn a_related_case_other_than_the_one_named_is_refused() {
    let mut case = repeat_of_a_guided_case();
    if let Some(related) = case.related.as_mut() {
        related.case_id = Some(CaseId::from_uuid(uuid::Uuid::from_u128(3)));
    }
    case.when("2026-08-05", guide())
        .then_refused("invalid-input");
}

#[test]
fn a_written_denunciation_outside_competence_cannot_be_guided() {
    denunciation_outside_competence()
        .when("2026-07-03", guide())
        .then_refused("illegal-transition");
}

#[test]
fn a_petition_within_competence_is_not_guided() {
    given()
        .and("2026-07-01", complaint_at("UBND-HN.HOAN-KIEM"))
        .and("2026-07-02", within_competence())
        .when("2026-07-02", guide())
        .then_refused("illegal-transition");
}

#[test]
fn filing_without_processing_then_closing_ends_the_case() {
    let file = FileWithoutProcessing {
        reason: FilingReason::Anonymous,
        note: None,
    };
    let (_, case) = given()
        .and(
            "2026-07-01",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and("2026-07-02", file)
        .when("2026-07-03", domain::Close { note: None })
        .then_recorded(&["case.closed"]);
    assert_eq!(case.state.status, Status::Closed);
    assert!(
        case.state
            .deadlines
            .values()
            .all(|t| !matches!(t.status, DeadlineStatus::Open))
    );
    case.when("2026-07-04", domain::Accept {})
        .then_refused("illegal-transition");
}

/// LTCD art. 28(1): the desk answers a citizen received in person by accepting, refusing, forwarding or
/// guiding; each of those answers closes the reply clock, not only `record-notice-sent reply`.
#[test]
fn the_in_person_reply_clock_closes_when_the_desk_answers() {
    let in_person = || {
        given().and(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                Channel::InPerson,
                "UBND-HN.HOAN-KIEM",
            ),
        )
    };
    let met = DeadlineStatus::Met {
        on: date("2026-07-03"),
    };
    let guided = in_person()
        .and("2026-07-02", outside_competence(None))
        .and("2026-07-03", guide());
    let accepted = in_person()
        .and("2026-07-02", within_competence())
        .and("2026-07-03", domain::Accept {});
    let refused = in_person().and("2026-07-02", within_competence()).and(
        "2026-07-03",
        domain::Refuse {
            legal_ground: domain::LegalGround::parse("LKN art. 11(3)").expect("ground"),
        },
    );
    let forwarded = in_person()
        .and("2026-07-02", outside_competence(Some("UBND-HN")))
        .and(
            "2026-07-03",
            Forward {
                to_agency: agency("UBND-HN"),
                reason: text("The city decides land recovery."),
            },
        );
    for (answer, case) in [
        ("guide", guided),
        ("accept", accepted),
        ("refuse", refused),
        ("forward", forwarded),
    ] {
        assert_eq!(
            case.state.deadlines[&DeadlineKey::Reply].status,
            met,
            "{answer} answers the citizen"
        );
        // So the watcher never records a reply missed for an answered visitor.
        assert!(
            !case
                .state
                .overdue_deadlines(date("2026-08-01"))
                .contains(&DeadlineKey::Reply),
            "{answer}"
        );
    }
}
