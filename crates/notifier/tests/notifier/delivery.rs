//! Delivery semantics: redelivery sends once, an SMTP outage loses nothing, attempts run out into `dead`
//! and come back on demand, and a crash between sending and logging sends at most one duplicate.

use std::time::Duration;

use domain::PetitionKind;
use feed::Delivery;
use notifier::{DeliveryStatus, Notifier, NotifierSettings};

use crate::helpers::{Backend, TestCase, World, person, receive, settings};

async fn received(world: &World, email: &str) -> (TestCase, store::RecordedEvent) {
    let mut case = TestCase::new(&world.store);
    let events = case
        .step(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                vec![person("Nguyễn Văn An", email, None)],
                vec![],
            ),
        )
        .await;
    (case, events[0].clone())
}

#[tokio::test]
async fn the_same_event_delivered_twice_sends_one_message_even_after_the_checkpoint_is_lost() {
    let world = World::start(Backend::Sqlite).await;
    let (_, event) = received(&world, "an@example.vn").await;
    world.pump().await;
    let handler = world.notifier.handler();
    // The bus redelivers (a JetStream redelivery has no personal part).
    let redelivered = Delivery {
        event: store::RecordedEvent {
            personal: None,
            ..event.clone()
        },
        attempt: 2,
    };
    handler
        .handle(&redelivered)
        .await
        .expect("redelivery is harmless");
    // Even with the checkpoint gone (a reset consumer), the delivery ids make the plan a no-op.
    let pool = sqlx::SqlitePool::connect(&world.log_url)
        .await
        .expect("log");
    sqlx::query("DELETE FROM notifier_checkpoints")
        .execute(&pool)
        .await
        .expect("reset");
    handler
        .handle(&redelivered)
        .await
        .expect("replanning is harmless");
    world.pump().await;
    world.notifier.run_retries_once().await.expect("retries");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(world.sink.count().await, 1);
    assert_eq!(world.notifier.deliveries().await.expect("log").len(), 1);
}

async fn smtp_down_loses_nothing(backend: Backend) {
    let world = World::start(backend).await;
    world.sink.set_down(true);
    let mut cases = Vec::new();
    for i in 0..3 {
        cases.push(received(&world, &format!("p{i}@example.vn")).await.0);
    }
    world.pump().await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        world.notifier.run_retries_once().await.expect("retries");
    }
    assert_eq!(world.sink.count().await, 0);
    let log = world.notifier.deliveries().await.expect("log");
    assert!(
        log.iter()
            .all(|d| d.status == DeliveryStatus::Failed && d.attempts >= 2),
        "{log:#?}"
    );

    world.sink.set_down(false);
    for _ in 0..20 {
        if world
            .notifier
            .deliveries()
            .await
            .expect("log")
            .iter()
            .all(|d| d.status == DeliveryStatus::Sent)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        world.notifier.run_retries_once().await.expect("retries");
    }
    let mails = world.mails(3).await;
    let mut to: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        ["p0@example.vn", "p1@example.vn", "p2@example.vn"],
        "each exactly once"
    );

    // The audit trail shows the failures and the success, without personal data.
    let history = world
        .notifier
        .notification_history(cases[0].uuid())
        .await
        .expect("history");
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert!(
        types.len() >= 3
            && types[..types.len() - 1]
                .iter()
                .all(|t| *t == notifier::NOTIFICATION_FAILED),
        "{types:?}"
    );
    assert_eq!(types.last(), Some(&notifier::NOTIFICATION_SENT));
    let sent = &history[history.len() - 1].payload;
    assert_eq!(sent["channel"], "email");
    assert_eq!(sent["template_id"], "received");
    assert_eq!(sent["recipient"], "signatory:0");
    for e in &history {
        assert_eq!(e.personal, None);
        assert!(
            !e.payload.to_string().contains("@example.vn"),
            "{}",
            e.payload
        );
    }
}

#[tokio::test]
async fn smtp_down_is_retried_with_backoff_and_nothing_is_lost_on_sqlite() {
    smtp_down_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn smtp_down_is_retried_with_backoff_and_nothing_is_lost_on_postgres() {
    smtp_down_loses_nothing(Backend::Postgres).await;
}

async fn dead_and_revived(backend: Backend) {
    let world = World::with(backend, |s| NotifierSettings {
        max_attempts: 3,
        ..s
    })
    .await;
    world.sink.set_down(true);
    let (case, _) = received(&world, "an@example.vn").await;
    world.pump().await;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        world.notifier.run_retries_once().await.expect("retries");
    }
    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(
        (log[0].status, log[0].attempts),
        (DeliveryStatus::Dead, 3),
        "{log:#?}"
    );
    let history = world
        .notifier
        .notification_history(case.uuid())
        .await
        .expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].payload["outcome"], "dead");

    world.sink.set_down(false);
    assert_eq!(world.notifier.retry_dead().await.expect("retry dead"), 1);
    assert_eq!(world.mails(1).await.len(), 1);
    assert_eq!(
        world.notifier.deliveries().await.expect("log")[0].status,
        DeliveryStatus::Sent
    );
}

#[tokio::test]
async fn a_delivery_is_dead_after_max_attempts_and_retry_dead_sends_it_on_sqlite() {
    dead_and_revived(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_delivery_is_dead_after_max_attempts_and_retry_dead_sends_it_on_postgres() {
    dead_and_revived(Backend::Postgres).await;
}

/// Where the simulated process dies after the SMTP server accepted the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crash {
    /// Before the audit event is appended.
    AfterSend,
    /// After the audit event, before the delivery is marked.
    AfterAudit,
}

async fn crash_between_send_and_log(backend: Backend, crash: Crash) {
    let world = World::with(backend, |s| NotifierSettings {
        lease_ms: 1_000,
        ..s
    })
    .await;
    let (case, _) = received(&world, "an@example.vn").await;
    // The process dies right after the SMTP server accepted the message, before anything is logged
    // (or with only the audit event appended).
    match crash {
        Crash::AfterSend => world.notifier.simulate_crash_after_send(true),
        Crash::AfterAudit => world.notifier.simulate_crash_after_audit(true),
    }
    world.pump().await;
    assert_eq!(world.mails(1).await.len(), 1);
    assert_eq!(
        world.notifier.deliveries().await.expect("log")[0].status,
        DeliveryStatus::Sending
    );
    world.notifier.close().await;

    // Restart: a new process on the same log and store. Before the lease expires nothing is resent …
    let restarted = Notifier::connect(
        &world.log_url,
        world.store.clone(),
        NotifierSettings {
            lease_ms: 1_000,
            ..settings(world.sink.port)
        },
    )
    .await
    .expect("restart");
    world.pump_with(&restarted).await;
    restarted.run_retries_once().await.expect("retries");
    assert_eq!(world.sink.count().await, 1);
    // … after it, the message is sent once more, with the same Message-ID, and then never again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    restarted.run_retries_once().await.expect("retries");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    restarted.run_retries_once().await.expect("retries");
    world.pump_with(&restarted).await;
    let mails = world.mails(2).await;
    assert_eq!(mails.len(), 2, "at most one duplicate");
    assert_eq!(
        mails[0].message_id, mails[1].message_id,
        "receivers can drop the duplicate by Message-ID"
    );
    let log = restarted.deliveries().await.expect("log");
    assert_eq!((log[0].status, log[0].attempts), (DeliveryStatus::Sent, 2));
    // The audit trail records attempts: one `notification.sent` (attempt 2) when the crash came before
    // the audit append, two (attempts 1 and 2) when it came after — matching the two copies.
    let history = restarted
        .notification_history(case.uuid())
        .await
        .expect("history");
    let recorded: Vec<(&str, u64)> = history
        .iter()
        .map(|e| {
            let attempt = e.payload["attempt"].as_u64().unwrap_or_default();
            (e.event_type.as_str(), attempt)
        })
        .collect();
    let sent = notifier::NOTIFICATION_SENT;
    match crash {
        Crash::AfterSend => assert_eq!(recorded, [(sent, 2)]),
        Crash::AfterAudit => assert_eq!(recorded, [(sent, 1), (sent, 2)]),
    }
}

#[tokio::test]
async fn a_crash_between_sending_and_logging_sends_at_most_one_duplicate_with_the_same_message_id_on_sqlite()
 {
    crash_between_send_and_log(Backend::Sqlite, Crash::AfterSend).await;
}

#[tokio::test]
async fn a_crash_between_sending_and_logging_sends_at_most_one_duplicate_with_the_same_message_id_on_postgres()
 {
    crash_between_send_and_log(Backend::Postgres, Crash::AfterSend).await;
}

#[tokio::test]
async fn a_crash_after_the_audit_event_before_marking_sends_one_duplicate_and_records_both_copies()
{
    crash_between_send_and_log(Backend::Sqlite, Crash::AfterAudit).await;
}
