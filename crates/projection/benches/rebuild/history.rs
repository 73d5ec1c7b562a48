//! The generated history: realistic lifecycles decided by the real domain with the shipped rulebook.

use chrono::NaiveDate;
use domain::{
    Accept, AgencyCode, CaseId, CaseState, Channel, Classify, Clocks, Command, ComplexityCriteria,
    DeadlineKey, DecideContext, FullName, HoldDialogue, IssueDecision, Outcome, Person,
    PetitionKind, Petitioners, Receive, RecordFinding, RecordNoticeSent, StartVerification,
    StaticAgencyDirectory, Subject, Text, TrackingCode, decide,
};
use store::NewEvent;
use uuid::Uuid;

use crate::Bench;

pub const AGENCIES: [&str; 6] = [
    "UBND-HN.HOAN-KIEM",
    "UBND-HN.SOC-SON",
    "UBND-HCM.SAI-GON",
    "UBND-DN.HAI-CHAU",
    "UBND-TQ.DONG-VAN",
    "UBND-LC.SA-PA",
];

fn text(s: &str) -> Bench<Text> {
    Ok(Text::parse(s)?)
}

/// The commands of case `n`, with their step dates: most go the whole way to closing, every tenth stays open.
fn lifecycle(n: u64) -> Bench<Vec<(NaiveDate, Command)>> {
    let start = NaiveDate::from_ymd_opt(2025, 7, 1).ok_or("date")? + chrono::Days::new(n % 450);
    let d = |days: u64| start + chrono::Days::new(days);
    let kind = if n.is_multiple_of(3) {
        PetitionKind::Denunciation
    } else {
        PetitionKind::Complaint
    };
    let signatories = if n.is_multiple_of(17) { 6 } else { 1 };
    let person = Person {
        full_name: FullName::parse("Nguyễn Văn An")?,
        address: None,
        phone: None,
        email: None,
        national_id: None,
        preferred_language: None,
    };
    let receive = Receive {
        kind,
        channel: Channel::Mail,
        receiving_agency: AgencyCode::parse(AGENCIES[(n % 6) as usize])?,
        subject: Subject::parse("Land recovery compensation")?,
        content: text(
            "The compensation decided for the recovered plot is below the land price table.",
        )?,
        petitioners: Petitioners {
            signatories: vec![person],
            representatives: if signatories > 1 { vec![0] } else { vec![] },
        },
        signatory_count: signatories,
        related_case: None,
        decision_date_learned: None,
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: TrackingCode::generate(kind, 2026, n.to_be_bytes()),
        referrer: None,
    };
    let classify = Classify {
        kind: None,
        within_competence: true,
        competent_agency: None,
        complexity: ComplexityCriteria::default(),
    };
    let mut steps = vec![
        (d(0), Command::Receive(receive)),
        (d(0), Command::Classify(classify)),
        (d(1), Command::Accept(Accept {})),
        (
            d(2),
            Command::StartVerification(StartVerification {
                assigned_unit: None,
            }),
        ),
        (
            d(5),
            Command::RecordFinding(RecordFinding {
                summary: text("Site visit done.")?,
            }),
        ),
        (
            d(8),
            Command::RecordFinding(RecordFinding {
                summary: text("Records compared.")?,
            }),
        ),
        (
            d(10),
            Command::HoldDialogue(HoldDialogue {
                summary: text("The complainant was heard.")?,
                notified_on: None,
            }),
        ),
    ];
    if !n.is_multiple_of(10) {
        let outcome = [Outcome::Upheld, Outcome::PartlyUpheld, Outcome::Rejected][(n % 3) as usize];
        steps.push((
            d(20 + n % 25),
            Command::IssueDecision(IssueDecision {
                outcome,
                summary: text("Decided.")?,
                decision_number: format!("{n}/QD"),
            }),
        ));
        steps.push((
            d(46),
            Command::RecordNoticeSent(RecordNoticeSent {
                notice: DeadlineKey::SendDecision,
                note: None,
            }),
        ));
        steps.push((
            d(120),
            Command::RecordDecisionEffect(domain::RecordDecisionEffect {}),
        ));
        steps.push((
            d(130),
            Command::RecordExecution(domain::RecordExecution { note: None }),
        ));
        steps.push((d(131), Command::Close(domain::Close { note: None })));
    }
    Ok(steps)
}

/// Decides a case's lifecycle; steps the law refuses for this kind are skipped (the history stays legal).
pub fn case_events(
    n: u64,
    clocks: &Clocks,
    agencies: &StaticAgencyDirectory,
) -> Bench<(CaseId, Vec<NewEvent>)> {
    let id = CaseId::from_uuid(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(n),
    ));
    let mut state = CaseState::default();
    let mut out = Vec::new();
    for (on, cmd) in lifecycle(n)? {
        let ctx = DecideContext {
            case_id: id,
            step_date: on,
            today: on,
            clocks,
            agencies,
            related: None,
        };
        let Ok(events) = decide(&state, &cmd, &ctx) else {
            continue;
        };
        for e in events {
            state.apply(&e);
            let stored = e.to_stored();
            out.push(NewEvent {
                event_id: Uuid::now_v7(),
                event_type: stored.event_type.to_owned(),
                schema_version: stored.schema_version,
                payload: stored.payload,
                personal: None,
            });
        }
    }
    Ok((id, out))
}
