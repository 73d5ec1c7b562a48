//! The audit timeline and the as-of views, computed from the store.

use std::time::Duration;

use chrono::Utc;
use domain::{Outcome, PetitionKind};
use projection::query::stats::{Granularity, StatsQuery};
use projection::query::timeline::timeline;

use crate::harness::{Backend, test_db};
use crate::history::{History, accept, classify, date, decide_with};
use crate::rebuild::catch_up;

#[tokio::test]
async fn the_timeline_and_the_statistics_as_of_an_instant_show_only_what_was_recorded_by_then() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let a = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-03-02",
        1,
    );
    h.step(a, "2026-03-02", classify(true));
    h.step(a, "2026-03-02", accept());
    h.append_to(&db.store, 0).await;
    catch_up(&db).await;
    let q = StatsQuery {
        period: Some(Granularity::Year),
        from: Some(date("2026-01-01")),
        to: Some(date("2026-12-31")),
        ..StatsQuery::default()
    };
    let then = db
        .projections
        .stats(&db.store, &q, date("2026-12-31"))
        .await
        .expect("stats");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let instant = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let n = h.events.len();
    h.step(a, "2026-03-20", decide_with(Outcome::Upheld));
    h.append_to(&db.store, n).await;
    catch_up(&db).await;

    let now = db
        .projections
        .stats(&db.store, &q, date("2026-12-31"))
        .await
        .expect("stats");
    assert_eq!(now.rows[0].resolved, 1);
    let as_of = db
        .projections
        .stats(
            &db.store,
            &StatsQuery {
                as_of: Some(instant),
                ..q.clone()
            },
            date("2026-12-31"),
        )
        .await
        .expect("as of");
    assert_eq!(
        as_of.rows, then.rows,
        "the statistics as they stood at the instant"
    );
    assert_eq!(as_of.rows[0].resolved, 0);
    let live_from_store = db
        .projections
        .stats(
            &db.store,
            &StatsQuery {
                as_of: Some(Utc::now()),
                ..q.clone()
            },
            date("2026-12-31"),
        )
        .await
        .expect("now");
    assert_eq!(
        live_from_store.rows, now.rows,
        "folding the store agrees with the read model"
    );

    let full = timeline(&db.store, a.into(), None)
        .await
        .expect("timeline")
        .expect("exists");
    assert_eq!(full.events.len(), 4);
    let accepted = &full.events[2];
    assert_eq!(
        (accepted.event_type.as_str(), accepted.actor.as_str()),
        ("petition.accepted", "officer")
    );
    assert_eq!(accepted.hash.len(), 64);
    assert_eq!(accepted.prev_hash, full.events[1].hash);
    assert!(accepted.deadlines.iter().any(|d| d.key == "decision"
        && d.change == "started"
        && d.explanation.as_deref().is_some_and(|e| e.contains("due"))));
    assert!(
        full.events[3]
            .deadlines
            .iter()
            .any(|d| d.key == "decision" && d.change == "met")
    );
    let past = timeline(&db.store, a.into(), Some(instant))
        .await
        .expect("timeline")
        .expect("exists");
    assert_eq!(
        (past.version, past.state["status"].as_str()),
        (3, Some("accepted"))
    );
    assert!(
        timeline(&db.store, uuid::Uuid::now_v7(), None)
            .await
            .expect("timeline")
            .is_none()
    );
}
