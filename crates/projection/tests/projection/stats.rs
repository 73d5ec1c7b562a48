//! Statistics for hand-built scenarios, with the answers computed by hand.

use domain::{Command, Guide, Outcome, PetitionKind};
use projection::query::stats::{Granularity, StatsQuery, StatsRow};

use crate::harness::{BACKENDS, Backend, test_db};
use crate::history::{History, accept, classify, date, decide_with, text};

const HK: &str = "UBND-HN.HOAN-KIEM";

fn query(period: Granularity, from: &str, to: &str) -> StatsQuery {
    StatsQuery {
        period: Some(period),
        from: Some(date(from)),
        to: Some(date(to)),
        agency: Some(HK.into()),
        ..StatsQuery::default()
    }
}

fn day(start: &str, offset: u64) -> String {
    (date(start) + chrono::Days::new(offset)).to_string()
}

#[tokio::test]
async fn a_half_year_with_13889_cases_within_competence_and_9900_resolved_has_a_71_28_percent_resolution_rate()
 {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    // Resolved in 2025: not carried over.
    for _ in 0..20 {
        let id = h.receive(PetitionKind::Complaint, HK, "2025-10-01", 1);
        h.step(id, "2025-10-01", classify(true));
        h.step(id, "2025-10-01", accept());
        h.step(id, "2025-10-15", decide_with(Outcome::Rejected));
    }
    // 889 accepted in December 2025 and still open on 1 January: carried over, all resolved in January.
    for _ in 0..889 {
        let id = h.receive(PetitionKind::Complaint, HK, "2025-12-15", 1);
        h.step(id, "2025-12-15", classify(true));
        h.step(id, "2025-12-15", accept());
        h.step(id, "2026-01-10", decide_with(Outcome::Upheld));
    }
    // 13,000 new within competence; 9,011 of them resolved within the half-year.
    for i in 0..13_000u64 {
        let on = day("2026-01-05", i % 160);
        let id = h.receive(PetitionKind::Complaint, HK, &on, 1);
        h.step(id, &on, classify(true));
        h.step(id, &on, accept());
        if i < 9_011 {
            h.step(id, &day(&on, 10), decide_with(Outcome::PartlyUpheld));
        }
    }
    // 50 new outside competence, forwarded: received, but not within competence.
    for _ in 0..50 {
        let id = h.receive(PetitionKind::Complaint, HK, "2026-02-02", 1);
        h.step(id, "2026-02-02", classify(false));
        h.step(
            id,
            "2026-02-03",
            Command::Forward(domain::Forward {
                to_agency: crate::history::agency("UBND-HN"),
                reason: text("Competence of the province."),
            }),
        );
    }
    db.projections.apply_all(&h.events).await.expect("applied");

    let report = db
        .projections
        .stats(
            &db.store,
            &query(Granularity::HalfYear, "2026-01-01", "2026-06-30"),
            date("2026-07-01"),
        )
        .await
        .expect("stats");
    assert_eq!(report.rows.len(), 1, "{:#?}", report.rows);
    let r = &report.rows[0];
    assert_eq!((r.carried_over, r.new, r.received), (889, 13_050, 13_939));
    assert_eq!(r.within_competence, 13_889);
    assert_eq!(
        (r.resolved, r.resolved_by_decision, r.resolved_by_withdrawal),
        (9_900, 9_900, 0)
    );
    assert_eq!((r.upheld, r.partly_upheld, r.rejected), (889, 9_011, 0));
    assert_eq!((r.forwarded, r.forwarded_on_time), (50, 50));
    assert_eq!(r.resolution_rate, Some(71.28));
    assert_eq!((r.deadline_met, r.deadline_not_met), (9_900, 0));
    assert_eq!(r.on_time_rate, Some(100.0));
}

/// Q1: A, B, C new; C resolved. Q2: A, B carried, D new; A resolved. Q3: B, D carried; D guided. Q4: B.
async fn carried_over_scenario(backend: Backend) {
    let db = test_db(backend).await;
    let mut h = History::new();
    let a = h.receive(PetitionKind::Complaint, HK, "2026-03-20", 1);
    h.step(a, "2026-03-20", classify(true));
    h.step(a, "2026-03-20", accept());
    h.step(a, "2026-04-10", decide_with(Outcome::Rejected));
    let b = h.receive(PetitionKind::Complaint, HK, "2026-02-02", 1);
    h.step(b, "2026-02-02", classify(true));
    h.step(b, "2026-02-02", accept());
    let c = h.receive(PetitionKind::Complaint, HK, "2026-03-31", 1);
    h.step(c, "2026-03-31", classify(true));
    h.step(c, "2026-03-31", accept());
    h.step(c, "2026-03-31", decide_with(Outcome::Upheld));
    let d = h.receive(PetitionKind::Complaint, HK, "2026-06-30", 1);
    h.step(d, "2026-06-30", classify(false));
    h.step(
        d,
        "2026-07-01",
        Command::Guide(Guide {
            guidance: text("Address the provincial committee."),
        }),
    );
    db.projections.apply_all(&h.events).await.expect("applied");

    let report = db
        .projections
        .stats(
            &db.store,
            &query(Granularity::Quarter, "2026-01-01", "2026-12-31"),
            date("2027-01-01"),
        )
        .await
        .expect("stats");
    let q = |start: &str| -> &StatsRow {
        report
            .rows
            .iter()
            .find(|r| r.period_start == start)
            .unwrap_or_else(|| panic!("no row for {start}: {:#?}", report.rows))
    };
    let cols = |r: &StatsRow| {
        (
            r.carried_over,
            r.new,
            r.within_competence,
            r.resolved,
            r.guided,
        )
    };
    assert_eq!(cols(q("2026-01-01")), (0, 3, 3, 1, 0));
    assert_eq!(q("2026-01-01").resolution_rate, Some(33.33));
    assert_eq!(cols(q("2026-04-01")), (2, 1, 2, 1, 0));
    assert_eq!(q("2026-04-01").resolution_rate, Some(50.0));
    assert_eq!(cols(q("2026-07-01")), (2, 0, 1, 0, 1));
    assert_eq!(cols(q("2026-10-01")), (1, 0, 1, 0, 0));
    assert_eq!(q("2026-10-01").period_end, "2026-12-31");
}

#[tokio::test]
async fn carried_over_counts_every_case_open_at_a_period_start_on_sqlite() {
    carried_over_scenario(BACKENDS[0]).await;
}

#[tokio::test]
async fn carried_over_counts_every_case_open_at_a_period_start_on_postgres() {
    carried_over_scenario(BACKENDS[1]).await;
}

#[tokio::test]
async fn an_appeal_counts_at_the_superior_as_a_second_instance_that_upholds_the_first() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let a = h.receive(PetitionKind::Complaint, HK, "2026-03-02", 1);
    h.step(a, "2026-03-02", classify(true));
    h.step(a, "2026-03-02", accept());
    h.step(a, "2026-03-20", decide_with(Outcome::Rejected));
    h.step(
        a,
        "2026-03-25",
        Command::LodgeAppeal(domain::LodgeAppeal {
            grounds: text("The price list was outdated."),
            superior: None,
        }),
    );
    h.step(a, "2026-03-26", accept());
    h.step(a, "2026-04-20", decide_with(Outcome::Rejected));
    db.projections.apply_all(&h.events).await.expect("applied");
    let superior = h
        .state(a)
        .current_agency
        .clone()
        .expect("the superior holds the case")
        .to_string();
    let q = StatsQuery {
        period: Some(Granularity::Year),
        from: Some(date("2026-01-01")),
        to: Some(date("2026-12-31")),
        agency: Some(superior),
        ..StatsQuery::default()
    };
    let report = db
        .projections
        .stats(&db.store, &q, date("2027-01-01"))
        .await
        .expect("stats");
    let r = &report.rows[0];
    assert_eq!((r.new, r.within_competence, r.resolved), (1, 1, 1));
    assert_eq!(
        (r.second_instance_upholding, r.second_instance_overturning),
        (1, 0)
    );
    let first = db
        .projections
        .stats(
            &db.store,
            &query(Granularity::Year, "2026-01-01", "2026-12-31"),
            date("2027-01-01"),
        )
        .await
        .expect("stats");
    assert_eq!(
        (
            first.rows[0].resolved,
            first.rows[0].rejected,
            first.rows[0].second_instance_upholding
        ),
        (1, 1, 0)
    );
}

#[test]
fn periods_are_aligned_to_calendar_months_quarters_and_halves() {
    use projection::query::stats::periods;
    let q = periods(Granularity::Quarter, date("2026-02-15"), date("2026-08-10"));
    let starts: Vec<String> = q
        .iter()
        .map(|p| format!("{}..{}", p.start, p.end))
        .collect();
    assert_eq!(
        starts,
        [
            "2026-02-15..2026-03-31",
            "2026-04-01..2026-06-30",
            "2026-07-01..2026-08-10"
        ]
    );
    assert_eq!(
        periods(
            Granularity::HalfYear,
            date("2026-01-01"),
            date("2026-12-31")
        )
        .len(),
        2
    );
    assert_eq!(
        periods(Granularity::Month, date("2026-01-01"), date("2026-12-31")).len(),
        12
    );
}
