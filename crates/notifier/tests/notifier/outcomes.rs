//! Honest delivery records: `sent` (and `notification.sent`) only when a server took the message. With no
//! transport configured the message is `logged` (`notification.logged`); a server that refuses it, or
//! cannot be reached, leaves it `failed`.

use domain::PetitionKind;
use notifier::{
    DeliveryCount, DeliveryStatus, NOTIFICATION_FAILED, NOTIFICATION_LOGGED, NOTIFICATION_SENT,
    NotifierSettings, RetryOutcome, SmtpSettings,
};

use crate::alerts::{overdue_case, routed};
use crate::helpers::{Backend, TestCase, World, person, receive};

async fn received(world: &World) -> TestCase {
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
    case
}

async fn history_types(world: &World, case: &TestCase) -> Vec<String> {
    world
        .notifier
        .notification_history(case.uuid())
        .await
        .expect("history")
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

fn no_smtp(s: NotifierSettings) -> NotifierSettings {
    NotifierSettings { smtp: None, ..s }
}

async fn without_a_transport_nothing_is_recorded_sent(backend: Backend) {
    let world = World::with(backend, no_smtp).await;
    assert!(world.notifier.live_channels().log_only());
    let case = received(&world).await;
    world.pump().await;

    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(
        (log[0].status, log[0].attempts),
        (DeliveryStatus::Logged, 1)
    );
    let history = world
        .notifier
        .notification_history(case.uuid())
        .await
        .expect("history");
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, [NOTIFICATION_LOGGED], "no notification.sent");
    assert_eq!(history[0].payload["outcome"], "logged");
    assert_eq!(history[0].payload["channel"], "email");
    assert_eq!(
        world.notifier.delivery_counts().await.expect("counts"),
        [DeliveryCount {
            channel: "email".to_owned(),
            status: DeliveryStatus::Logged,
            count: 1
        }]
    );
    // `logged` is final: the retry loop does not pick it up again.
    assert_eq!(
        world.notifier.run_retries_once().await.expect("retries"),
        RetryOutcome::default()
    );
    assert_eq!(world.sink.count().await, 0);
}

#[tokio::test]
async fn without_a_transport_a_message_is_recorded_logged_never_sent_on_sqlite() {
    without_a_transport_nothing_is_recorded_sent(Backend::Sqlite).await;
}

#[tokio::test]
async fn without_a_transport_a_message_is_recorded_logged_never_sent_on_postgres() {
    without_a_transport_nothing_is_recorded_sent(Backend::Postgres).await;
}

#[tokio::test]
async fn without_a_transport_the_daily_digest_is_logged_not_counted_as_sent() {
    let world = World::with(Backend::Sqlite, |s| no_smtp(routed(true)(s))).await;
    let case = overdue_case(&world, "Nguyễn Văn An").await;
    world.pump().await;
    assert_eq!(world.notifier.send_digest_once().await.expect("digest"), 0);
    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log.len(), 3, "a receipt and two alerts: {log:#?}");
    assert!(
        log.iter().all(|d| d.status == DeliveryStatus::Logged),
        "{log:#?}"
    );
    let types = history_types(&world, &case).await;
    assert!(
        types.len() == 3 && types.iter().all(|t| t == NOTIFICATION_LOGGED),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_message_the_smtp_server_refuses_is_failed_not_sent_until_it_is_accepted() {
    let world = World::start(Backend::Sqlite).await;
    world.sink.set_refusing(true);
    let case = received(&world).await;
    world.pump().await;

    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log[0].status, DeliveryStatus::Failed, "{log:#?}");
    assert!(
        log[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("554"),
        "{log:#?}"
    );
    let history = world
        .notifier
        .notification_history(case.uuid())
        .await
        .expect("history");
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, [NOTIFICATION_FAILED]);
    assert_eq!(history[0].payload["error_kind"], "smtp");
    assert_eq!(world.sink.count().await, 0);

    // Once the server takes it, and only then, it is sent.
    world.sink.set_refusing(false);
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        if world
            .notifier
            .run_retries_once()
            .await
            .expect("retries")
            .sent
            == 1
        {
            break;
        }
    }
    assert_eq!(world.mails(1).await.len(), 1);
    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log[0].status, DeliveryStatus::Sent, "{log:#?}");
    assert_eq!(
        history_types(&world, &case).await,
        [NOTIFICATION_FAILED, NOTIFICATION_SENT]
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_leaves_the_message_failed_not_sent() {
    // A port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let world = World::with(Backend::Sqlite, |s| NotifierSettings {
        smtp: s.smtp.map(|smtp| SmtpSettings {
            port: closed,
            ..smtp
        }),
        ..s
    })
    .await;
    let case = received(&world).await;
    world.pump().await;
    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log[0].status, DeliveryStatus::Failed, "{log:#?}");
    assert_eq!(history_types(&world, &case).await, [NOTIFICATION_FAILED]);
    assert!(
        world
            .notifier
            .live_channels()
            .smtp
            .is_some_and(|s| s == format!("127.0.0.1:{closed} (tls none)"))
    );
}
