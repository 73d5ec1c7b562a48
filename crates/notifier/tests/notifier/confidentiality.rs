//! A denouncer is told, and nobody else learns who they are; a group is told through its representatives.

use std::collections::BTreeMap;

use domain::{DeadlineKey, PetitionKind, RecordDeadlineMissed};
use notifier::{InspectorateSettings, NotifierSettings};

use crate::helpers::{Backend, TestCase, World, person, receive};

/// Every personal value of the denouncer.
const DENOUNCER: &[&str] = &[
    "Đỗ Thị Hạnh",
    "hanh@example.vn",
    "0912345678",
    "Hàng Bài",
    "001099012345",
];

fn routed(s: NotifierSettings) -> NotifierSettings {
    let routes = BTreeMap::from([
        (
            "UBND-HN.HOAN-KIEM".to_owned(),
            vec!["vanphong@hoankiem.example.vn".to_owned()],
        ),
        (
            "TT-HN".to_owned(),
            vec!["thanhtra@hanoi.example.vn".to_owned()],
        ),
    ]);
    NotifierSettings {
        inspectorate: InspectorateSettings {
            routes,
            ..InspectorateSettings::default()
        },
        ..s
    }
}

#[tokio::test]
async fn a_denunciation_is_told_only_to_the_denouncer_and_alerts_never_reveal_them() {
    let world = World::with(Backend::Sqlite, routed).await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Denunciation,
            vec![person("Đỗ Thị Hạnh", "hanh@example.vn", None)],
            vec![],
        ),
    )
    .await;
    case.step(
        "2026-07-20",
        RecordDeadlineMissed {
            deadline: DeadlineKey::Reply,
        },
    )
    .await;
    world.pump().await;

    let mails = world.mails(3).await;
    assert_eq!(mails.len(), 3, "one receipt and two alerts");
    let (to_denouncer, to_others): (Vec<_>, Vec<_>) =
        mails.iter().partition(|m| m.rcpt == ["hanh@example.vn"]);
    assert_eq!(to_denouncer.len(), 1);
    assert!(
        to_denouncer[0].body.contains("giữ bí mật"),
        "the denouncer is told their identity is protected"
    );
    let mut alerted: Vec<&str> = to_others.iter().map(|m| m.to.as_str()).collect();
    alerted.sort_unstable();
    assert_eq!(
        alerted,
        ["thanhtra@hanoi.example.vn", "vanphong@hoankiem.example.vn"]
    );
    for mail in &to_others {
        for secret in DENOUNCER {
            assert!(
                !mail.all().contains(secret),
                "an alert reveals {secret}: {}",
                mail.all()
            );
        }
        assert!(mail.all().contains(&case.tracking_code()));
    }
    for event in world
        .notifier
        .notification_history(case.uuid())
        .await
        .expect("history")
    {
        let shown = format!("{} {:?}", event.payload, event.personal);
        for secret in DENOUNCER {
            assert!(
                !shown.contains(secret),
                "a notification event reveals {secret}: {shown}"
            );
        }
    }
}

#[tokio::test]
async fn a_group_petition_is_told_through_its_representatives_only() {
    let world = World::start(Backend::Sqlite).await;
    let people = (0..6)
        .map(|i| person(&format!("Người ký {i}"), &format!("p{i}@example.vn"), None))
        .collect();
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(PetitionKind::Complaint, people, vec![1, 4]),
    )
    .await;
    world.pump().await;
    let mails = world.mails(2).await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.rcpt.clone()).collect();
    to.sort();
    assert_eq!(to, ["p1@example.vn", "p4@example.vn"]);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(world.sink.count().await, 2, "nobody else was told");
}
