//! The deadline watcher records each miss exactly once, even with two instances running at once.

use std::sync::Arc;

use command::{CaseService, CommandRequest, FixedTime, RequestMeta};
use domain::{CaseId, Clocks, Command, PetitionKind, StaticAgencyDirectory};
use projection::watcher::Watcher;
use uuid::Uuid;

use crate::harness::{Backend, test_db};
use crate::history::{accept, classify, date, noon, receive, text};
use crate::rebuild::catch_up;

async fn run(service: &CaseService, case: CaseId, on: &str, command: Command) {
    let request = CommandRequest {
        case_id: case,
        command,
        expected_version: None,
        step_date: Some(date(on)),
        meta: RequestMeta {
            retryable: true,
            command_id: Uuid::new_v4(),
            fingerprint: None,
            actor: "officer".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        },
    };
    service.execute(request).await.expect("command accepted");
}

#[tokio::test]
async fn two_concurrent_watchers_record_each_missed_deadline_once_and_skip_suspended_cases() {
    let db = test_db(Backend::Postgres).await;
    let today = date("2026-04-15");
    let service = CaseService::new(
        db.store.clone(),
        Arc::new(Clocks::embedded()),
        Arc::new(StaticAgencyDirectory::embedded()),
        Arc::new(FixedTime(noon(today))),
    );
    let mut cases = Vec::new();
    for n in 0..6u64 {
        let id = CaseId::from_uuid(Uuid::now_v7());
        run(
            &service,
            id,
            "2026-01-05",
            receive(PetitionKind::Complaint, "UBND-HN.HOAN-KIEM", 1, n),
        )
        .await;
        run(&service, id, "2026-01-05", classify(true)).await;
        run(&service, id, "2026-01-06", accept()).await;
        cases.push(id);
    }
    // A suspended case's clock stands still: nothing of it is missed while suspended.
    let suspended = cases[5];
    run(
        &service,
        suspended,
        "2026-01-20",
        Command::Suspend(domain::Suspend {
            reason: text("Awaiting a court ruling."),
        }),
    )
    .await;
    let mut expected = 0;
    for &id in &cases {
        let (_, state) = service.load(id).await.expect("load");
        expected += state.overdue_deadlines(today).len();
    }
    assert!(
        expected >= 5,
        "every accepted complaint is past its decision deadline: {expected}"
    );
    catch_up(&db).await;

    let first = Watcher::new(service.clone(), db.projections.clone());
    let second = Watcher::new(service.clone(), db.projections.clone());
    let (a, b) = tokio::join!(first.run_once(today), second.run_once(today));
    let (a, b) = (a.expect("first watcher"), b.expect("second watcher"));
    assert_eq!(a.recorded + b.recorded, expected, "{a:?} {b:?}");
    assert_eq!((a.failed, b.failed), (0, 0));

    let mut misses = 0;
    for &id in &cases {
        let (recorded, state) = service.load(id).await.expect("load");
        let n = recorded
            .iter()
            .filter(|e| e.event_type == "deadline.missed")
            .count();
        assert_eq!(
            n,
            if id == suspended {
                0
            } else {
                state
                    .deadlines
                    .values()
                    .filter(|t| matches!(t.status, domain::DeadlineStatus::Missed { .. }))
                    .count()
            }
        );
        assert!(
            recorded
                .iter()
                .filter(|e| e.event_type == "deadline.missed")
                .all(|e| e.metadata.actor == projection::watcher::ACTOR)
        );
        misses += n;
    }
    assert_eq!(misses, expected);

    // A later pass, before and after the read model caught up, records nothing new.
    let again = first.run_once(today).await.expect("again");
    assert_eq!(again.recorded, 0);
    catch_up(&db).await;
    assert_eq!(
        second.run_once(today).await.expect("after catch-up"),
        Default::default()
    );
}
