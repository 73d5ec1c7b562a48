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

/// The read side uses the domain's one definition of overdue (issue 11): a suspended denunciation's
/// paused clocks are not overdue in the case list nor on the watchlist; a step keyed in after the
/// watcher recorded a miss, with its real (earlier) date, shows met or late by that date, with the
/// superseded miss marked, and the statistics count it by that date too.
async fn overdue_scenario(backend: Backend) {
    use domain::{DeadlineKey, RecordDeadlineMissed};
    let db = test_db(backend).await;
    let mut h = History::new();
    // Accepted Mon 2026-03-02: 30 days (LTC art. 30) → Wed 2026-04-01; suspended on 2026-03-10.
    let suspended = h.receive(PetitionKind::Denunciation, HK, "2026-03-02", 1);
    h.step(suspended, "2026-03-02", classify(true));
    h.step(suspended, "2026-03-02", accept());
    h.step(
        suspended,
        "2026-03-10",
        Command::Suspend(domain::Suspend {
            reason: text("Awaiting an expert assessment."),
        }),
    );
    let missed = Command::RecordDeadlineMissed(RecordDeadlineMissed {
        deadline: DeadlineKey::Decision,
    });
    // Complaints accepted 2026-01-06; the watcher records the decision missed on 2026-03-01; then the
    // officer keys in the paper file: one decided before the due date, one after it, one withdrawn
    // before it.
    let mut backlog = Vec::new();
    for _ in 0..3 {
        let id = h.receive(PetitionKind::Complaint, HK, "2026-01-05", 1);
        h.step(id, "2026-01-05", classify(true));
        h.step(id, "2026-01-06", accept());
        h.step(id, "2026-03-01", missed.clone());
        backlog.push(id);
    }
    let due = h
        .state(backlog[0])
        .deadline(DeadlineKey::Decision)
        .expect("decision clock")
        .deadline
        .due;
    let before = (due - chrono::Days::new(1)).to_string();
    let after = (due + chrono::Days::new(1)).to_string();
    h.step(
        backlog[0],
        &before,
        crate::history::decide_with(domain::Outcome::Rejected),
    );
    h.step(
        backlog[1],
        &after,
        crate::history::decide_with(domain::Outcome::Rejected),
    );
    h.step(
        backlog[2],
        &before,
        Command::Withdraw(domain::Withdraw {
            reason: text("Satisfied."),
        }),
    );
    db.projections.apply_all(&h.events).await.expect("applied");
    let today = date("2026-05-04");
    assert!(h.state(suspended).overdue(today).is_empty());

    let all = db
        .projections
        .list_cases(&CaseQuery::default(), today)
        .await
        .expect("list");
    let row = |id: domain::CaseId| {
        all.items
            .iter()
            .find(|c| c.case_id == id.to_string())
            .expect("listed")
            .clone()
    };
    let s = row(suspended);
    assert_eq!(s.status, "suspended");
    assert_eq!((s.overdue, s.days_overdue), (false, 0));
    let decision = s
        .deadlines
        .iter()
        .find(|d| d.key == "decision")
        .expect("decision row");
    assert_eq!(
        (decision.status.as_str(), decision.due.as_str()),
        ("open", "2026-04-01")
    );
    assert!(
        s.deadlines.iter().all(|d| d.days_overdue.is_none()),
        "a suspended case's paused clocks are not overdue: {:#?}",
        s.deadlines
    );
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
    assert!(
        overdue_only
            .items
            .iter()
            .all(|c| c.case_id != suspended.to_string())
    );

    let watch = db
        .projections
        .watchlist(&WatchlistQuery::default(), today)
        .await
        .expect("watchlist");
    assert!(
        watch
            .items
            .iter()
            .all(|e| e.case_id != suspended.to_string()),
        "{:#?}",
        watch.items
    );

    for (id, status, on) in [(backlog[0], "met", &before), (backlog[1], "late", &after)] {
        let c = row(id);
        let d = c
            .deadlines
            .iter()
            .find(|d| d.key == "decision")
            .expect("decision row");
        assert_eq!(
            (d.status.as_str(), d.status_on.as_deref(), d.days_overdue),
            (status, Some(on.as_str()), None)
        );
        assert_eq!(d.superseded_miss.as_deref(), Some("2026-03-01"));
    }

    let report = db
        .projections
        .stats(
            &db.store,
            &projection::query::stats::StatsQuery {
                period: Some(projection::query::stats::Granularity::Year),
                from: Some(date("2026-01-01")),
                to: Some(date("2026-12-31")),
                agency: Some(HK.into()),
                kind: Some(PetitionKind::Complaint),
                ..Default::default()
            },
            today,
        )
        .await
        .expect("stats");
    let r = &report.rows[0];
    assert_eq!(
        (r.resolved, r.resolved_by_decision, r.resolved_by_withdrawal),
        (3, 2, 1)
    );
    // Met before the due date (decision and withdrawal), late after it: the misses are superseded.
    assert_eq!((r.deadline_met, r.deadline_not_met), (2, 1));
}

#[tokio::test]
async fn a_suspended_case_is_not_overdue_and_a_backlog_step_after_a_miss_is_met_or_late_on_sqlite()
{
    overdue_scenario(BACKENDS[0]).await;
}

#[tokio::test]
async fn a_suspended_case_is_not_overdue_and_a_backlog_step_after_a_miss_is_met_or_late_on_postgres()
 {
    overdue_scenario(BACKENDS[1]).await;
}
