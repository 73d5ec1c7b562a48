//! Each petitioner-facing step of the lifecycle is mailed with the facts it must state.

use domain::{
    Accept, AgencyCode, Classify, Close, ComplexityCriteria, DeadlineKey, Extend, Forward, Guide,
    IssueDecision, LegalGround, Outcome, PetitionKind, RecordDecisionEffect, Refuse, Resume,
    StartVerification, Suspend,
};

use crate::helpers::{Backend, TestCase, World, person, receive, text, within_competence};

#[tokio::test]
async fn every_petitioner_facing_step_of_a_complaint_is_mailed_with_its_facts() {
    let world = World::start(Backend::Sqlite).await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person("Nguyễn Văn An", "an@example.vn", None)],
            vec![],
        ),
    )
    .await;
    case.step("2026-07-02", within_competence()).await;
    case.step("2026-07-03", Accept {}).await;
    case.step(
        "2026-07-06",
        StartVerification {
            assigned_unit: None,
        },
    )
    .await;
    case.step(
        "2026-07-08",
        Suspend {
            reason: text("Chờ hồ sơ địa chính."),
        },
    )
    .await;
    case.step(
        "2026-07-13",
        Resume {
            reason: text("Đã có hồ sơ địa chính."),
        },
    )
    .await;
    case.step(
        "2026-07-20",
        IssueDecision {
            outcome: Outcome::PartlyUpheld,
            summary: text("Upheld in part."),
            decision_number: "120/QĐ-UBND".to_owned(),
        },
    )
    .await;
    let appeal_due = case
        .state
        .deadline(DeadlineKey::AppealWindow)
        .expect("an appeal window")
        .deadline
        .due;
    case.step("2026-09-01", RecordDecisionEffect {}).await;
    case.step("2026-09-02", Close { note: None }).await;
    world.pump().await;

    let mails = world.mails(7).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(mails.len(), 7, "{subjects:#?}");
    let templates: Vec<String> = world
        .notifier
        .deliveries()
        .await
        .expect("log")
        .into_iter()
        .map(|d| d.template_id)
        .collect();
    assert_eq!(
        templates,
        [
            "received",
            "accepted",
            "suspended",
            "resumed",
            "decision_issued",
            "took_effect",
            "closed"
        ]
    );
    let decision = mails
        .iter()
        .find(|m| m.subject.contains("120/QĐ-UBND"))
        .expect("the decision mail");
    assert!(
        decision.body.contains("khiếu nại đúng một phần"),
        "{}",
        decision.body
    );
    assert!(
        decision
            .body
            .contains(&appeal_due.format("%d/%m/%Y").to_string()),
        "appeal deadline {appeal_due}: {}",
        decision.body
    );
    assert!(
        mails.iter().all(|m| m.body.contains(&case.tracking_code())),
        "every message states the tracking code"
    );
}

#[tokio::test]
async fn refusal_forwarding_guidance_and_extension_carry_their_ground_agency_and_new_deadline() {
    let world = World::start(Backend::Sqlite).await;
    let an = || vec![person("Nguyễn Văn An", "an@example.vn", None)];

    let mut refused = TestCase::new(&world.store);
    refused
        .step("2026-07-01", receive(PetitionKind::Complaint, an(), vec![]))
        .await;
    refused.step("2026-07-02", within_competence()).await;
    refused
        .step(
            "2026-07-03",
            Refuse {
                legal_ground: LegalGround::parse("Điều 11 khoản 3 Luật Khiếu nại").expect("ground"),
            },
        )
        .await;

    let outside = |to: Option<&str>| Classify {
        kind: None,
        within_competence: false,
        competent_agency: to.map(|a| AgencyCode::parse(a).expect("agency")),
        complexity: ComplexityCriteria::default(),
    };
    let mut forwarded = TestCase::new(&world.store);
    forwarded
        .step("2026-07-01", receive(PetitionKind::Feedback, an(), vec![]))
        .await;
    forwarded.step("2026-07-02", outside(Some("UBND-HN"))).await;
    forwarded
        .step(
            "2026-07-03",
            Forward {
                to_agency: AgencyCode::parse("UBND-HN").expect("agency"),
                reason: text("Thẩm quyền cấp tỉnh."),
            },
        )
        .await;

    let mut guided = TestCase::new(&world.store);
    guided
        .step(
            "2026-07-01",
            receive(PetitionKind::Recommendation, an(), vec![]),
        )
        .await;
    guided.step("2026-07-02", outside(None)).await;
    guided
        .step(
            "2026-07-03",
            Guide {
                guidance: text("Gửi đơn đến Sở Tài nguyên và Môi trường."),
            },
        )
        .await;

    let mut extended = TestCase::new(&world.store);
    extended
        .step(
            "2026-07-01",
            receive(PetitionKind::Denunciation, an(), vec![]),
        )
        .await;
    extended
        .step(
            "2026-07-02",
            Classify {
                complexity: ComplexityCriteria {
                    several_places: true,
                    ..ComplexityCriteria::default()
                },
                ..within_competence()
            },
        )
        .await;
    extended.step("2026-07-03", Accept {}).await;
    extended
        .step(
            "2026-07-27",
            Extend {
                reason: text("Xác minh tại hai phường."),
                complexity: None,
            },
        )
        .await;
    let new_due = extended
        .state
        .deadline(DeadlineKey::Decision)
        .expect("decision deadline")
        .deadline
        .due;
    world.pump().await;

    let mails = world.mails(11).await;
    let find = |needle: &str| {
        mails
            .iter()
            .find(|m| m.subject.contains(needle))
            .unwrap_or_else(|| panic!("no mail about {needle}"))
    };
    assert!(
        find("không được thụ lý")
            .body
            .contains("Điều 11 khoản 3 Luật Khiếu nại")
    );
    let f = find("đã được chuyển");
    assert!(
        f.body.contains("UBND-HN") && f.body.contains("Ủy ban nhân dân thành phố Hà Nội"),
        "{}",
        f.body
    );
    assert!(find("Hướng dẫn").body.contains("Sở Tài nguyên"));
    let e = find("Gia hạn");
    assert!(
        e.body.contains(&new_due.format("%d/%m/%Y").to_string()),
        "new deadline {new_due}: {}",
        e.body
    );
}
