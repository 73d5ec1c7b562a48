//! The random histories: commands of every kind, plus commands suited to the case's status so that
//! random runs reach the late stages (appeals, re-denunciations, effect, closing) often enough.

use chrono::{Days, NaiveDate};
use domain::{
    Accept, AgencyCode, CaseState, Channel, Classify, Close, Command, Complexity,
    ComplexityCriteria, DeadlineKey, Extend, FileWithoutProcessing, FilingReason, Forward, Guide,
    HoldDialogue, IssueDecision, LegalGround, LodgeAppeal, LodgeReDenunciation, NoteLawsuit,
    Outcome, PetitionKind, Petitioners, ReceiveForwarded, RecordDeadlineMissed,
    RecordDecisionEffect, RecordExecution, RecordFinding, RecordNoticeSent, Refuse, Resume,
    StartVerification, Status, Suspend, Terminate, Withdraw,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::given_when_then::{date, person, receive, text};

const AGENCIES: &[&str] = &[
    "UBND-HN",
    "UBND-HN.HOAN-KIEM",
    "UBND-TQ",
    "UBND-TQ.DONG-VAN",
    "UBND-DN",
    "BO-NNMT",
    "TTCP",
    "UBND-XX",
];
const KINDS: [PetitionKind; 4] = PetitionKind::ALL;
const CHANNELS: [Channel; 4] = [
    Channel::InPerson,
    Channel::Mail,
    Channel::Online,
    Channel::Referral,
];
const KEYS: [DeadlineKey; 12] = [
    DeadlineKey::Reply,
    DeadlineKey::Handling,
    DeadlineKey::Accept,
    DeadlineKey::Decision,
    DeadlineKey::SendDecision,
    DeadlineKey::AppealWindow,
    DeadlineKey::TakeEffect,
    DeadlineKey::Forward,
    DeadlineKey::NotifyAcceptance,
    DeadlineKey::ReviewReDenunciation,
    DeadlineKey::ReferralReply,
    DeadlineKey::ActOnConclusion,
];
const OUTCOMES: [Outcome; 3] = [Outcome::Upheld, Outcome::PartlyUpheld, Outcome::Rejected];

fn code(s: &str) -> AgencyCode {
    AgencyCode::parse(s).expect("valid code")
}

fn agency_code() -> impl Strategy<Value = AgencyCode> {
    select(AGENCIES).prop_map(code)
}

fn receive_command() -> impl Strategy<Value = Command> {
    (
        select(&KINDS[..]),
        select(&CHANNELS[..]),
        agency_code(),
        0usize..8,
        0u32..3,
        prop::bool::weighted(0.9),
        proptest::option::of(0u64..150),
    )
        .prop_map(
            |(kind, channel, at, listed, extra, with_reps, learned_days_before)| {
                let mut cmd = receive(kind, channel, at.as_str());
                cmd.petitioners = Petitioners {
                    signatories: (0..listed)
                        .map(|i| person(&format!("Người ký {i}")))
                        .collect(),
                    representatives: if with_reps && listed > 0 {
                        vec![0]
                    } else {
                        vec![]
                    },
                };
                cmd.signatory_count = u32::try_from(listed).expect("small").max(1) + extra;
                // Filled in with a real date once the step date is known (see `run`).
                cmd.decision_date_learned =
                    learned_days_before.map(|d| NaiveDate::MIN + Days::new(d));
                Command::Receive(cmd)
            },
        )
}

fn criteria() -> impl Strategy<Value = ComplexityCriteria> {
    (any::<bool>(), any::<bool>(), any::<bool>(), 0u8..8).prop_map(|(a, b, c, rare)| {
        ComplexityCriteria {
            several_places: a && rare < 3,
            several_contents: b && rare < 2,
            foreign_element: c && rare == 0,
            ..ComplexityCriteria::default()
        }
    })
}

fn complexity() -> impl Strategy<Value = Option<Complexity>> {
    proptest::option::of(select(
        &[
            Complexity::Normal,
            Complexity::Complex,
            Complexity::ParticularlyComplex,
        ][..],
    ))
}

/// Any command after receipt, weighted towards the steps that move a case forward.
fn later_command() -> impl Strategy<Value = Command> {
    let reason = || Just(text("A reason."));
    prop_oneof![
        6 => (proptest::option::of(select(&KINDS[..])), prop::bool::weighted(0.75), proptest::option::of(agency_code()), criteria())
            .prop_map(|(kind, within, competent, complexity)| {
                let competent_agency = if within { None } else { competent };
                Command::Classify(Classify { kind: kind.filter(|_| competent_agency.is_none()), within_competence: within, competent_agency, complexity })
            }),
        2 => (agency_code(), reason()).prop_map(|(to_agency, reason)| Command::Forward(Forward { to_agency, reason })),
        2 => Just(Command::ReceiveForwarded(ReceiveForwarded {})),
        1 => Just(Command::Guide(Guide { guidance: text("Go to the province.") })),
        1 => select(&[FilingReason::Ineligible, FilingReason::Duplicate, FilingReason::Anonymous][..])
            .prop_map(|reason| Command::FileWithoutProcessing(FileWithoutProcessing { reason, note: None })),
        8 => Just(Command::Accept(Accept {})),
        1 => Just(Command::Refuse(Refuse { legal_ground: LegalGround::parse("LKN art. 11").expect("ground") })),
        3 => Just(Command::StartVerification(StartVerification { assigned_unit: None })),
        2 => Just(Command::RecordFinding(RecordFinding { summary: text("A finding.") })),
        1 => Just(Command::HoldDialogue(HoldDialogue { summary: text("A dialogue."), notified_on: None })),
        2 => (reason(), complexity()).prop_map(|(reason, complexity)| Command::Extend(Extend { reason, complexity })),
        2 => reason().prop_map(|reason| Command::Suspend(Suspend { reason })),
        2 => reason().prop_map(|reason| Command::Resume(Resume { reason })),
        6 => (select(&OUTCOMES[..]), prop::bool::weighted(0.95)).prop_map(|(outcome, numbered)| {
            let decision_number = if numbered { "12/QĐ-UBND".to_owned() } else { " ".to_owned() };
            Command::IssueDecision(IssueDecision { outcome, summary: text("Decided."), decision_number })
        }),
        3 => select(&KEYS[..]).prop_map(|notice| Command::RecordNoticeSent(RecordNoticeSent { notice, note: None })),
        3 => proptest::option::of(agency_code()).prop_map(|superior| Command::LodgeAppeal(LodgeAppeal { grounds: text("Wrong."), superior })),
        2 => proptest::option::of(agency_code())
            .prop_map(|superior| Command::LodgeReDenunciation(LodgeReDenunciation { grounds: text("Wrong."), superior })),
        1 => Just(Command::NoteLawsuit(NoteLawsuit { court: text("A court."), note: None })),
        1 => reason().prop_map(|reason| Command::Withdraw(Withdraw { reason })),
        1 => reason().prop_map(|reason| Command::Terminate(Terminate { reason })),
        2 => Just(Command::RecordDecisionEffect(RecordDecisionEffect {})),
        2 => Just(Command::RecordExecution(RecordExecution { note: None })),
        2 => Just(Command::Close(Close { note: None })),
        3 => select(&KEYS[..]).prop_map(|deadline| Command::RecordDeadlineMissed(RecordDeadlineMissed { deadline })),
    ]
}

/// One step of a script: days since the previous step, whether it is dated after "today", a random
/// command, and whether to replace it by a command that suits the case's status (picked by `seed`).
#[derive(Debug, Clone)]
pub struct Step {
    pub gap: u64,
    pub in_future: bool,
    pub command: Command,
    pub suited: bool,
    pub seed: usize,
}

/// A history to try: a start date, a receipt, then commands each a few days after the previous one.
#[derive(Debug, Clone)]
pub struct Script {
    pub start: NaiveDate,
    pub steps: Vec<Step>,
}

pub fn script() -> impl Strategy<Value = Script> {
    let gap = prop_oneof![3 => 0u64..4, 2 => 4u64..20, 1 => 20u64..60];
    let step = (
        gap,
        prop::bool::weighted(0.03),
        later_command(),
        prop::bool::weighted(0.7),
        any::<usize>(),
    )
        .prop_map(|(gap, in_future, command, suited, seed)| Step {
            gap,
            in_future,
            command,
            suited,
            seed,
        });
    (
        0u64..450,
        receive_command(),
        proptest::collection::vec(step, 0..40),
    )
        .prop_map(|(offset, first, rest)| {
            let mut steps = vec![Step {
                gap: 0,
                in_future: false,
                command: first,
                suited: false,
                seed: 0,
            }];
            steps.extend(rest);
            Script {
                start: date("2025-01-02") + Days::new(offset),
                steps,
            }
        })
}

/// A command the law plausibly allows in the case's status, so that random histories reach appeals,
/// re-denunciations and closures instead of stalling on refusals.
pub fn suited_command(s: &CaseState, seed: usize) -> Option<Command> {
    let reason = || text("A reason.");
    let decide = Command::IssueDecision(IssueDecision {
        outcome: OUTCOMES[seed % 3],
        summary: text("Decided."),
        decision_number: "7/QĐ".to_owned(),
    });
    let options: Vec<Command> = match s.status {
        Status::Received => vec![
            Command::Classify(Classify {
                kind: None,
                within_competence: true,
                competent_agency: None,
                complexity: ComplexityCriteria::default(),
            }),
            Command::Classify(Classify {
                kind: None,
                within_competence: true,
                competent_agency: None,
                complexity: ComplexityCriteria {
                    several_places: true,
                    many_denouncers: true,
                    ..ComplexityCriteria::default()
                },
            }),
            Command::Classify(Classify {
                kind: None,
                within_competence: false,
                competent_agency: None,
                complexity: ComplexityCriteria::default(),
            }),
        ],
        Status::Classified | Status::Appealed | Status::ReDenounced => vec![
            Command::Accept(Accept {}),
            Command::Accept(Accept {}),
            Command::Accept(Accept {}),
            Command::Refuse(Refuse {
                legal_ground: LegalGround::parse("LKN art. 11").expect("ground"),
            }),
        ],
        Status::OutsideCompetence => vec![
            Command::Forward(Forward {
                to_agency: code(["UBND-HN", "UBND-TQ"][seed % 2]),
                reason: reason(),
            }),
            Command::Guide(Guide {
                guidance: text("Go elsewhere."),
            }),
        ],
        Status::Forwarded => vec![Command::ReceiveForwarded(ReceiveForwarded {})],
        Status::Accepted | Status::UnderVerification => vec![
            decide.clone(),
            decide,
            Command::StartVerification(StartVerification {
                assigned_unit: None,
            }),
            Command::Extend(Extend {
                reason: reason(),
                complexity: None,
            }),
            Command::Suspend(Suspend { reason: reason() }),
            Command::LodgeAppeal(LodgeAppeal {
                grounds: reason(),
                superior: Some(code("BO-NNMT")),
            }),
        ],
        Status::Suspended => vec![Command::Resume(Resume { reason: reason() })],
        Status::Decided => vec![
            Command::LodgeAppeal(LodgeAppeal {
                grounds: reason(),
                superior: Some(code("BO-NNMT")),
            }),
            Command::LodgeAppeal(LodgeAppeal {
                grounds: reason(),
                superior: None,
            }),
            Command::LodgeReDenunciation(LodgeReDenunciation {
                grounds: reason(),
                superior: Some(code("TTCP")),
            }),
            Command::RecordDecisionEffect(RecordDecisionEffect {}),
            Command::RecordExecution(RecordExecution { note: None }),
            Command::RecordNoticeSent(RecordNoticeSent {
                notice: DeadlineKey::SendDecision,
                note: None,
            }),
            Command::NoteLawsuit(NoteLawsuit {
                court: text("A court."),
                note: None,
            }),
            Command::Close(Close { note: None }),
        ],
        Status::Effective => vec![
            Command::RecordExecution(RecordExecution { note: None }),
            Command::Close(Close { note: None }),
        ],
        Status::Withdrawn => vec![Command::Terminate(Terminate { reason: reason() })],
        Status::Executed
        | Status::Guided
        | Status::Filed
        | Status::Refused
        | Status::InLitigation => {
            vec![Command::Close(Close { note: None })]
        }
        Status::New | Status::Closed | Status::Terminated => vec![],
    };
    options.get(seed % options.len().max(1)).cloned()
}
