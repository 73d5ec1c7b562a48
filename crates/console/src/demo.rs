//! A small, obviously optional demo data set, recorded through the normal command path
//! (`CaseService::execute`), so a fresh console has something to show: about fifty cases over the last ten
//! months in four provinces, most resolved, some left open past their deadlines, a few group petitions and
//! denunciations. Every command id and case id is derived from the case's number, so seeding twice
//! records nothing new.

use chrono::{Datelike, Duration, NaiveDate};
use command::{CaseService, CommandRequest, RequestMeta};
use domain::{
    Accept, AgencyCode, CaseId, Channel, Classify, Command, ComplexityCriteria, FullName,
    IssueDecision, Outcome, Person, PetitionKind, Petitioners, Receive, StartVerification, Subject,
    Text, TrackingCode,
};
use uuid::Uuid;

/// The namespace of the demo's deterministic ids.
const DEMO_NS: Uuid = Uuid::from_u128(0x6465_6d6f_2d70_6574_6974_696f_6e2d_6c64);

/// How many cases `petition demo seed` records by default.
pub const DEFAULT_CASES: u32 = 48;

const AGENCIES: &[&str] = &[
    "UBND-HN.HOAN-KIEM",
    "UBND-HN.SOC-SON",
    "UBND-HN",
    "UBND-HCM.SAI-GON",
    "UBND-HCM",
    "UBND-DN.HAI-CHAU",
    "UBND-TQ.DONG-VAN",
    "UBND-LC.SA-PA",
];

const SUBJECTS: &[&str] = &[
    "Bồi thường khi thu hồi đất thấp hơn bảng giá",
    "Quyết định xử phạt vi phạm hành chính về xây dựng",
    "Cấp giấy chứng nhận quyền sử dụng đất chậm",
    "Cán bộ địa chính nhận tiền để hồ sơ được giải quyết nhanh",
    "Ô nhiễm tiếng ồn từ xưởng sản xuất trong khu dân cư",
    "Hỗ trợ tái định cư chưa được chi trả",
];

const NAMES: &[&str] = &[
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Giang",
];

/// What a seeding run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub cases: u32,
    pub commands: u32,
    /// Commands an earlier run had already recorded (nothing new was appended for them).
    pub already: u32,
    /// Steps the law refused (logged and skipped: the demo stays usable either way).
    pub refused: u32,
}

fn text(s: &str) -> anyhow::Result<Text> {
    Text::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

/// One demo case: its number decides its agency, kind, age and how far it got.
struct Plan {
    kind: PetitionKind,
    agency: &'static str,
    received: NaiveDate,
    signatories: u32,
    subject: &'static str,
    /// The number of steps after receipt: classify, accept, verify, decide.
    steps: usize,
    outcome: Outcome,
}

fn plan(i: u32, today: NaiveDate) -> Plan {
    let kind = match i % 8 {
        3 | 6 => PetitionKind::Denunciation,
        7 => PetitionKind::Recommendation,
        _ => PetitionKind::Complaint,
    };
    let received = today - Duration::days(12 + i64::from(i) * 6);
    let steps = match (i % 16, kind) {
        (_, PetitionKind::Recommendation) => 1,
        (5, _) => 2,  // accepted, then left: its resolution clock runs out
        (11, _) => 3, // under verification
        (13, _) => 1, // classified, never accepted: the acceptance deadline passes
        _ => 4,       // decided
    };
    Plan {
        kind,
        // 3 is prime to the 8 agencies: consecutive cases visit every one of them.
        agency: AGENCIES[(i as usize * 3) % AGENCIES.len()],
        received,
        signatories: if i % 9 == 4 { 7 } else { 1 },
        subject: SUBJECTS[i as usize % SUBJECTS.len()],
        steps,
        outcome: match i % 3 {
            0 => Outcome::Rejected,
            1 => Outcome::PartlyUpheld,
            _ => Outcome::Upheld,
        },
    }
}

/// Random-looking but fixed bytes for case `i`'s tracking code.
fn code_bytes(i: u32) -> [u8; 8] {
    let id = Uuid::new_v5(&DEMO_NS, format!("code-{i}").as_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&id.as_bytes()[..8]);
    out
}

/// The id of demo case `i`.
pub fn case_id(i: u32) -> CaseId {
    CaseId::from_uuid(Uuid::new_v5(&DEMO_NS, format!("case-{i}").as_bytes()))
}

/// Records `count` demo cases as of `today` (Vietnam's date).
pub async fn seed(
    service: &CaseService,
    count: u32,
    today: NaiveDate,
) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    for i in 0..count {
        let p = plan(i, today);
        let id = case_id(i);
        let person = Person {
            full_name: FullName::parse(NAMES[i as usize % NAMES.len()])
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            address: None,
            phone: None,
            email: None,
            national_id: None,
            preferred_language: None,
        };
        let receive = Command::Receive(Receive {
            kind: p.kind,
            channel: if i % 2 == 0 {
                Channel::InPerson
            } else {
                Channel::Mail
            },
            receiving_agency: AgencyCode::parse(p.agency).map_err(|e| anyhow::anyhow!("{e}"))?,
            subject: Subject::parse(p.subject).map_err(|e| anyhow::anyhow!("{e}"))?,
            content: text("Nội dung đơn (dữ liệu mẫu).")?,
            petitioners: Petitioners {
                signatories: vec![person],
                representatives: if p.signatories >= domain::GROUP_THRESHOLD {
                    vec![0]
                } else {
                    vec![]
                },
            },
            signatory_count: p.signatories,
            related_case: None,
            decision_date_learned: (p.kind == PetitionKind::Complaint)
                .then(|| p.received - Duration::days(20)),
            contested: Default::default(),
            limitation_obstacles: Vec::new(),
            tracking_code: TrackingCode::generate(p.kind, p.received.year(), code_bytes(i)),
            referrer: None,
        });
        let decided_after = if i % 4 == 0 { 50 } else { 24 };
        // (days after receipt, command, the plan step it belongs to, optional): optional steps are the
        // notices a diligent agency sends; a refusal of one is logged and the case goes on.
        let steps: Vec<(i64, Command, usize, bool)> = vec![
            (
                2,
                Command::Classify(Classify {
                    kind: None,
                    within_competence: true,
                    competent_agency: None,
                    complexity: ComplexityCriteria::default(),
                }),
                1,
                false,
            ),
            (3, notice("reply")?, 1, true),
            (5, Command::Accept(Accept {}), 2, false),
            (6, notice("notify_acceptance")?, 2, true),
            (
                8,
                Command::StartVerification(StartVerification {
                    assigned_unit: None,
                }),
                3,
                false,
            ),
            (
                decided_after,
                Command::IssueDecision(IssueDecision {
                    outcome: p.outcome,
                    summary: text("Quyết định sau khi xác minh (dữ liệu mẫu).")?,
                    decision_number: format!("{}/QĐ-UBND", 100 + i),
                }),
                4,
                false,
            ),
            (decided_after + 2, notice("send_decision")?, 4, true),
        ];
        if !run(
            service,
            id,
            i,
            "receive",
            p.received,
            receive,
            false,
            &mut report,
        )
        .await?
        {
            continue;
        }
        report.cases += 1;
        for (offset, cmd, step, optional) in steps {
            let on = p.received + Duration::days(offset);
            if step > p.steps || on > today {
                break;
            }
            if optional && !needs(&cmd, p.kind, i) {
                continue;
            }
            let name = format!("{}-{offset}", cmd.name());
            if !run(service, id, i, &name, on, cmd, optional, &mut report).await? && !optional {
                break;
            }
        }
    }
    Ok(report)
}

/// `record-notice-sent` for `notice`.
fn notice(notice: &str) -> anyhow::Result<Command> {
    Command::from_action(
        "record-notice-sent",
        serde_json::json!({ "notice": notice }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Whether the optional notice applies: a reply to citizens received in person, an acceptance notice for
/// denunciations, and the decision sent in most cases (some are left late, for the watchlist).
fn needs(cmd: &Command, kind: PetitionKind, i: u32) -> bool {
    let Command::RecordNoticeSent(n) = cmd else {
        return true;
    };
    match serde_json::to_value(n.notice)
        .ok()
        .as_ref()
        .and_then(|v| v.as_str())
    {
        Some("reply") => i.is_multiple_of(2),
        Some("notify_acceptance") => kind == PetitionKind::Denunciation,
        Some("send_decision") => !i.is_multiple_of(5),
        _ => true,
    }
}

/// Executes one step with a deterministic command id; `false` when the law refused it.
#[allow(clippy::too_many_arguments)]
async fn run(
    service: &CaseService,
    id: CaseId,
    i: u32,
    step: &str,
    on: NaiveDate,
    command: Command,
    optional: bool,
    report: &mut SeedReport,
) -> anyhow::Result<bool> {
    let request = CommandRequest {
        case_id: id,
        command,
        expected_version: None,
        step_date: Some(on),
        meta: RequestMeta {
            command_id: Uuid::new_v5(&DEMO_NS, format!("case-{i}-{step}").as_bytes()),
            fingerprint: None,
            retryable: true,
            actor: "demo-seed".into(),
            correlation_id: Uuid::new_v5(&DEMO_NS, format!("case-{i}").as_bytes()),
            causation_id: None,
        },
    };
    match service.execute(request).await {
        Ok(outcome) => {
            if outcome.replayed {
                report.already += 1;
            } else {
                report.commands += 1;
            }
            Ok(true)
        }
        Err(command::ServiceError::Domain(e)) => {
            tracing::warn!(case = i, step, optional, error = %e, "demo step refused; skipped");
            report.refused += 1;
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("demo case {i}, step {step}"))),
    }
}
