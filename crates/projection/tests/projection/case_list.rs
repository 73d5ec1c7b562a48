//! The case list and the inspectorate watchlist, on both backends.

use domain::{Command, PetitionKind};
use projection::query::cases::{CaseQuery, CaseSort};
use projection::query::watchlist::WatchlistQuery;

use crate::harness::{BACKENDS, Backend, test_db};
use crate::history::{History, accept, classify, date, text};

const HK: &str = "UBND-HN.HOAN-KIEM";

/// An overdue complaint, a group petition, a closed case and a petition sent above its level.
fn scenario() -> (History, [domain::CaseId; 4]) {
    let mut h = History::new();
    let overdue = h.receive(PetitionKind::Complaint, HK, "2026-01-05", 1);
    h.step(overdue, "2026-01-05", classify(true));
    h.step(overdue, "2026-01-05", accept());
    let group = h.receive(PetitionKind::Denunciation, HK, "2026-02-20", 7);
    let closed = h.receive(PetitionKind::Complaint, HK, "2026-01-06", 1);
    h.step(closed, "2026-01-06", classify(true));
    h.step(closed, "2026-01-06", accept());
    h.step(
        closed,
        "2026-01-21",
        Command::Withdraw(domain::Withdraw {
            reason: text("Satisfied."),
        }),
    );
    h.step(
        closed,
        "2026-01-22",
        Command::Terminate(domain::Terminate {
            reason: text("Withdrawn."),
        }),
    );
    // Sent to the province although a commune is competent: forwarded down, accepted there.
    let above = h.receive(PetitionKind::Complaint, "UBND-HN", "2026-02-02", 1);
    h.step(above, "2026-02-02", classify(false));
    h.step(
        above,
        "2026-02-03",
        Command::Forward(domain::Forward {
            to_agency: crate::history::agency(HK),
            reason: text("Commune matter."),
        }),
    );
    h.step(
        above,
        "2026-02-04",
        Command::ReceiveForwarded(domain::ReceiveForwarded {}),
    );
    h.step(above, "2026-02-04", classify(true));
    h.step(above, "2026-02-04", accept());
    (h, [overdue, group, closed, above])
}

async fn case_list_scenario(backend: Backend) {
    let db = test_db(backend).await;
    let (h, [overdue, group, closed, above]) = scenario();
    db.projections.apply_all(&h.events).await.expect("applied");
    let today = date("2026-03-01");

    let all = db
        .projections
        .list_cases(&CaseQuery::default(), today)
        .await
        .expect("list");
    assert_eq!(all.total, 4);
    let row = |id: domain::CaseId| {
        all.items
            .iter()
            .find(|c| c.case_id == id.to_string())
            .expect("listed")
            .clone()
    };
    let o = row(overdue);
    let due = h
        .state(overdue)
        .deadline(domain::DeadlineKey::Decision)
        .expect("decision clock")
        .deadline
        .due;
    assert_eq!(
        (o.status.as_str(), o.kind.as_deref(), o.open),
        ("accepted", Some("complaint"), true)
    );
    assert_eq!(o.days_overdue, (today - due).num_days());
    assert!(o.overdue);
    assert!(
        o.deadlines
            .iter()
            .any(|d| d.key == "decision" && d.status == "open" && d.explanation.contains("due"))
    );
    assert!(row(group).is_group);
    assert_eq!(row(group).signatory_count, 7);
    assert_eq!(
        (
            row(closed).status.as_str(),
            row(closed).open,
            row(closed).overdue
        ),
        ("terminated", false, false)
    );
    assert_eq!(row(above).current_agency.as_deref(), Some(HK));

    let overdue_only = db
        .projections
        .list_cases(
            &CaseQuery {
                overdue: Some(true),
                ..CaseQuery::default()
            },
            today,
        )
        .await
        .expect("list");
    assert!(overdue_only.items.iter().all(|c| c.overdue));
    assert!(
        overdue_only
            .items
            .iter()
            .any(|c| c.case_id == overdue.to_string())
    );
    let sorted = CaseQuery {
        sort: Some(CaseSort::DaysOverdue),
        per_page: Some(1),
        page: Some(1),
        ..CaseQuery::default()
    };
    let first = db
        .projections
        .list_cases(&sorted, today)
        .await
        .expect("list");
    assert_eq!((first.total, first.items.len()), (4, 1));
    assert_eq!(
        first.items[0].case_id,
        overdue.to_string(),
        "the most overdue case sorts first"
    );
    let group_only = db
        .projections
        .list_cases(
            &CaseQuery {
                group: Some(true),
                ..CaseQuery::default()
            },
            today,
        )
        .await
        .expect("list");
    assert_eq!(group_only.total, 1);

    let watch = db
        .projections
        .watchlist(&WatchlistQuery::default(), today)
        .await
        .expect("watchlist");
    let entry = |id: domain::CaseId| watch.items.iter().find(|e| e.case_id == id.to_string());
    assert!(entry(closed).is_none(), "closed cases are not watched");
    assert!(
        entry(overdue)
            .expect("overdue watched")
            .reasons
            .contains(&"overdue".to_owned())
    );
    assert!(
        entry(group)
            .expect("group watched")
            .reasons
            .contains(&"group".to_owned())
    );
    assert!(
        entry(above)
            .expect("above watched")
            .reasons
            .contains(&"above_competent_level".to_owned())
    );
    assert!(
        watch
            .items
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity),
        "ordered by severity"
    );
    let prolonged = WatchlistQuery {
        prolonged_days: Some(30),
        kind: Some(PetitionKind::Complaint),
        ..WatchlistQuery::default()
    };
    let watch = db
        .projections
        .watchlist(&prolonged, today)
        .await
        .expect("watchlist");
    assert!(
        watch
            .items
            .iter()
            .all(|e| e.kind.as_deref() == Some("complaint"))
    );
    assert!(
        watch
            .items
            .iter()
            .find(|e| e.case_id == overdue.to_string())
            .expect("listed")
            .reasons
            .contains(&"prolonged".to_owned())
    );
    let elsewhere = WatchlistQuery {
        agency: Some("UBND-HCM".into()),
        ..WatchlistQuery::default()
    };
    assert_eq!(
        db.projections
            .watchlist(&elsewhere, today)
            .await
            .expect("watchlist")
            .total,
        0
    );
}

#[tokio::test]
async fn the_case_list_and_watchlist_show_deadlines_overdue_days_and_reasons_on_sqlite() {
    case_list_scenario(BACKENDS[0]).await;
}

#[tokio::test]
async fn the_case_list_and_watchlist_show_deadlines_overdue_days_and_reasons_on_postgres() {
    case_list_scenario(BACKENDS[1]).await;
}
