//! Redelivered events are skipped by the checkpoint and could not double-count anyway.

use domain::{Outcome, PetitionKind};
use feed::Delivery;
use projection::Model;
use projection::query::stats::{Granularity, StatsQuery};

use crate::harness::{BACKENDS, Backend, test_db};
use crate::history::{History, accept, classify, date, decide_with};

async fn redelivery(backend: Backend) {
    let db = test_db(backend).await;
    let mut h = History::new();
    let a = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-03-02",
        1,
    );
    h.step(a, "2026-03-02", classify(true));
    h.step(a, "2026-03-02", accept());
    h.step(a, "2026-03-20", decide_with(Outcome::Upheld));
    let handlers = db.projections.handlers();
    for event in &h.events {
        for handler in &handlers {
            handler
                .handle(&Delivery {
                    event: event.clone(),
                    attempt: 1,
                })
                .await
                .expect("handled");
        }
    }
    let before: Vec<Vec<String>> = futures_dump(&db).await;
    // Every event again, out of order, as a broker redelivering after a crash would.
    for event in h.events.iter().rev() {
        for handler in &handlers {
            handler
                .handle(&Delivery {
                    event: event.clone(),
                    attempt: 2,
                })
                .await
                .expect("handled");
        }
    }
    assert_eq!(futures_dump(&db).await, before);
    for handler in &handlers {
        assert_eq!(
            handler.checkpoint().await.expect("checkpoint"),
            h.events.last().map(|e| e.checkpoint())
        );
    }
    let q = StatsQuery {
        period: Some(Granularity::Year),
        from: Some(date("2026-01-01")),
        to: Some(date("2026-12-31")),
        ..StatsQuery::default()
    };
    let report = db
        .projections
        .stats(&db.store, &q, date("2027-01-01"))
        .await
        .expect("stats");
    assert_eq!((report.rows[0].received, report.rows[0].resolved), (1, 1));
}

async fn futures_dump(db: &crate::harness::TestDb) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for model in Model::ALL {
        out.push(db.projections.dump(model).await.expect("dump"));
    }
    out
}

#[tokio::test]
async fn redelivered_events_do_not_double_count_on_sqlite() {
    redelivery(BACKENDS[0]).await;
}

#[tokio::test]
async fn redelivered_events_do_not_double_count_on_postgres() {
    redelivery(BACKENDS[1]).await;
}
