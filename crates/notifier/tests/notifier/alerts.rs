//! Missed deadlines alert the agency holding the case and its supervising inspectorate, one by one or in a
//! daily digest.

use std::collections::BTreeMap;

use domain::{DeadlineKey, PetitionKind, RecordDeadlineMissed};
use notifier::{InspectorateSettings, NotifierSettings};

use crate::helpers::{Backend, TestCase, World, person, receive};

pub fn routed(digest: bool) -> impl FnOnce(NotifierSettings) -> NotifierSettings {
    move |s| {
        let routes = BTreeMap::from([
            (
                "ubnd-hn.hoan-kiem".to_owned(),
                vec!["vanphong@hoankiem.example.vn".to_owned()],
            ),
            (
                "TT-HN".to_owned(),
                vec!["thanhtra@hanoi.example.vn".to_owned()],
            ),
            (
                "UBND-HCM".to_owned(),
                vec!["vanphong@hcm.example.vn".to_owned()],
            ),
        ]);
        NotifierSettings {
            inspectorate: InspectorateSettings {
                routes,
                digest,
                ..InspectorateSettings::default()
            },
            ..s
        }
    }
}

pub async fn overdue_case(world: &World, name: &str) -> TestCase {
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person(name, "an@example.vn", None)],
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
    case
}

#[tokio::test]
async fn a_missed_deadline_alerts_the_agency_and_its_supervising_inspectorate() {
    let world = World::with(Backend::Sqlite, routed(false)).await;
    let case = overdue_case(&world, "Nguyễn Văn An").await;
    world.pump().await;
    let mails = world.mails(3).await;
    let alerts: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("Cảnh báo quá hạn"))
        .collect();
    let mut to: Vec<&str> = alerts.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["thanhtra@hanoi.example.vn", "vanphong@hoankiem.example.vn"]
    );
    for alert in alerts {
        assert!(alert.subject.contains(&case.tracking_code()));
        assert!(
            alert.body.contains("15/07/2026"),
            "the missed due date: {}",
            alert.body
        );
        assert!(!alert.all().contains("Nguyễn Văn An"));
    }
}

#[tokio::test]
async fn the_daily_digest_sends_one_message_per_mailbox_listing_every_overdue_case() {
    let world = World::with(Backend::Sqlite, routed(true)).await;
    let first = overdue_case(&world, "Nguyễn Văn An").await;
    let second = overdue_case(&world, "Trần Thị Bình").await;
    world.pump().await;
    let receipts = world.mails(2).await;
    assert!(
        receipts.iter().all(|m| !m.subject.contains("Cảnh báo")),
        "alerts wait for the digest"
    );

    assert_eq!(world.notifier.send_digest_once().await.expect("digest"), 2);
    let mails = world.mails(4).await;
    let digests: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("Tổng hợp 2 hồ sơ quá hạn"))
        .collect();
    assert_eq!(digests.len(), 2);
    for digest in digests {
        assert!(
            digest.body.contains(&first.tracking_code())
                && digest.body.contains(&second.tracking_code()),
            "{}",
            digest.body
        );
    }
    assert_eq!(
        world.notifier.send_digest_once().await.expect("digest"),
        0,
        "nothing is sent twice"
    );
    let log = world.notifier.deliveries().await.expect("log");
    assert!(
        log.iter()
            .all(|d| d.status == notifier::DeliveryStatus::Sent),
        "{log:#?}"
    );
}
